/**
 * How kube-apiserver treats the body of each kind the fake serves, in the
 * order it does it: decoding into the Go type (unknown fields dropped, empty
 * maps omitted, zero values written out), defaulting, then the registry
 * strategy after ownership is recorded (a Namespace's finalizers and phase; a
 * custom resource's status kept out of the main resource and its generation).
 */
import type { KubeObject } from '../job.js';
import { pruneToSchema } from './crd-schema.js';
import { deepEqual } from './field-ops.js';
import { FieldSet } from './field-set.js';
import type { ServedResource } from './store.js';

type Json = Record<string, unknown>;

const METADATA_KEYS = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/** ObjectMeta through Go: unknown keys dropped, empty maps and lists omitted. */
function normaliseMeta(metadata: Json | undefined): Json {
  const out: Json = {};
  for (const key of METADATA_KEYS) {
    const v = metadata?.[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'object' && Object.keys(v as object).length === 0) continue;
    out[key] = v;
  }
  return out;
}

const pick = (object: Json, keys: readonly string[], extra: Json = {}): Json => {
  const out: Json = {};
  for (const k of keys) if (object[k] !== undefined && object[k] !== null) out[k] = object[k];
  return { ...extra, ...out };
};
const dropEmpty = (object: Json, keys: readonly string[]) => {
  for (const k of keys)
    if (object[k] && typeof object[k] === 'object' && Object.keys(object[k] as object).length === 0) delete object[k];
  return object;
};

/** The Go round trip of a built-in kind the fake knows; others pass through with their metadata normalised. */
function decodeBuiltin(kindKey: string, object: Json): Json {
  const head = { apiVersion: object.apiVersion, kind: object.kind, metadata: normaliseMeta(object.metadata as Json) };
  switch (kindKey) {
    case '/ConfigMap':
      return dropEmpty({ ...head, ...pick(object, ['data', 'binaryData', 'immutable']) }, ['data', 'binaryData']);
    case '/Secret': {
      const data: Json = { ...((object.data as Json | undefined) ?? {}) };
      for (const [k, v] of Object.entries((object.stringData as Json | undefined) ?? {}))
        data[k] = Buffer.from(String(v)).toString('base64');
      return dropEmpty({ ...head, ...pick(object, ['type', 'immutable']), data }, ['data']);
    }
    case '/ServiceAccount':
      return { ...head, ...pick(object, ['secrets', 'imagePullSecrets', 'automountServiceAccountToken']) };
    case '/Namespace':
      return {
        ...head,
        spec: { ...((object.spec as Json | undefined) ?? {}) },
        status: { ...((object.status as Json | undefined) ?? {}) },
      };
    case 'events.k8s.io/Event':
      return {
        ...head,
        eventTime: object.eventTime ?? null,
        ...pick(object, ['series', 'reportingController', 'reportingInstance', 'action', 'reason']),
        regarding: object.regarding ?? {},
        ...pick(object, ['related', 'note', 'type']),
        deprecatedSource: object.deprecatedSource ?? {},
        deprecatedFirstTimestamp: object.deprecatedFirstTimestamp ?? null,
        deprecatedLastTimestamp: object.deprecatedLastTimestamp ?? null,
        ...pick(object, ['deprecatedCount']),
      };
    case '/Event':
      return {
        ...head,
        involvedObject: object.involvedObject ?? {},
        ...pick(object, ['reason', 'message']),
        source: object.source ?? {},
        firstTimestamp: object.firstTimestamp ?? null,
        lastTimestamp: object.lastTimestamp ?? null,
        ...pick(object, ['count', 'type']),
        eventTime: object.eventTime ?? null,
        ...pick(object, ['series', 'action', 'related']),
        reportingComponent: object.reportingComponent ?? '',
        reportingInstance: object.reportingInstance ?? '',
      };
    case 'coordination.k8s.io/Lease':
      return { ...head, spec: { ...((object.spec as Json | undefined) ?? {}) } };
    default:
      return { ...object, metadata: head.metadata };
  }
}

export const kindKey = (r: ServedResource) => `${r.group}/${r.kind}`;

/** Whether `resource` is a CRD-served custom resource. */
export const isCustom = (r: ServedResource) => !r.builtin;

