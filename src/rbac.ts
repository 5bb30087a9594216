import type { ResourceDeclaration, Subresource } from './job.js';

/** An RBAC PolicyRule, as in a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The least-privilege RBAC a job needs, from its declarations: rules per
 * namespace (a Role and RoleBinding in each) and cluster-wide rules (a
 * ClusterRole and ClusterRoleBinding), the latter only for cluster-scoped
 * resources and for declarations with `namespaces: '*'`.
 *
 * `kubepoll manifests` writes these objects, the client refuses calls they do
 * not allow (`access.ts`), and the test kit's fake API server authorises
 * requests with the same plan, so a job that passes its tests is granted
 * exactly what it used.
 */
export interface RbacPlan {
  /** Namespace → rules of the Role there. Sorted by namespace. */
  namespaced: Map<string, PolicyRule[]>;
  /** Rules of the ClusterRole; empty when none is needed. */
  cluster: PolicyRule[];
}

/** A declaration as the plan reads it; kubepoll's own (the scheduler's Lease) may use `update` too. */
export type PlannedDeclaration = Omit<ResourceDeclaration, 'verbs'> & { verbs: readonly string[] };

/** Verbs in the order Kubernetes documentation lists them. */
const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** The verbs a subresource grant carries over from its declaration (there is no list or create of `/status`). */
const SUBRESOURCE_VERBS = new Set(['get', 'patch', 'update']);

export function rbacPlan(declarations: readonly PlannedDeclaration[], jobNamespace: string): RbacPlan {
  const namespaced = new Map<string, Map<string, Set<string>>>();
  const cluster = new Map<string, Set<string>>();
  const add = (target: Map<string, Set<string>>, d: PlannedDeclaration) => {
    const names = d.names && d.names.length > 0 ? [...new Set(d.names)].sort().join('\u0001') : '';
    const grant = (resource: string, verbs: readonly string[]) => {
      if (verbs.length === 0) return;
      const key = `${d.group}\u0000${resource}\u0000${names}`;
      const set = target.get(key) ?? new Set<string>();
      for (const verb of verbs) set.add(verb);
      target.set(key, set);
    };
    grant(d.plural, d.verbs);
    for (const sub of d.subresources ?? [])
      grant(
        `${d.plural}/${sub}`,
        d.verbs.filter((v) => SUBRESOURCE_VERBS.has(v)),
      );
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
        const [group = '', resource = '', names = ''] = key.split('\u0000');
        const rule: PolicyRule = {
          apiGroups: [group],
          resources: [resource],
          verbs: [...verbs].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b)),
        };
        if (names) rule.resourceNames = names.split('\u0001');
        return rule;
      });
  return {
    namespaced: new Map([...namespaced].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ns, rules]) => [ns, toRules(rules)])),
    cluster: toRules(cluster),
  };
}

/** What the RBAC authorizer is asked: as in a SubjectAccessReview's resourceAttributes. */
export interface AccessAttributes {
  verb: string;
  group: string;
  /** The plural, without the subresource. */
  resource: string;
  subresource?: Subresource | string | undefined;
  /** `undefined` for cluster scope or a list across all namespaces. */
  namespace: string | undefined;
  /** The object's name, when the request names one. */
  name?: string | undefined;
}

/**
 * Whether a plan allows a request, as the RBAC authorizer decides: a
 * ClusterRole bound cluster-wide applies everywhere, a Role only in its
 * namespace; a rule with `resourceNames` only for those names.
 */
export function planAllows(plan: RbacPlan, a: AccessAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const matches = (rules: readonly PolicyRule[]) =>
    rules.some(
      (r) =>
        (r.apiGroups.includes(a.group) || r.apiGroups.includes('*')) &&
        (r.resources.includes(resource) || r.resources.includes('*')) &&
        (r.verbs.includes(a.verb) || r.verbs.includes('*')) &&
        (r.resourceNames === undefined ||
          r.resourceNames.length === 0 ||
          (a.name !== undefined && r.resourceNames.includes(a.name))),
    );
  if (matches(plan.cluster)) return true;
  return a.namespace !== undefined && matches(plan.namespaced.get(a.namespace) ?? []);
}
