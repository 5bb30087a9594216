import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixtures, parseFixtures } from '../../src/testing/fixtures.js';
import { ROOT } from '../support/cli.js';

describe('YAML fixtures', () => {
  it('loads several documents from several files, in file order', async () => {
    const objects = await loadFixtures('test/fixtures/cluster/widgets*.yaml', ROOT);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'CustomResourceDefinition/widgets.example.com',
      'Widget/alpha',
      'Widget/beta',
      'Widget/gamma',
    ]);
  });

  it('skips empty documents and unpacks a List', () => {
    const text =
      '---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n---\n';
    expect(parseFixtures(text, 'f.yaml').map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('names the file and document of invalid YAML', () => {
    expect(() =>
      parseFixtures('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [unclosed\n', 'bad.yaml'),
    ).toThrow(/^bad\.yaml: document 2: invalid YAML: /);
  });

  it('names the file and document of an object without kind or name', () => {
    expect(() => parseFixtures('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\n', 'x.yaml')).toThrow(
      'x.yaml: document 2: kind, metadata.name missing',
    );
    expect(() => parseFixtures('- a\n- b\n', 'list.yaml')).toThrow(
      'list.yaml: document 1: expected a Kubernetes object, got a list',
    );
  });

  it('says when a pattern matches nothing', async () => {
    await expect(loadFixtures('nothing/*.yaml', path.join(ROOT, 'test'))).rejects.toThrow(
      /^fixtures: no file matches nothing\/\*\.yaml/,
    );
  });
});

describe('seeding fixtures', () => {
  it('names the file and document of an object whose CRD is missing', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { startTestCluster } = await import('../../src/testing/index.js');
    const dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-fixtures-'));
    try {
      const file = path.join(dir, 'backups.yaml');
      await writeFile(file, 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: velero}\n');
      await expect(startTestCluster({ fixtures: file })).rejects.toThrow(
        `${file}: document 1: no resource serves kind Backup in velero.io/v1; add its CustomResourceDefinition to the objects`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