/** The body as the API server holds it after decoding and defaulting (before ownership is recorded). */
export function decode(resource: ServedResource, object: KubeObject): KubeObject {
  let out: Json;
  if (isCustom(resource)) {
    out = pruneToSchema(object as Json, resource.schema);
    out.metadata = normaliseMeta(object.metadata as Json);
  } else {
    out = decodeBuiltin(kindKey(resource), object as Json);
  }
  // Defaulting, before ownership is recorded (the writer owns a defaulted field).
  if (kindKey(resource) === '/Secret' && !out.type) out.type = 'Opaque';
  if (kindKey(resource) === '/Namespace') {
    const meta = out.metadata as Json;
    if (typeof meta.name === 'string')
      meta.labels = { ...((meta.labels as Json | undefined) ?? {}), 'kubernetes.io/metadata.name': meta.name };
  }
  return out as KubeObject;
}

/** Fields the decoding would drop (what `fieldValidation=Strict` refuses), as dotted paths. */
export function unknownFields(resource: ServedResource, object: KubeObject): string[] {
  const kept = decode(resource, object) as Json;
  const out: string[] = [];
  const walk = (given: unknown, left: unknown, path: string) => {
    if (!given || typeof given !== 'object' || Array.isArray(given)) return;
    for (const [key, value] of Object.entries(given as Json)) {
      const here = path ? `${path}.${key}` : key;
      const rest = left && typeof left === 'object' ? (left as Json)[key] : undefined;
      const zero = value === null || value === '' || (typeof value === 'object' && Object.keys(value as object).length === 0);
      if (rest === undefined && !zero) {
        if (!(key === 'status' && resource.statusSubresource)) out.push(here);
      } else walk(value, rest, here);
    }
  };
  walk(object, kept, '');
  return out;
}

/** What a create is compared with for ownership: the Go zero value of the kind. */
export function zeroValue(resource: ServedResource): KubeObject {
  if (isCustom(resource)) return {};
  const zero = decodeBuiltin(kindKey(resource), {
    apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
    kind: resource.kind,
    metadata: {},
  });
  return zero as KubeObject;
}

/** Paths the strategy resets, and so nobody owns, when writing through `subresource`. */
export function resetFields(resource: ServedResource, subresource: string | undefined): FieldSet {
  if (subresource === 'status') return FieldSet.of([['f:metadata'], ['f:spec']]);
  if (resource.statusSubresource || kindKey(resource) === '/Namespace') return FieldSet.of([['f:status']]);
  return new FieldSet();
}

/** The registry strategy of a create, after ownership is recorded. */
export function prepareCreate(resource: ServedResource, object: KubeObject): KubeObject {
  const out = { ...object } as Json;
  if (resource.statusSubresource) delete out.status;
  if (isCustom(resource)) out.metadata = { ...(out.metadata as Json), generation: 1 };
  if (kindKey(resource) === '/Namespace') {
    out.spec = { finalizers: ['kubernetes'], ...((out.spec as Json | undefined) ?? {}) };
    out.status = { phase: 'Active', ...((out.status as Json | undefined) ?? {}) };
  }
  return out as KubeObject;
}

/**
 * The registry strategy of an update through `subresource` (undefined: the
 * main resource): what the write may not change is put back from `old`, and a
 * custom resource's generation goes up when anything but metadata (and status,
 * with a status subresource) changed.
 */
export function prepareUpdate(
  resource: ServedResource,
  old: KubeObject,
  next: KubeObject,
  subresource: string | undefined,
): KubeObject {
  let out = { ...next } as Json;
  if (subresource === 'status') {
    out = { ...(old as Json), metadata: { ...(old.metadata as Json), managedFields: next.metadata?.managedFields } };
    if ((next as Json).status === undefined) delete out.status;
    else out.status = (next as Json).status;
  } else if (resource.statusSubresource || kindKey(resource) === '/Namespace') {
    if ((old as Json).status === undefined) delete out.status;
    else out.status = (old as Json).status;
  }
  const meta = { ...(out.metadata as Json) };
  for (const key of ['uid', 'creationTimestamp', 'namespace', 'name', 'generation', 'deletionTimestamp'] as const) {
    const was = old.metadata?.[key];
    if (was === undefined) delete meta[key];
    else meta[key] = was;
  }
  out.metadata = meta;
  if (isCustom(resource)) {
    const content = (o: Json) => {
      const { metadata: _m, ...rest } = o;
      if (resource.statusSubresource) delete rest.status;
      return rest;
    };
    if (!deepEqual(content(out), content(old as Json))) meta.generation = Number(old.metadata?.generation ?? 0) + 1;
  }
  return out as KubeObject;
}
