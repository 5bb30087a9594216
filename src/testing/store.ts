import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../job.js';
import { BUILTIN_SCHEMAS, crdFieldType, type FieldType, type JsonSchema, UNTYPED_OBJECT } from './field-schema.js';
import { type FieldMatcher, type Matcher, parseFieldSelector, parseLabelSelector } from './selectors.js';

/** A resource type the fake cluster serves. */
export interface ServedResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Served by kube-apiserver itself (not by a CRD). */
  builtin: boolean;
  /** A `<plural>/status` subresource: status is written there only. */
  statusSubresource: boolean;
  /** The CRD version's openAPIV3Schema (custom resources). */
  schema?: JsonSchema;
  /** The shape ownership (managedFields) is tracked over. */
  fieldType: FieldType;
  /** The verbs discovery lists. */
  verbs: readonly string[];
  /** Where storage lives, for discovery's storageVersionHash (events.k8s.io Events are stored as core Events). */
  storage?: { group: string; version: string; kind: string };
}

/** Discovery's verb lists: built-in resources sort them, CRDs keep the apiextensions order. */
const BUILTIN_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CRD_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

function builtin(
  group: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ServedResource> = {},
): ServedResource {
  return {
    group,
    version: 'v1',
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    builtin: true,
    statusSubresource: false,
    fieldType: BUILTIN_SCHEMAS[`${group}/${kind}`] ?? UNTYPED_OBJECT,
    verbs: BUILTIN_VERBS,
    ...extra,
  };
}
const core = (plural: string, kind: string, namespaced: boolean, extra: Partial<ServedResource> = {}) =>
  builtin('', plural, kind, namespaced, extra);

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** Built-in resources every fake cluster serves; custom resources come from CRDs. */
export const BUILTIN_RESOURCES: readonly ServedResource[] = [
  core('namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  core('secrets', 'Secret', true),
  core('events', 'Event', true, { shortNames: ['ev'] }),
  core('pods', 'Pod', true, { shortNames: ['po'], categories: ['all'] }),
  core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  builtin('coordination.k8s.io', 'leases', 'Lease', true),
  builtin('events.k8s.io', 'events', 'Event', true, {
    shortNames: ['ev'],
    storage: { group: '', version: 'v1', kind: 'Event' },
  }),
  builtin('apiextensions.k8s.io', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
  }),
];

interface Stored {
  object: KubeObject;
  /** The object serialised once, so pages are served by joining strings. */
  json: string;
  /** As a list item (built-in kinds: without kind and apiVersion). */
  listJson: string;
}

/** The objects of one resource type (all versions share storage, as in etcd). */
class Collection {
  readonly byKey = new Map<string, Stored>();
  #sorted: string[] | undefined;

  /** Keys in storage order (`namespace/name`), as the API server lists them. */
  keys(): string[] {
    this.#sorted ??= [...this.byKey.keys()].sort(compareKeys);
    return this.#sorted;
  }
  set(key: string, stored: Stored): void {
    if (!this.byKey.has(key)) this.#sorted = undefined;
    this.byKey.set(key, stored);
  }
  delete(key: string): void {
    if (this.byKey.delete(key)) this.#sorted = undefined;
  }
}

/** Byte order, like etcd keys. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const storageKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export interface ListQuery {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  /** Storage key to start from (decoded from the continue token). */
  start?: string | undefined;
}

export interface ListPage {
  itemsJson: string[];
  /** The same items as objects. */
  items: KubeObject[];
  /** Where the next page starts (the last key scanned + NUL, as in real continue tokens), when more keys remain. */
  next?: string;
  remainingItemCount?: number;
}

/** In-memory object store with a resource registry and a global resourceVersion. */
export class Store {
  readonly #resources: ServedResource[] = [...BUILTIN_RESOURCES];
  readonly #collections = new Map<string, Collection>();
  #resourceVersion = 1;

  /** A cluster always has these namespaces. */
  constructor() {
    for (const ns of SYSTEM_NAMESPACES) this.ensureNamespace(ns);
  }

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  resources(): readonly ServedResource[] {
    return this.#resources;
  }

