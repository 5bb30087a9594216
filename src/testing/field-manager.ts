/**
 * `metadata.managedFields`, as kube-apiserver keeps it
 * (k8s.io/apimachinery/pkg/util/managedfields and structured-merge-diff's
 * merge/update.go): every write records which manager owns which fields; an
 * apply merges the applier's configuration, removes the fields it stopped
 * applying, and fails with a conflict when it would change a field another
 * manager owns (unless forced).
 */
import type { KubeObject } from '../job.js';
import { compare, deepEqual, merge, removePaths, toFieldSet, withNamedParents } from './field-ops.js';
import type { FieldType } from './field-schema.js';
import { type FieldPath, FieldSet, pathString } from './field-set.js';

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  /** RFC 3339, seconds; absent when the entry was made by a write that changed nothing. */
  time?: string;
  set: FieldSet;
}

/** Who writes, and how. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string | undefined;
}

export interface Conflict {
  manager: string;
  path: FieldPath;
}

/** A server-side apply would change fields other managers own. */
export class ApplyConflict extends Error {
  override name = 'ApplyConflict';
  readonly conflicts: Conflict[];
  constructor(conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
    this.conflicts = conflicts;
  }
}

/** Paths never owned: the object's identity and what the server sets (stripmeta.go). */
const STRIPPED = FieldSet.of(
  [
    ['f:apiVersion'],
    ['f:kind'],
    ['f:metadata'],
    ...[
      'name',
      'namespace',
      'creationTimestamp',
      'selfLink',
      'uid',
      'clusterName',
      'generation',
      'managedFields',
      'resourceVersion',
    ].map((f) => ['f:metadata', `f:${f}`]),
  ].map((p) => p as FieldPath),
);

/** The entries of an object's `metadata.managedFields`. */
export function decodeManagedFields(object: KubeObject | undefined): ManagerEntry[] {
  const raw = (object?.metadata?.managedFields ?? []) as Record<string, unknown>[];
  return raw.map((e) => ({
    manager: String(e.manager ?? ''),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e.apiVersion ?? ''),
    ...(e.subresource ? { subresource: String(e.subresource) } : {}),
    ...(e.time ? { time: String(e.time) } : {}),
    set: FieldSet.fromFieldsV1(e.fieldsV1),
  }));
}

/** The `metadata.managedFields` value, sorted as the API server sorts it: operation, time (seconds), manager, apiVersion, subresource. */
export function encodeManagedFields(entries: readonly ManagerEntry[]): Record<string, unknown>[] {
  const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return [...entries]
    .filter((e) => !e.set.empty())
    .sort(
      (a, b) =>
        cmp(a.operation, b.operation) ||
        seconds(a.time) - seconds(b.time) ||
        cmp(a.manager, b.manager) ||
        cmp(a.apiVersion, b.apiVersion) ||
        cmp(a.subresource ?? '', b.subresource ?? ''),
    )
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.time ? { time: e.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: e.set.toFieldsV1(),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const identity = (e: { manager: string; operation: string; apiVersion: string; subresource?: string | undefined }) =>
  JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? '']);

