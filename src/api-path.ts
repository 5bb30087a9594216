import type { ResourceRef } from './job.js';

/** `plural.group`, or `plural` for the core group: the name kubectl and RBAC messages use. */
export function resourceName(ref: Pick<ResourceRef, 'group' | 'plural'>): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

/**
 * URL path of a collection (`name` omitted) or of one object.
 * `namespace` undefined means cluster-scoped, or every namespace for a namespaced list.
 *
 * @example
 * apiPath({ group: '', version: 'v1', plural: 'configmaps', namespaced: true }, 'team-a', 'x')
 * // → /api/v1/namespaces/team-a/configmaps/x
 */
export function apiPath(ref: ResourceRef, namespace: string | undefined, name?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${ref.plural}${object}`;
}