  /** The resource served at `group/version/plural`, if any. */
  resource(group: string, version: string, plural: string): ServedResource | undefined {
    return this.#resources.find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  resourceForKind(apiVersion: string, kind: string): ServedResource | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return this.#resources.find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  /** Serves the custom resource a CRD defines (every served version). */
  registerCrd(crd: KubeObject): void {
    const spec = crd.spec as
      | {
          group?: string;
          scope?: string;
          names?: {
            plural?: string;
            singular?: string;
            kind?: string;
            listKind?: string;
            shortNames?: string[];
            categories?: string[];
          };
          versions?: {
            name?: string;
            served?: boolean;
            storage?: boolean;
            subresources?: { status?: object };
            schema?: { openAPIV3Schema?: JsonSchema };
          }[];
        }
      | undefined;
    const names = spec?.names;
    if (!spec?.group || !names?.plural || !names.kind || !spec.versions?.length) {
      throw new Error('CustomResourceDefinition needs spec.group, spec.names.plural, spec.names.kind and spec.versions');
    }
    const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? 'v1';
    for (const v of spec.versions) {
      if (!v.name || v.served === false || this.resource(spec.group, v.name, names.plural)) continue;
      const schema = v.schema?.openAPIV3Schema;
      this.#resources.push({
        group: spec.group,
        version: v.name,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        namespaced: spec.scope !== 'Cluster',
        ...(names.shortNames ? { shortNames: names.shortNames } : {}),
        ...(names.categories ? { categories: names.categories } : {}),
        builtin: false,
        statusSubresource: v.subresources?.status !== undefined,
        ...(schema ? { schema } : {}),
        fieldType: crdFieldType(schema),
        verbs: CRD_VERBS,
        storage: { group: spec.group, version: storage, kind: names.kind },
      });
    }
  }

  #collection(resource: ServedResource): Collection {
    const id = `${resource.group}/${resource.plural}`;
    let collection = this.#collections.get(id);
    if (!collection) {
      collection = new Collection();
      this.#collections.set(id, collection);
    }
    return collection;
  }

  get(resource: ServedResource, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#collection(resource).byKey.get(storageKey(namespace, name))?.object;
  }

  /** Every stored object of a resource, in list order. */
  all(resource: ServedResource): KubeObject[] {
    const collection = this.#collection(resource);
    return collection.keys().map((k) => (collection.byKey.get(k) as Stored).object);
  }

  /**
   * Stores an object (create or replace) with a new resourceVersion and, on
   * create, a uid and creationTimestamp (kept when the object already has one).
   * With `dryRun` the answer is computed and nothing changes (a dry-run create
   * has no resourceVersion, as on a real server).
   */
  put(resource: ServedResource, object: KubeObject, options: { dryRun?: boolean } = {}): KubeObject {
    const metadata = { ...(object.metadata ?? {}) } as Record<string, unknown>;
    const namespace = resource.namespaced ? (metadata.namespace as string) : undefined;
    const name = metadata.name as string;
    const existing = this.get(resource, namespace, name);
    const rv = this.#resourceVersion + 1;
    metadata.uid = (existing?.metadata?.uid as string | undefined) ?? (metadata.uid as string | undefined) ?? randomUUID();
    metadata.creationTimestamp ??= existing?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (!options.dryRun) metadata.resourceVersion = String(rv);
    else if (existing?.metadata?.resourceVersion) metadata.resourceVersion = existing.metadata.resourceVersion;
    else delete metadata.resourceVersion;
    const stored: KubeObject = {
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      kind: resource.kind,
      ...object,
      metadata,
    };
    if (options.dryRun) return stored;
    this.#resourceVersion = rv;
    const json = JSON.stringify(stored);
    // Lists of built-in kinds carry no kind and apiVersion on their items (custom resource lists do).
    const { apiVersion: _a, kind: _k, ...item } = stored;
    this.#collection(resource).set(storageKey(namespace, name), {
      object: stored,
      json,
      listJson: resource.builtin ? JSON.stringify(item) : json,
    });
    if (resource.group === 'apiextensions.k8s.io' && resource.plural === 'customresourcedefinitions') this.registerCrd(stored);
    return stored;
  }

  remove(resource: ServedResource, namespace: string | undefined, name: string, options: { dryRun?: boolean } = {}): void {
    if (options.dryRun) return;
    this.#resourceVersion++;
    this.#collection(resource).delete(storageKey(namespace, name));
  }

  /** The Namespace object `name`, created (as the API server would: label, finalizer, phase) when missing. */
  ensureNamespace(name: string): KubeObject {
    const namespaces = this.resource('', 'v1', 'namespaces') as ServedResource;
    return (
      this.get(namespaces, undefined, name) ??
      this.put(namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      })
    );
  }

  /**
   * One page of a list, in storage-key order from `start`. With selectors the
   * page may be short (or empty) and still have a `next`, as on a real server.
   * Throws `SelectorError` for a selector the API server would refuse.
   */
  list(resource: ServedResource, query: ListQuery): ListPage {
    const labels: Matcher | undefined = query.labelSelector ? parseLabelSelector(query.labelSelector) : undefined;
    const fields: FieldMatcher | undefined = query.fieldSelector
      ? parseFieldSelector(query.fieldSelector, resource.builtin)
      : undefined;
    const collection = this.#collection(resource);
    const keys = collection.keys();
    const prefix = query.namespace === undefined ? '' : `${query.namespace}/`;
    let from = lowerBound(keys, query.start !== undefined && query.start > prefix ? query.start : prefix);
    const limit = query.limit && query.limit > 0 ? query.limit : Number.POSITIVE_INFINITY;
    const itemsJson: string[] = [];
    const items: KubeObject[] = [];
    // With selectors the server scans at most a few pages' worth of keys per request.
    const scanBudget = labels || fields ? Math.max(limit * 4, 1000) : Number.POSITIVE_INFINITY;
    let scanned = 0;
    for (; from < keys.length && itemsJson.length < limit && scanned < scanBudget; from++, scanned++) {
      const key = keys[from] as string;
      if (prefix && !key.startsWith(prefix)) {
        from = keys.length;
        break;
      }
      const stored = collection.byKey.get(key) as Stored;
      if (labels && !labels((stored.object.metadata?.labels as Record<string, string> | undefined) ?? {})) continue;
      if (fields && !fields(stored.object)) continue;
      itemsJson.push(stored.listJson);
      items.push(stored.object);
    }
    const more = from < keys.length && (!prefix || (keys[from] as string).startsWith(prefix));
    if (!more) return { itemsJson, items };
    const page: ListPage = { itemsJson, items, next: `${keys[from - 1] as string}\u0000` };
    if (!labels && !fields) page.remainingItemCount = countWithPrefix(keys, from, prefix);
    return page;
  }
}

function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countWithPrefix(keys: readonly string[], from: number, prefix: string): number {
  if (!prefix) return keys.length - from;
  return lowerBound(keys, `${prefix.slice(0, -1)}0`) - from; // '0' sorts right after '/'
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