/** Without managedFields, resourceVersion and the like: what ownership is computed over. */
function ownedPart(object: KubeObject | undefined): KubeObject | undefined {
  if (!object) return undefined;
  const { managedFields: _mf, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}

/** Keeps only what a writer through `subresource` can own (the strategy's reset fields are never owned). */
function filter(set: FieldSet, reset: FieldSet): FieldSet {
  return set.difference(STRIPPED).recursiveDifference(reset);
}

/**
 * The managers after an update (create, replace, patch) from `live` to `next`:
 * the writer owns what it changed, nobody owns what it removed.
 */
export function recordUpdate(
  live: KubeObject | undefined,
  next: KubeObject,
  type: FieldType,
  writer: Writer,
  reset: FieldSet = new FieldSet(),
): ManagerEntry[] {
  const managers = decodeManagedFields(live);
  const c = compare(ownedPart(live) ?? {}, ownedPart(next), type);
  const removed = filter(c.removed, reset);
  const changed = filter(c.modified.union(c.added), reset);
  for (const m of managers) m.set = m.set.difference(removed).difference(changed);
  const me = {
    manager: writer.manager,
    operation: 'Update' as const,
    apiVersion: writer.apiVersion,
    subresource: writer.subresource,
  };
  let entry = managers.find((m) => identity(m) === identity(me));
  if (!changed.empty()) {
    if (!entry) {
      const created: ManagerEntry = { manager: me.manager, operation: 'Update', apiVersion: me.apiVersion, set: new FieldSet() };
      if (me.subresource) created.subresource = me.subresource;
      managers.push(created);
      entry = created;
    }
    entry.set = entry.set.union(changed);
    entry.time = now();
  }
  return managers.filter((m) => !m.set.empty());
}

/**
 * Server-side apply of `config` onto `live` (undefined: create-on-apply).
 * Resolves to the object to store and its managers, or throws `ApplyConflict`.
 */
export function applyConfiguration(
  live: KubeObject | undefined,
  config: KubeObject,
  type: FieldType,
  writer: Writer,
  options: { force: boolean; reset?: FieldSet },
): { object: KubeObject; managers: ManagerEntry[]; changed: boolean } {
  const reset = options.reset ?? new FieldSet();
  const managers = decodeManagedFields(live);
  const base = ownedPart(live) ?? {};
  const me = {
    manager: writer.manager,
    operation: 'Apply' as const,
    apiVersion: writer.apiVersion,
    subresource: writer.subresource,
  };
  let entry = managers.find((m) => identity(m) === identity(me));
  const lastSet = entry?.set;
  const set = filter(toFieldSet(config, type), reset);
  if (!entry) {
    entry = { manager: me.manager, operation: 'Apply', apiVersion: me.apiVersion, set };
    if (me.subresource) entry.subresource = me.subresource;
    managers.push(entry);
  }
  entry.set = set;
  entry.apiVersion = writer.apiVersion;

  let merged = merge(base, config, type) as KubeObject;
  if (lastSet && !lastSet.empty()) {
    // Fields the applier applied last time, does not apply now, and nobody else owns: removed.
    const owned = withNamedParents(
      managers.reduce((all, m) => all.union(m.set), new FieldSet()).union(toFieldSet(config, type)),
      type,
    );
    const stale = withNamedParents(lastSet, type)
      .paths()
      .filter((p) => !owned.hasPrefix(p) && !owned.has(p));
    merged = removePaths(merged, stale, type) as KubeObject;
  }

  const c = compare(base, merged, type);
  const changedFields = filter(c.modified.union(c.added), reset);
  const removed = filter(c.removed, reset);
  const conflicts: Conflict[] = [];
  for (const m of managers) {
    if (m === entry) continue;
    for (const path of m.set.intersection(changedFields).paths()) conflicts.push({ manager: managerName(m), path });
  }
  if (conflicts.length > 0 && !options.force) throw new ApplyConflict(conflicts);
  for (const m of managers) {
    if (m === entry) continue;
    m.set = m.set.difference(changedFields).difference(removed);
  }
  const changed = live === undefined || !deepEqual(base, merged);
  if (changed) entry.time = now();
  return { object: merged, managers: managers.filter((m) => !m.set.empty()), changed };
}

/** How a conflict names a manager: `"bob"`, `"kubectl" using v1`, `"x" with subresource "status"`. */
function managerName(m: ManagerEntry): string {
  let name = JSON.stringify(m.manager);
  if (m.subresource) name += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') name += ` using ${m.apiVersion}`;
  return name;
}

function conflictMessage(conflicts: readonly Conflict[]): string {
  const first = conflicts[0];
  if (conflicts.length === 1 && first)
    return `Apply failed with 1 conflict: conflict with ${first.manager}: ${pathString(first.path)}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), pathString(c.path)]);
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The Status causes of a conflict. */
export function conflictCauses(conflicts: readonly Conflict[]): Record<string, string>[] {
  return [...conflicts]
    .sort((a, b) => cmp(a.manager, b.manager))
    .map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: pathString(c.path) }));
}
