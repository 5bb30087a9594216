import type { ResourceDeclaration } from './job.js';

/** An RBAC PolicyRule, as in a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * The least-privilege RBAC a job needs, from its declarations: rules per
 * namespace (a Role and RoleBinding in each) and cluster-wide rules (a
 * ClusterRole and ClusterRoleBinding), the latter only for cluster-scoped
 * resources and for declarations with `namespaces: '*'`.
 *
 * `kubepoll manifests` writes these objects, and the test kit's fake API server
 * authorises requests with the same plan, so a job that passes its tests is
 * granted exactly what it used.
 */
export interface RbacPlan {
  /** Namespace → rules of the Role there. Sorted by namespace. */
  namespaced: Map<string, PolicyRule[]>;
  /** Rules of the ClusterRole; empty when none is needed. */
  cluster: PolicyRule[];
}

/** Verbs in the order Kubernetes documentation lists them. */
const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export function rbacPlan(declarations: readonly ResourceDeclaration[], jobNamespace: string): RbacPlan {
  const namespaced = new Map<string, Map<string, Set<string>>>();
  const cluster = new Map<string, Set<string>>();
  const add = (target: Map<string, Set<string>>, d: ResourceDeclaration) => {
    const key = `${d.group}\u0000${d.plural}`;
    const verbs = target.get(key) ?? new Set<string>();
    for (const verb of d.verbs) verbs.add(verb);
    target.set(key, verbs);
  };
  for (const d of declarations) {
    if (!d.namespaced || d.namespaces === '*') {
      add(cluster, d);
      continue;
    }
    for (const ns of d.namespaces ?? [jobNamespace]) {
      const rules = namespaced.get(ns) ?? new Map<string, Set<string>>();
      add(rules, d);
      namespaced.set(ns, rules);
    }
  }
  const toRules = (byKey: Map<string, Set<string>>): PolicyRule[] =>
    [...byKey]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, verbs]) => {
        const [group = '', plural = ''] = key.split('\u0000');
        return {
          apiGroups: [group],
          resources: [plural],
          verbs: [...verbs].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b)),
        };
      });
  return {
    namespaced: new Map([...namespaced].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ns, rules]) => [ns, toRules(rules)])),
    cluster: toRules(cluster),
  };
}

/**
 * Whether a plan allows `verb` on `group/resource` in `namespace` (`undefined`
 * for cluster scope or a list across all namespaces), as the RBAC authorizer
 * decides: a ClusterRole bound cluster-wide applies everywhere; a Role only in
 * its namespace.
 */
export function planAllows(
  plan: RbacPlan,
  verb: string,
  group: string,
  resource: string,
  namespace: string | undefined,
): boolean {
  const matches = (rules: readonly PolicyRule[]) =>
    rules.some(
      (r) =>
        (r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
        (r.resources.includes(resource) || r.resources.includes('*')) &&
        (r.verbs.includes(verb) || r.verbs.includes('*')),
    );
  if (matches(plan.cluster)) return true;
  return namespace !== undefined && matches(plan.namespaced.get(namespace) ?? []);
}
