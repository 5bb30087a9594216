import { describe, expect, it } from 'vitest';
import { AccessPolicy, type AccessRequest } from '../../src/access.js';
import { AccessError } from '../../src/errors.js';
import { type PlannedDeclaration, planAllows, type RbacPlan, rbacPlan } from '../../src/rbac.js';

const widgets = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true };
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const secrets = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };

const declarations: PlannedDeclaration[] = [
  { ...widgets, verbs: ['list', 'get'], namespaces: ['team-b', 'team-a'], subresources: ['status'] },
  { ...widgets, verbs: ['patch'], namespaces: ['team-a'] },
  { ...configMaps, verbs: ['get', 'patch', 'delete'], names: ['settings', 'flags'], subresources: ['status'] },
  { ...configMaps, verbs: ['list'] },
  { ...nodes, verbs: ['get', 'list'] },
  { ...certificates, verbs: ['list'], namespaces: '*' },
];

describe('AccessPolicy.check', () => {
  const policy = new AccessPolicy(declarations, 'jobs');
  const refusal = (r: AccessRequest) => {
    try {
      policy.check(r);
    } catch (error) {
      expect(error).toBeInstanceOf(AccessError);
      return (error as Error).message;
    }
    return undefined;
  };

  it('allows what the declarations grant', () => {
    expect(refusal({ ref: widgets, verb: 'get', scope: 'team-b', name: 'w' })).toBeUndefined();
    expect(refusal({ ref: widgets, verb: 'patch', scope: 'team-a', name: 'w' })).toBeUndefined();
    expect(refusal({ ref: widgets, verb: 'get', scope: 'team-a', name: 'w', subresource: 'status' })).toBeUndefined();
    expect(refusal({ ref: configMaps, verb: 'patch', scope: 'jobs', name: 'flags' })).toBeUndefined();
    expect(refusal({ ref: configMaps, verb: 'patch', scope: 'jobs', name: 'flags', subresource: 'status' })).toBeUndefined();
    expect(refusal({ ref: configMaps, verb: 'list', scope: 'jobs' })).toBeUndefined();
    expect(refusal({ ref: nodes, verb: 'list', scope: undefined })).toBeUndefined();
    expect(refusal({ ref: certificates, verb: 'list', scope: '*' })).toBeUndefined();
    expect(refusal({ ref: certificates, verb: 'list', scope: 'anywhere' })).toBeUndefined();
    expect(policy.allows({ ref: widgets, verb: 'delete', scope: 'team-a', name: 'w' })).toBe(false);
  });

  it('an undeclared resource: says what declaration to add', () => {
    expect(refusal({ ref: secrets, verb: 'get', scope: 'jobs', name: 's' })).toBe(
      "the job did not declare secrets: add { group: '', version: 'v1', plural: 'secrets', namespaced: true, verbs: ['get'] } to its resources",
    );
  });

  it('an undeclared verb', () => {
    expect(refusal({ ref: widgets, verb: 'delete', scope: 'team-a', name: 'w' })).toBe(
      `the job did not declare verb "delete" on widgets.example.com: add 'delete' to that declaration's verbs`,
    );
  });

  it('a cluster-scoped call of a namespaced declaration', () => {
    expect(refusal({ ref: widgets, verb: 'list', scope: undefined })).toBe(
      'the job calls widgets.example.com as cluster-scoped but declared it namespaced: set namespaced: false on that declaration',
    );
  });

  it("a list across all namespaces without namespaces: '*'", () => {
    expect(refusal({ ref: widgets, verb: 'list', scope: '*' })).toBe(
      "the job lists widgets.example.com in all namespaces but did not declare it: set namespaces: '*' on that declaration",
    );
  });

  it('a namespace not declared', () => {
    expect(refusal({ ref: widgets, verb: 'get', scope: 'team-c', name: 'w' })).toBe(
      `the job did not declare get on widgets.example.com in namespace "team-c": add 'team-c' to that declaration's namespaces (or use '*')`,
    );
    // patch is declared in team-a only; get in team-b does not make it a patch there.
    expect(refusal({ ref: widgets, verb: 'patch', scope: 'team-b', name: 'w' })).toBe(
      `the job did not declare patch on widgets.example.com in namespace "team-b": add 'team-b' to that declaration's namespaces (or use '*')`,
    );
  });

  it('a name outside `names`', () => {
    expect(refusal({ ref: configMaps, verb: 'get', scope: 'jobs', name: 'other' })).toBe(
      `the job declared get on configmaps only for names settings, flags, not "other": add 'other' to that declaration's names`,
    );
  });

  it('a call that names no object, of a verb declared only for `names`', () => {
    const policyWithNames = new AccessPolicy([{ ...configMaps, verbs: ['get', 'list', 'create'], names: ['settings'] }], 'jobs');
    expect(() => policyWithNames.check({ ref: configMaps, verb: 'list', scope: 'jobs' })).toThrow(
      "the job declared list on configmaps only for names settings, and a list names no object: declare 'list' on configmaps in a declaration without names",
    );
    expect(() => policyWithNames.check({ ref: configMaps, verb: 'create', scope: 'jobs' })).toThrow(/a create names no object/);
  });

  it('a subresource not declared', () => {
    expect(refusal({ ref: widgets, verb: 'patch', scope: 'team-a', name: 'w', subresource: 'status' })).toBe(
      "the job writes widgets.example.com/status but did not declare it: add subresources: ['status'] to that declaration",
    );
    const plain = new AccessPolicy([{ ...secrets, verbs: ['patch'] }], 'jobs');
    expect(() => plain.check({ ref: secrets, verb: 'patch', scope: 'jobs', name: 's', subresource: 'status' })).toThrow(
      "the job writes secrets/status but did not declare it: add subresources: ['status'] to that declaration",
    );
  });
});

