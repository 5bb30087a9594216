import type { ResourceRef, Subresource } from './job.js';

/** `plural.group`, or `plural` for the core group: the name kubectl and RBAC messages use. */
export function resourceName(ref: Pick<ResourceRef, 'group' | 'plural'>): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

/**
 * URL path of a collection (`name` omitted) or of one object (or its subresource).
 * `namespace` undefined means cluster-scoped, or every namespace for a namespaced list.
 *
 * @example
 * apiPath({ group: '', version: 'v1', plural: 'configmaps', namespaced: true }, 'team-a', 'x')
 * // → /api/v1/namespaces/team-a/configmaps/x
 */
export function apiPath(ref: ResourceRef, namespace: string | undefined, name?: string, subresource?: Subresource): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `${base}${ns}/${ref.plural}${object}${sub}`;
}

/**
 * Throws a `TypeError` unless `value` can be one path segment of a request, as
 * client-go's `IsValidPathSegmentName`: not empty, not `.` or `..`, no `/` or
 * `%`. Without it `ctx.delete(ref, '')` would be `DELETE .../widgets`, a
 * deletecollection, and `..` would climb the URL.
 */
export function assertPathSegment(value: unknown, what: 'resource name' | 'namespace'): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `${what} may not be empty${typeof value === 'string' ? '' : ` (got ${value === null ? 'null' : typeof value})`}`,
    );
  }
  if (value === '.' || value === '..') throw new TypeError(`${what} may not be "${value}"`);
  if (value.includes('/') || value.includes('%')) throw new TypeError(`${what} "${value}" may not contain '/' or '%'`);
}
