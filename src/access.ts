import { resourceName } from './api-path.js';
import { AccessError } from './errors.js';
import type { ResourceDeclaration, ResourceRef, Verb } from './job.js';
import { planAllows, type RbacPlan } from './rbac.js';

/** Where a call goes: one namespace, every namespace (`'*'`), or cluster scope (`undefined`). */
export type Scope = string | '*' | undefined;

/**
 * Enforces a job's declarations before any request is sent. The decision is the
 * RBAC plan's (`planAllows`), the very rules `kubepoll manifests` grants and the
 * test kit authorises with, so a call allowed here cannot be denied in the
 * cluster for a missing permission. Throws an `AccessError` naming what to add.
 */
export function assertDeclared(
  declarations: readonly ResourceDeclaration[],
  plan: RbacPlan,
  ref: ResourceRef,
  verb: Verb,
  scope: Scope,
): void {
  if (planAllows(plan, verb, ref.group, ref.plural, scope === '*' ? undefined : scope)) return;
  const name = resourceName(ref);
  const matching = declarations.filter((d) => d.group === ref.group && d.plural === ref.plural);
  if (matching.length === 0) {
    throw new AccessError(
      `the job did not declare ${name}: add { group: '${ref.group}', version: '${ref.version}', plural: '${ref.plural}', namespaced: ${ref.namespaced}, verbs: ['${verb}'] } to its resources`,
    );
  }
  if (!matching.some((d) => d.verbs.includes(verb))) {
    throw new AccessError(`the job did not declare verb "${verb}" on ${name}: add '${verb}' to that declaration's verbs`);
  }
  if (scope === undefined) {
    throw new AccessError(
      `the job calls ${name} as cluster-scoped but declared it namespaced: set namespaced: false on that declaration`,
    );
  }
  if (scope === '*') {
    throw new AccessError(
      `the job lists ${name} in all namespaces but did not declare it: set namespaces: '*' on that declaration`,
    );
  }
  throw new AccessError(
    `the job did not declare ${verb} on ${name} in namespace "${scope}": add '${scope}' to that declaration's namespaces (or use '*')`,
  );
}
