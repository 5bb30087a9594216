import { REDACTED } from './redact.js';

/** kubectl's annotation that holds the whole object as last applied: for a Secret, its data too. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** JSON patch paths that write a Secret's values: its data, the whole object, or the last-applied annotation. */
const SECRET_PATCH_PATH =
  /^(\/?$|\/(data|stringData)(\/|$)|\/metadata(\/annotations(\/kubectl\.kubernetes\.io~1last-applied-configuration)?)?$)/;

/** One field a write would change: `spec.replicas: 1 → 3`. */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** Metadata the server sets on every write; a dry run's change list leaves it out. */
const SERVER_FIELDS = new Set([
  'metadata.resourceVersion',
  'metadata.managedFields',
  'metadata.generation',
  'metadata.uid',
  'metadata.creationTimestamp',
  'metadata.selfLink',
]);

/**
 * The leaf fields that differ between `before` and `after` (objects compared
 * key by key; arrays and scalars as whole values). Pure.
 *
 * @example
 * changedFields({ spec: { a: 1, b: 2 } }, { spec: { a: 1, b: 3, c: 4 } })
 * // → [{ path: 'spec.b', from: 2, to: 3 }, { path: 'spec.c', to: 4 }]
 */
export function changedFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (SERVER_FIELDS.has(path)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedFields(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (sameJson(before, after)) return [];
  const change: FieldChange = { path };
  if (before !== undefined) change.from = before;
  if (after !== undefined) change.to = after;
  return [change];
}

/**
 * What a dry-run line may show of an object or a patch: a Secret's `data` and
 * `stringData` values never (their keys stay, so the line still says what).
 */
export function printable(value: unknown, isSecret: boolean): unknown {
  if (!isSecret) return value;
  if (Array.isArray(value)) {
    // A JSON patch: hide the value of every operation on data or stringData.
    return value.map((op: unknown) =>
      // A path of '' or '/' replaces the whole Secret; the last-applied annotation holds its data too.
      isPlainObject(op) && typeof op.path === 'string' && SECRET_PATCH_PATH.test(op.path) && 'value' in op
        ? { ...op, value: REDACTED }
        : op,
    );
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const key of ['data', 'stringData']) {
    const field = out[key];
    if (isPlainObject(field)) out[key] = Object.fromEntries(Object.keys(field).map((k) => [k, REDACTED]));
  }
  const metadata = out.metadata;
  if (isPlainObject(metadata) && isPlainObject(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    out.metadata = { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: REDACTED } };
  }
  return out;
}

/** A change list with a Secret's values hidden. */
export function printableChanges(changes: FieldChange[], isSecret: boolean): FieldChange[] {
  if (!isSecret) return changes;
  return changes.map((c) =>
    /^(data|stringData)(\.|$)/.test(c.path) || c.path === `metadata.annotations.${LAST_APPLIED}`
      ? { path: c.path, ...('from' in c ? { from: REDACTED } : {}), ...('to' in c ? { to: REDACTED } : {}) }
      : c,
  );
}

/** JSON equality: objects key by key in any order (the server's order need not be the job's), arrays item by item. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameJson(a[k], b[k]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
