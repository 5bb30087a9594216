/**
 * The shape of objects as server-side apply sees it (structured-merge-diff's
 * schema): which maps are structs with named fields, which are maps of
 * anything, which lists are atomic, sets, or keyed by fields. Built from a
 * CRD's openAPIV3Schema (as kube-apiserver does) or, for the few built-in kinds
 * the fake serves, written out here from their Go types.
 */
export type FieldType =
  | { kind: 'scalar' }
  /** Named fields; `element` types any other key (additionalProperties, preserve-unknown-fields). */
  | { kind: 'struct'; fields: Record<string, FieldType>; element?: FieldType; atomic?: boolean }
  | { kind: 'map'; element: FieldType; atomic?: boolean }
  | { kind: 'list'; element: FieldType; listType: 'atomic' | 'set' | 'map'; keys?: string[] }
  /** No schema: maps of anything, lists atomic (structured-merge-diff's deduced type). */
  | { kind: 'untyped' };

export const SCALAR: FieldType = { kind: 'scalar' };
export const UNTYPED: FieldType = { kind: 'untyped' };
const stringMap: FieldType = { kind: 'map', element: SCALAR };
const atomicList: FieldType = { kind: 'list', element: SCALAR, listType: 'atomic' };
const struct = (fields: Record<string, FieldType>, extra: { atomic?: boolean } = {}): FieldType => ({
  kind: 'struct',
  fields,
  ...extra,
});

/** ObjectMeta. */
export const OBJECT_META: FieldType = struct({
  name: SCALAR,
  generateName: SCALAR,
  namespace: SCALAR,
  uid: SCALAR,
  resourceVersion: SCALAR,
  generation: SCALAR,
  creationTimestamp: SCALAR,
  deletionTimestamp: SCALAR,
  deletionGracePeriodSeconds: SCALAR,
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: {
    kind: 'list',
    listType: 'map',
    keys: ['uid'],
    element: struct({
      apiVersion: SCALAR,
      kind: SCALAR,
      name: SCALAR,
      uid: SCALAR,
      controller: SCALAR,
      blockOwnerDeletion: SCALAR,
    }),
  },
  finalizers: { kind: 'list', listType: 'set', element: SCALAR },
  managedFields: atomicList,
});

const object = (fields: Record<string, FieldType>): FieldType =>
  struct({ apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META, ...fields });

const objectReference = struct(
  { kind: SCALAR, namespace: SCALAR, name: SCALAR, uid: SCALAR, apiVersion: SCALAR, resourceVersion: SCALAR, fieldPath: SCALAR },
  { atomic: true },
);

/** The built-in kinds whose shape the fake knows, by `group/Kind`. Others are untyped below metadata. */
export const BUILTIN_SCHEMAS: Readonly<Record<string, FieldType>> = {
  '/ConfigMap': object({ data: stringMap, binaryData: stringMap, immutable: SCALAR }),
  '/Secret': object({ data: stringMap, stringData: stringMap, type: SCALAR, immutable: SCALAR }),
  '/ServiceAccount': object({
    secrets: { kind: 'list', listType: 'map', keys: ['name'], element: objectReference },
    imagePullSecrets: { kind: 'list', listType: 'atomic', element: struct({ name: SCALAR }) },
    automountServiceAccountToken: SCALAR,
  }),
  '/Namespace': object({
    spec: struct({ finalizers: atomicList }),
    status: struct({
      phase: SCALAR,
      conditions: { kind: 'list', listType: 'map', keys: ['type'], element: struct({}) },
    }),
  }),
  '/Event': object({
    involvedObject: objectReference,
    reason: SCALAR,
    message: SCALAR,
    source: struct({ component: SCALAR, host: SCALAR }),
    firstTimestamp: SCALAR,
    lastTimestamp: SCALAR,
    count: SCALAR,
    type: SCALAR,
    eventTime: SCALAR,
    series: struct({ count: SCALAR, lastObservedTime: SCALAR }),
    action: SCALAR,
    related: objectReference,
    reportingComponent: SCALAR,
    reportingInstance: SCALAR,
  }),
  'events.k8s.io/Event': object({
    eventTime: SCALAR,
    series: struct({ count: SCALAR, lastObservedTime: SCALAR }),
    reportingController: SCALAR,
    reportingInstance: SCALAR,
    action: SCALAR,
    reason: SCALAR,
    regarding: objectReference,
    related: objectReference,
    note: SCALAR,
    type: SCALAR,
    deprecatedSource: struct({ component: SCALAR, host: SCALAR }),
    deprecatedFirstTimestamp: SCALAR,
    deprecatedLastTimestamp: SCALAR,
    deprecatedCount: SCALAR,
  }),
  'coordination.k8s.io/Lease': object({
    spec: struct({
      holderIdentity: SCALAR,
      leaseDurationSeconds: SCALAR,
      acquireTime: SCALAR,
      renewTime: SCALAR,
      leaseTransitions: SCALAR,
      strategy: SCALAR,
      preferredHolder: SCALAR,
    }),
  }),
};

/** An untyped object with a typed metadata: what the fake assumes for a built-in kind it has no shape for. */
export const UNTYPED_OBJECT: FieldType = {
  kind: 'struct',
  fields: { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META },
  element: UNTYPED,
};

/** A JSON schema node of a CRD (the parts that decide the shape). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** The shape of a custom resource from its version's openAPIV3Schema; metadata is always ObjectMeta. */
export function crdFieldType(schema: JsonSchema | undefined): FieldType {
  if (!schema) return UNTYPED_OBJECT;
  const root = fromSchema(schema);
  if (root.kind !== 'struct') return UNTYPED_OBJECT;
  return { ...root, fields: { ...root.fields, apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META } };
}

function fromSchema(s: JsonSchema): FieldType {
  if (s['x-kubernetes-int-or-string']) return SCALAR;
  if (s.type === 'array') {
    const listType = s['x-kubernetes-list-type'] ?? 'atomic';
    return {
      kind: 'list',
      element: s.items ? fromSchema(s.items) : UNTYPED,
      listType,
      ...(listType === 'map' ? { keys: s['x-kubernetes-list-map-keys'] ?? [] } : {}),
    };
  }
  if (s.type === 'object' || s.properties || s['x-kubernetes-preserve-unknown-fields']) {
    const atomic = s['x-kubernetes-map-type'] === 'atomic';
    const additional = typeof s.additionalProperties === 'object' ? fromSchema(s.additionalProperties) : undefined;
    const element = additional ?? (s['x-kubernetes-preserve-unknown-fields'] ? UNTYPED : undefined);
    if (!s.properties && !s['x-kubernetes-embedded-resource']) {
      if (element) return { kind: 'map', element, ...(atomic ? { atomic } : {}) };
      return struct({}, atomic ? { atomic } : {});
    }
    const fields: Record<string, FieldType> = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) fields[k] = fromSchema(v);
    if (s['x-kubernetes-embedded-resource']) Object.assign(fields, { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META });
    return { kind: 'struct', fields, ...(element ? { element } : {}), ...(atomic ? { atomic } : {}) };
  }
  return SCALAR;
}

/** The type of the value under `key` of a struct or map. */
export function fieldOf(type: FieldType, key: string): { type: FieldType; named: boolean } {
  if (type.kind === 'struct') {
    const named = type.fields[key];
    if (named) return { type: named, named: true };
    return { type: type.element ?? UNTYPED, named: false };
  }
  if (type.kind === 'map') return { type: type.element, named: false };
  return { type: UNTYPED, named: false };
}

export const isMapLike = (t: FieldType) => t.kind === 'struct' || t.kind === 'map' || t.kind === 'untyped';
