import { resourceName } from './api-path.js';
import { AccessError } from './errors.js';
import type { ResourceDeclaration, ResourceRef, Verb } from './job.js';

/** Where a call goes: one namespace, every namespace (`'*'`), or cluster scope (`undefined`). */
export type Scope = string | '*' | undefined;

/**
 * Enforces a job's declarations before any request is sent: the declarations are
 * exactly what the generated RBAC grants, so a call they do not cover would be
 * denied in the cluster. Throws an `AccessError` naming what to add.
 */
export function assertDeclared(
  declarations: readonly ResourceDeclaration[],
  ref: ResourceRef,
  verb: Verb,
  scope: Scope,
  runNamespace: string,
): void {
  const name = resourceName(ref);
  const matching = declarations.filter((d) => d.group === ref.group && d.plural === ref.plural);
  if (matching.length === 0) {
    throw new AccessError(
      `the job did not declare ${name}: add { group: '${ref.group}', version: '${ref.version}', plural: '${ref.plural}', namespaced: ${ref.namespaced}, verbs: ['${verb}'] } to its resources`,
    );
  }
  const withVerb = matching.filter((d) => d.verbs.includes(verb));
  if (withVerb.length === 0) {
    throw new AccessError(`the job did not declare verb "${verb}" on ${name}: add '${verb}' to that declaration's verbs`);
  }
  if (!ref.namespaced) return;
  if (withVerb.some((d) => coversScope(d, scope, runNamespace))) return;
  if (scope === '*') {
    throw new AccessError(
      `the job lists ${name} in all namespaces but did not declare it: set namespaces: '*' on that declaration`,
    );
  }
  throw new AccessError(
    `the job did not declare ${verb} on ${name} in namespace "${scope}": add '${scope}' to that declaration's namespaces (or use '*')`,
  );
}

function coversScope(declaration: ResourceDeclaration, scope: Scope, runNamespace: string): boolean {
  const allowed = declaration.namespaces;
  if (allowed === '*') return true;
  if (scope === '*' || scope === undefined) return false;
  if (allowed === undefined) return scope === runNamespace;
  return allowed.includes(scope);
}
