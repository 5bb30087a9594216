// The generator on small CRDs, one per schema feature, checked by compiling what it emits
// (strict tsc, as a job project would) against usage files whose `@ts-expect-error` lines
// must each be an error: so a type that is too loose fails as surely as one that is wrong.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compile } from 'json-schema-to-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { crdTypes } from '../../src/crd-types.js';
import { ConfigError } from '../../src/errors.js';
import { ROOT } from '../support/cli.js';

const run = promisify(execFile);

function crd(versions: object[], spec: object = {}): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions, ...spec },
  };
}

function version(name: string, schema: object, fields: object = {}): object {
  return { name, served: true, storage: true, schema: { openAPIV3Schema: schema }, ...fields };
}

function generate(...objects: unknown[]): Promise<string> {
  return crdTypes(
    objects.map((object, i) => ({ object, where: `crds.yaml: document ${i + 1}` })),
    ['crds.yaml'],
    compile,
  );
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-crd-types-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * Type-checks `files` as an ESM project of their own with the repository's strict
 * options, 'kubepoll' mapped to src/job.ts (the types a job sees). Returns tsc's
 * diagnostics: '' when everything compiles.
 */
async function typecheck(name: string, files: Record<string, string>): Promise<string> {
  const project = path.join(dir, name);
  await mkdir(project, { recursive: true });
  const compilerOptions = {
    target: 'es2024',
    lib: ['es2024'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    skipLibCheck: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    paths: { kubepoll: [path.join(ROOT, 'src', 'job.ts')] },
  };
  files['tsconfig.json'] = JSON.stringify({ compilerOptions, include: ['*.ts'] });
  files['package.json'] = '{ "type": "module" }';
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(project, file), text);
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
  return run(tsc, ['-p', project], { cwd: project }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
}

const WIDGET_SCHEMA = {
  type: 'object',
  description: 'A Widget is a test resource. Its description ends a comment: */ and must not end the TSDoc.',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema.' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', format: 'int32', description: 'How many replicas.', minimum: 0 },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        color: { type: 'string', enum: ['red', 'green'] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3, 'x-kubernetes-list-type': 'set' },
        ports: {
          type: 'array',
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, number: { type: 'integer' } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        limits: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        anything: { 'x-kubernetes-preserve-unknown-fields': true },
        pruned: { type: 'object' },
        note: { type: 'string', nullable: true },
        selector: { type: 'object', nullable: true, properties: { app: { type: 'string' } } },
        mode: { type: 'string', enum: ['Fast', 'Safe'], nullable: true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { metadata: { type: 'object' } },
        },
        either: {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          oneOf: [{ required: ['a'] }, { required: ['b'] }],
        },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string', enum: ['Pending', 'Ready'] } } },
  },
};

describe('kubepoll types: generated TypeScript', () => {
  it('types every schema feature, and rejects what the schema does not allow', async () => {
    const text = await generate(crd([version('v1', WIDGET_SCHEMA)]));
    expect(text).toMatch(/^\/\/ Generated by kubepoll types from crds\.yaml: do not edit; /);
    expect(text).toMatch(/^import type \{ ObjectMeta, ResourceRef \} from 'kubepoll';$/m);
    // Descriptions become TSDoc on the declaration they describe.
    expect(text).toMatch(/\/\*\*\n \* A Widget is a test resource\.[^\n]*\n \*\/\nexport interface Widget \{/);
    expect(text).toMatch(/\/\*\*\n\s+\* How many replicas\.\n\s+\*\/\n\s+size: number;/);
    expect(text).not.toMatch(/\benum\b|\bnamespace\b/);
    const usage = `
import type { RunContext } from 'kubepoll';
import { type Widget, widgets } from './widgets.ts';
declare const ctx: RunContext;
type Spec = NonNullable<Widget['spec']>;

export async function reads() {
  for await (const w of ctx.list(widgets)) {
    const name: string = w.metadata.name;
    const apiVersion: 'example.com/v1' = w.apiVersion;
    const kind: 'Widget' = w.kind;
    const size: number | undefined = w.spec?.size;
    // @ts-expect-error an integer is a number
    const sizeText: string | undefined = w.spec?.size;
    // @ts-expect-error a field the schema does not declare
    w.spec?.sise;
    const port: number | string | undefined = w.spec?.port;
    // @ts-expect-error int-or-string is not only a number
    const portNumber: number | undefined = w.spec?.port;
    const color: 'red' | 'green' | undefined = w.spec?.color;
    // @ts-expect-error only the enum's values
    const red: 'red' | undefined = w.spec?.color;
    const tag: string | undefined = w.spec?.tags?.[7]; // maxItems is no tuple
    const portName: string | undefined = w.spec?.ports?.[0]?.name;
    const label: string | undefined = w.spec?.labels?.app;
    // @ts-expect-error map values are strings
    const labelNumber: number | undefined = w.spec?.labels?.app;
    const limit: number | string | undefined = w.spec?.limits?.cpu;
    const known: string | undefined = w.spec?.extra?.known;
    const kept: unknown = w.spec?.extra?.whatever;
    const free: unknown = w.spec?.free?.whatever;
    // @ts-expect-error an untyped field is unknown until narrowed
    const anything: string | undefined = w.spec?.anything;
    const note: string | null | undefined = w.spec?.note;
    // @ts-expect-error nullable: the value may be null
    const noteText: string | undefined = w.spec?.note;
    const app: string | undefined = w.spec?.selector?.app;
    const mode: 'Fast' | 'Safe' | null | undefined = w.spec?.mode;
    const templateKind: string | undefined = w.spec?.template?.kind;
    const templateName: string | undefined = w.spec?.template?.metadata?.name;
    const templateRest: unknown = w.spec?.template?.spec;
    const either: string | undefined = w.spec?.either?.a;
    const phase: 'Pending' | 'Ready' | undefined = w.status?.phase;
    void [name, apiVersion, kind, size, sizeText, port, portNumber, color, red, tag, portName, label, labelNumber, limit];
    void [known, kept, free, anything, note, noteText, app, mode, templateKind, templateName, templateRest, either, phase];
  }
}

export const ok: Widget[] = [
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' }, spec: { size: 1 } },
  { spec: { size: 1, port: 8080, tags: ['a', 'b', 'c', 'd'], pruned: {}, note: null, selector: null, mode: null } },
  { spec: { size: 1, port: 'http', extra: { known: 'k', other: [1] }, free: { x: 1 }, anything: [1, 'two'] } },
  { spec: { size: 1, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } } } },
];
// @ts-expect-error spec is required
export const noSpec: Widget = { metadata: { name: 'a' } };
// @ts-expect-error spec.size is required
export const noSize: Widget = { spec: {} };
// @ts-expect-error the server prunes undeclared fields, so they are not part of the type
export const undeclared: Widget = { spec: { size: 1, colour: 'red' } };
// @ts-expect-error not one of the enum's values
export const blue: Widget = { spec: { size: 1, color: 'blue' } };
// @ts-expect-error a pruned object holds nothing
export const prunedField: Spec = { size: 1, pruned: { a: 1 } };
// @ts-expect-error a port list entry needs its name
export const nameless: Spec = { size: 1, ports: [{ number: 80 }] };
// @ts-expect-error the version is fixed
export const otherVersion: Widget = { apiVersion: 'example.com/v2' };
// @ts-expect-error not nullable
export const nullSize: Spec = { size: null };
`;
    expect(await typecheck('features', { 'widgets.ts': text, 'use.ts': usage })).toBe('');
  });

  it('gives every served version an interface and a ref: the storage version unsuffixed, deprecated ones marked', async () => {
    const schema = (field: string) => ({
      type: 'object',
      properties: { spec: { type: 'object', properties: { [field]: { type: 'string' } } } },
    });
    const text = await generate(
      crd(
        [
          version('v1alpha1', schema('alpha'), { served: false, storage: false }),
          version('v1beta1', schema('beta'), {
            storage: false,
            deprecated: true,
            deprecationWarning: 'example.com/v1beta1 Widget is gone in 2.0; use example.com/v1',
          }),
          version('v1', schema('stable')),
          version('v2', schema('next'), { storage: false }),
        ],
        { scope: 'Cluster' },
      ),
    );
    expect(text).toMatch(
      /\* @deprecated example\.com\/v1beta1 Widget is gone in 2\.0; use example\.com\/v1\n \*\/\nexport interface WidgetV1beta1 \{/,
    );
    expect(text).toMatch(
      /\* @deprecated example\.com\/v1beta1 Widget is gone in 2\.0; use example\.com\/v1\n \*\/\nexport const widgetsV1beta1: /,
    );
    expect(text.match(/@deprecated/g)).toHaveLength(2);
    const usage = `
import type { RunContext } from 'kubepoll';
import { widgets, widgetsV1beta1, widgetsV2 } from './widgets.ts';
// @ts-expect-error an unserved version gets nothing
import { widgetsV1alpha1 } from './widgets.ts';
declare const ctx: RunContext;
export async function reads() {
  for await (const w of ctx.list(widgets)) {
    const stable: string | undefined = w.spec?.stable;
    const apiVersion: 'example.com/v1' = w.apiVersion;
    // @ts-expect-error another version's field
    w.spec?.beta;
    void [stable, apiVersion];
  }
  for await (const w of ctx.list(widgetsV1beta1)) {
    const beta: string | undefined = w.spec?.beta;
    const apiVersion: 'example.com/v1beta1' = w.apiVersion;
    void [beta, apiVersion];
  }
  for await (const w of ctx.list(widgetsV2)) void w.spec?.next;
  void widgetsV1alpha1;
}
`;
    expect(await typecheck('versions', { 'widgets.ts': text, 'use.ts': usage })).toBe('');
    // Erasable TypeScript importing only types: Node runs it with no node_modules, and the refs are right.
    await writeFile(
      path.join(dir, 'versions', 'print.ts'),
      "import * as m from './widgets.ts';\nconsole.log(JSON.stringify(m));\n",
    );
    const { stdout } = await run(process.execPath, ['print.ts'], { cwd: path.join(dir, 'versions') });
    expect(JSON.parse(stdout)).toEqual({
      widgets: { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: false },
      widgetsV1beta1: { group: 'example.com', version: 'v1beta1', plural: 'widgets', namespaced: false },
      widgetsV2: { group: 'example.com', version: 'v2', plural: 'widgets', namespaced: false },
    });
  });

  it('names a multi-word plural in camel case and keeps CRDs in the order given, the same bytes every time', async () => {
    const other = crd([version('v1', { type: 'object' })], {
      group: 'velero.io',
      names: { kind: 'BackupRepository', plural: 'backup-repositories' },
    });
    const widgets = crd([version('v1', WIDGET_SCHEMA)]);
    const text = await generate(other, widgets);
    expect([...text.matchAll(/^export (?:interface|const) (\w+)/gm)].map((m) => m[1])).toEqual([
      'BackupRepository',
      'backupRepositories',
      'Widget',
      'widgets',
    ]);
    expect(await generate(other, widgets)).toBe(text);
  });
});

describe('kubepoll types: what is not a CRD it can use', () => {
  const v1 = version('v1', { type: 'object' });
  it.each([
    [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      'crds.yaml: document 1: not a CustomResourceDefinition (apiextensions.k8s.io/v1), found v1 ConfigMap',
    ],
    [
      { ...crd([v1]), apiVersion: 'apiextensions.k8s.io/v1beta1' },
      'crds.yaml: document 1: not a CustomResourceDefinition (apiextensions.k8s.io/v1), found apiextensions.k8s.io/v1beta1 CustomResourceDefinition',
    ],
    ['just text', 'crds.yaml: document 1: not a CustomResourceDefinition (apiextensions.k8s.io/v1), found string'],
    [
      crd([{ name: 'v1', served: true, storage: true }]),
      'crds.yaml: document 1: CustomResourceDefinition widgets.example.com: version v1 has no schema.openAPIV3Schema to generate types from',
    ],
    [crd([{ ...v1, served: false }]), 'crds.yaml: document 1: CustomResourceDefinition widgets.example.com: serves no version'],
    [
      crd([v1], { names: { kind: 'Widget' } }),
      'crds.yaml: document 1: CustomResourceDefinition widgets.example.com: needs spec.group, spec.names.kind, spec.names.plural and spec.versions',
    ],
    [
      crd([v1], { group: "x'y" }),
      `crds.yaml: document 1: CustomResourceDefinition widgets.example.com: spec.group "x'y" is not a valid name`,
    ],
    [
      crd([version('v1', { type: 'object', properties: { spec: { type: 'tuple' } } })]),
      'crds.yaml: document 1: CustomResourceDefinition widgets.example.com: version v1: openAPIV3Schema.spec: unknown schema type "tuple"',
    ],
  ])('%#: one line naming the document', async (object, message) => {
    await expect(generate(object)).rejects.toThrow(new ConfigError(message));
  });

  it('refuses two CRDs that would generate the same name', async () => {
    const other = crd([version('v1', { type: 'object' })], { group: 'other.example.com' });
    await expect(generate(crd([version('v1', { type: 'object' })]), other)).rejects.toThrow(
      'crds.yaml: document 2: Widget is also generated for crds.yaml: document 1 (example.com/v1 Widget); generate these CRDs into separate files',
    );
  });
});

describe('the example CRDs (jobs/fixtures)', () => {
  const PAIRS = [
    ['cert-manager-crd.yaml', 'cert-manager-certificates.yaml'],
    ['velero-crds.yaml', 'velero-backups.yaml'],
    ['tekton-crd.yaml', 'tekton-pipelineruns.yaml'],
  ] as const;

  it('type every field of the example objects (so the API server keeps and accepts them all)', async () => {
    const files: Record<string, string> = {};
    const checks: string[] = [];
    for (const [i, [crdFile, objectsFile]] of PAIRS.entries()) {
      const crdText = await readFile(path.join(ROOT, 'jobs', 'fixtures', crdFile), 'utf8');
      const crds = parseAllDocuments(crdText).map((d, j) => ({
        object: d.toJS() as unknown,
        where: `${crdFile}: document ${j + 1}`,
      }));
      files[`types${i}.ts`] = await crdTypes(crds, [crdFile], compile);
      const objects = parseAllDocuments(await readFile(path.join(ROOT, 'jobs', 'fixtures', objectsFile), 'utf8'))
        .map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } })
        .filter((o) => o.kind !== 'CustomResourceDefinition');
      expect(objects.length).toBeGreaterThan(0);
      for (const [j, object] of objects.entries()) {
        const type = `${object.kind}${object.apiVersion.endsWith('/v1') ? '' : 'V1beta1'}`;
        checks.push(`import type { ${type} as T${i}_${j} } from './types${i}.ts';`);
        checks.push(`// ${objectsFile}: ${object.kind} ${object.metadata.name}`);
        checks.push(`export const o${i}_${j}: T${i}_${j} = ${JSON.stringify(object)};`);
      }
    }
    files['objects.ts'] = checks.join('\n');
    expect(await typecheck('fixtures', files)).toBe('');
  });
});
