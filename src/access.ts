import { resourceName } from './api-path.js';
import { AccessError } from './errors.js';
import type { ResourceRef, Subresource } from './job.js';
import { type PlannedDeclaration, planAllows, type RbacPlan, rbacPlan } from './rbac.js';

/** Where a call goes: one namespace, every namespace (`'*'`), or cluster scope (`undefined`). */
export type Scope = string | '*' | undefined;

/** One call as the access check sees it. */
export interface AccessRequest {
  ref: ResourceRef;
  /** The RBAC verb: `get`, `list`, `create`, `patch`, `update`, `delete`. */
  verb: string;
  scope: Scope;
  name?: string | undefined;
  subresource?: Subresource | undefined;
}

/**
 * A job's declarations and the RBAC plan made from them. `check` refuses, before
 * any request is sent, what the plan does not allow: the very rules `kubepoll
 * manifests` grants and the test kit authorises with, so a call allowed here
 * cannot be denied in the cluster for a missing permission.
 */
export class AccessPolicy {
  readonly #declarations: readonly PlannedDeclaration[];
  readonly #plan: RbacPlan;

  constructor(declarations: readonly PlannedDeclaration[], jobNamespace: string) {
    this.#declarations = declarations;
    this.#plan = rbacPlan(declarations, jobNamespace);
  }

  /** Whether the declarations allow the call. */
  allows(r: AccessRequest): boolean {
    return planAllows(this.#plan, {
      verb: r.verb,
      group: r.ref.group,
      resource: r.ref.plural,
      subresource: r.subresource,
      namespace: r.scope === '*' ? undefined : r.scope,
      name: r.name,
    });
  }

  /** Throws an `AccessError` naming what to add to the declarations, unless they allow the call. */
  check(r: AccessRequest): void {
    if (this.allows(r)) return;
    throw new AccessError(this.#explain(r));
  }

  #explain(r: AccessRequest): string {
    const { ref, verb, scope } = r;
    const name = resourceName(ref);
    const matching = this.#declarations.filter((d) => d.group === ref.group && d.plural === ref.plural);
    if (matching.length === 0) {
      return `the job did not declare ${name}: add { group: '${ref.group}', version: '${ref.version}', plural: '${ref.plural}', namespaced: ${ref.namespaced}, verbs: ['${verb}'] } to its resources`;
    }
    const withVerb = matching.filter((d) => d.verbs.includes(verb));
    if (withVerb.length === 0) {
      return `the job did not declare verb "${verb}" on ${name}: add '${verb}' to that declaration's verbs`;
    }
    // The subresource must be on a declaration that has the verb: `get` with status does not grant a status patch.
    if (r.subresource !== undefined && !withVerb.some((d) => d.subresources?.includes(r.subresource as Subresource))) {
      return `the job writes ${name}/${r.subresource} but did not declare it: add subresources: ['${r.subresource}'] to that declaration`;
    }
    if (scope === undefined) {
      return `the job calls ${name} as cluster-scoped but declared it namespaced: set namespaced: false on that declaration`;
    }
    if (scope === '*') {
      return `the job lists ${name} in all namespaces but did not declare it: set namespaces: '*' on that declaration`;
    }
    const inScope = (d: PlannedDeclaration) =>
      d.namespaces === '*' || d.namespaces === undefined || (d.namespaces as readonly string[]).includes(scope);
    const named = matching.filter((d) => d.verbs.includes(verb) && inScope(d) && d.names !== undefined);
    const names = named.flatMap((d) => d.names ?? []).join(', ');
    if (named.length > 0 && r.name === undefined) {
      // RBAC's resourceNames cannot allow a request that names no object (a list, a create).
      return `the job declared ${verb} on ${name} only for names ${names}, and a ${verb} names no object: declare '${verb}' on ${name} in a declaration without names`;
    }
    if (named.length > 0 && !named.some((d) => d.names?.includes(r.name as string))) {
      return `the job declared ${verb} on ${name} only for names ${names}, not "${r.name}": add '${r.name}' to that declaration's names`;
    }
    return `the job did not declare ${verb} on ${name} in namespace "${scope}": add '${scope}' to that declaration's namespaces (or use '*')`;
  }
}