describe('rbacPlan', () => {
  it('makes a Role per namespace and a ClusterRole for cluster-scoped and all-namespace declarations', () => {
    const plan = rbacPlan(declarations, 'jobs');
    expect([...plan.namespaced.keys()]).toEqual(['jobs', 'team-a', 'team-b']);
    expect(plan.namespaced.get('jobs')).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch', 'delete'], resourceNames: ['flags', 'settings'] },
      { apiGroups: [''], resources: ['configmaps/status'], verbs: ['get', 'patch'], resourceNames: ['flags', 'settings'] },
    ]);
    // Two declarations of widgets in team-a merge into one rule; status carries only get (not list) over.
    expect(plan.namespaced.get('team-a')).toEqual([
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'patch'] },
      { apiGroups: ['example.com'], resources: ['widgets/status'], verbs: ['get'] },
    ]);
    expect(plan.namespaced.get('team-b')).toEqual([
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list'] },
      { apiGroups: ['example.com'], resources: ['widgets/status'], verbs: ['get'] },
    ]);
    expect(plan.cluster).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
      { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['list'] },
    ]);
  });

  it('needs no ClusterRole for namespaced declarations', () => {
    expect(rbacPlan([{ ...configMaps, verbs: ['get'] }], 'jobs')).toEqual({
      namespaced: new Map([['jobs', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]]]),
      cluster: [],
    });
  });

  it('grants a subresource only the verbs it has (get, patch, update), and nothing when none is declared', () => {
    const plan = rbacPlan([{ ...widgets, verbs: ['list', 'create', 'delete'], subresources: ['status'] }], 'ns');
    expect(plan.namespaced.get('ns')).toEqual([
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['list', 'create', 'delete'] },
    ]);
    const update = rbacPlan([{ ...widgets, verbs: ['update', 'patch', 'get'], subresources: ['status'] }], 'ns');
    expect(update.namespaced.get('ns')?.[1]).toEqual({
      apiGroups: ['example.com'],
      resources: ['widgets/status'],
      verbs: ['get', 'update', 'patch'],
    });
  });

  it('keeps rules with different names apart, and sorts and dedupes names', () => {
    const plan = rbacPlan(
      [
        { ...configMaps, verbs: ['get'], names: ['b', 'a', 'b'] },
        { ...configMaps, verbs: ['patch'], names: ['a', 'b'] },
        { ...configMaps, verbs: ['delete'], names: ['c'] },
        { ...configMaps, verbs: ['list'], names: [] },
      ],
      'ns',
    );
    expect(plan.namespaced.get('ns')).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'], resourceNames: ['a', 'b'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['delete'], resourceNames: ['c'] },
    ]);
  });
});

describe('planAllows', () => {
  const plan = rbacPlan(declarations, 'jobs');
  it.each([
    // resourceNames
    [{ verb: 'get', group: '', resource: 'configmaps', namespace: 'jobs', name: 'settings' }, true],
    [{ verb: 'get', group: '', resource: 'configmaps', namespace: 'jobs', name: 'other' }, false],
    [{ verb: 'get', group: '', resource: 'configmaps', namespace: 'jobs' }, false],
    [{ verb: 'list', group: '', resource: 'configmaps', namespace: 'jobs' }, true],
    [{ verb: 'delete', group: '', resource: 'configmaps', namespace: 'ops', name: 'settings' }, false],
    // subresources
    [{ verb: 'patch', group: '', resource: 'configmaps', subresource: 'status', namespace: 'jobs', name: 'flags' }, true],
    [{ verb: 'patch', group: '', resource: 'configmaps', subresource: 'status', namespace: 'jobs', name: 'x' }, false],
    [{ verb: 'delete', group: '', resource: 'configmaps', subresource: 'status', namespace: 'jobs', name: 'flags' }, false],
    [{ verb: 'get', group: 'example.com', resource: 'widgets', subresource: 'status', namespace: 'team-a', name: 'w' }, true],
    [{ verb: 'patch', group: 'example.com', resource: 'widgets', subresource: 'status', namespace: 'team-a', name: 'w' }, false],
    [{ verb: 'patch', group: 'example.com', resource: 'widgets', namespace: 'team-a', name: 'w' }, true],
    // scope
    [{ verb: 'list', group: 'example.com', resource: 'widgets', namespace: undefined }, false],
    [{ verb: 'list', group: 'example.com', resource: 'widgets', namespace: 'team-c' }, false],
    [{ verb: 'list', group: 'cert-manager.io', resource: 'certificates', namespace: undefined }, true],
    [{ verb: 'list', group: 'cert-manager.io', resource: 'certificates', namespace: 'anywhere' }, true],
    [{ verb: 'get', group: '', resource: 'nodes', namespace: undefined, name: 'n1' }, true],
    // group
    [{ verb: 'list', group: 'other.example.com', resource: 'widgets', namespace: 'team-a' }, false],
  ] as const)('%j → %s', (attributes, allowed) => {
    expect(planAllows(plan, attributes)).toBe(allowed);
  });

  it('honours wildcards and an empty resourceNames, as the RBAC authorizer does', () => {
    const wide: RbacPlan = {
      namespaced: new Map([['ns', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'], resourceNames: [] }]]]),
      cluster: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }],
    };
    expect(planAllows(wide, { verb: 'get', group: 'x.io', resource: 'things', namespace: 'ns', name: 'a' })).toBe(true);
    expect(planAllows(wide, { verb: 'list', group: 'x.io', resource: 'things', namespace: 'ns' })).toBe(false);
    expect(planAllows(wide, { verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'any', name: 'd' })).toBe(true);
  });
});
