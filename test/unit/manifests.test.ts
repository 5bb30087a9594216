import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { LoadedJob } from '../../src/job.js';
import { jobManifests, manifestsYaml } from '../../src/manifests.js';
import { planAllows, rbacPlan } from '../../src/rbac.js';

const run = () => undefined;
const job = (fields: Partial<LoadedJob>): LoadedJob => ({
  name: 'poller',
  resources: [],
  run,
  schedule: '*/10 * * * *',
  ...fields,
});

// biome-ignore lint/suspicious/noExplicitAny: a loose view of the generated CronJob for assertions
type CronJobShape = { spec: any };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ServiceAccount,
  Role,
  RoleBinding,
  ClusterRole,
  ClusterRoleBinding,
  CronJob,
  Job,
};

/** Validates each object against the Kubernetes OpenAPI schema of its kind (kubernetes-models). */
function validateAll(objects: Record<string, unknown>[]) {
  for (const object of objects) {
    const Model = MODELS[object.kind as string];
    expect(Model, `no schema for ${object.kind}`).toBeDefined();
    expect(() => new (Model as new (data: never) => { validate(): void })(object as never).validate()).not.toThrow();
  }
}

const mixed = job({
  timeoutSeconds: 120,
  timeZone: 'Europe/Berlin',
  concurrencyPolicy: 'Replace',
  resources: [
    {
      group: 'cert-manager.io',
      version: 'v1',
      plural: 'certificates',
      namespaced: true,
      verbs: ['list', 'get'],
      namespaces: '*',
    },
    { group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['get', 'patch'] },
    { group: '', version: 'v1', plural: 'events', namespaced: true, verbs: ['create'], namespaces: ['ops', 'audit'] },
    { group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', namespaced: false, verbs: ['get'] },
  ],
});

describe('kubepoll manifests', () => {
  it('every generated object validates against the Kubernetes OpenAPI schemas', () => {
    validateAll(jobManifests(mixed, { image: 'registry.example/kubepoll:1', namespace: 'jobs' }));
    validateAll(jobManifests(mixed, { image: 'registry.example/kubepoll:1', namespace: 'jobs', once: true }));
    // The check itself catches a broken object.
    const broken = jobManifests(mixed, { image: 'img', namespace: 'jobs' }).at(-1) as { spec: Record<string, unknown> };
    broken.spec.concurrencyPolicy = 'Sometimes';
    expect(() => new CronJob(broken as never).validate()).toThrow(/concurrencyPolicy/);
  });

  it('grants exactly the declared verbs: Roles per namespace, a ClusterRole only for cluster-wide access', () => {
    const objects = jobManifests(mixed, { image: 'img', namespace: 'jobs' });
    const summary = objects.map(
      (o) => `${o.kind} ${(o.metadata as { namespace?: string }).namespace ?? '-'}/${(o.metadata as { name: string }).name}`,
    );
    expect(summary).toEqual([
      'ServiceAccount jobs/kubepoll-poller',
      'Role audit/kubepoll-poller',
      'RoleBinding audit/kubepoll-poller',
      'Role jobs/kubepoll-poller',
      'RoleBinding jobs/kubepoll-poller',
      'Role ops/kubepoll-poller',
      'RoleBinding ops/kubepoll-poller',
      'ClusterRole -/kubepoll:jobs:poller',
      'ClusterRoleBinding -/kubepoll:jobs:poller',
      'CronJob jobs/poller',
    ]);
    const rules = (kind: string, ns?: string) =>
      objects.find((o) => o.kind === kind && (o.metadata as { namespace?: string }).namespace === ns)?.rules;
    expect(rules('Role', 'jobs')).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }]);
    expect(rules('Role', 'ops')).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['create'] }]);
    expect(rules('ClusterRole')).toEqual([
      { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'list'] },
      { apiGroups: ['cert-manager.io'], resources: ['clusterissuers'], verbs: ['get'] },
    ]);
    const text = JSON.stringify(objects);
    expect(text).not.toContain('"*"');
    expect(
      objects
        .filter((o) => o.kind === 'RoleBinding')
        .every((b) => JSON.stringify(b.subjects) === '[{"kind":"ServiceAccount","name":"kubepoll-poller","namespace":"jobs"}]'),
    ).toBe(true);
  });

  it('a namespaced-only job gets no ClusterRole', () => {
    const objects = jobManifests(
      job({ resources: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['list'] }] }),
      {
        image: 'img',
        namespace: 'jobs',
      },
    );
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'CronJob']);
  });

  it('the CronJob fails at once on exit codes 2 and 3, ignores disruptions, and runs locked down', () => {
    const cronJob = jobManifests(mixed, { image: 'img', namespace: 'jobs' }).at(-1) as CronJobShape;
    expect(cronJob.spec).toMatchObject({
      schedule: '*/10 * * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 300,
    });
    const spec = cronJob.spec.jobTemplate.spec;
    expect(spec.podFailurePolicy.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'kubepoll', operator: 'In', values: [2, 3] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    ]);
    expect(spec.activeDeadlineSeconds).toBe((120 + 60) * 3);
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const container = pod.containers[0];
    expect(container.args).toEqual(['run', 'poller', '--timeout', '120']);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes[0].projected.sources[0]).toEqual({ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } });
  });

  it('is deterministic: same input, same bytes, with no YAML aliases', () => {
    const a = manifestsYaml(jobManifests(mixed, { image: 'img', namespace: 'jobs' }), 'cmd');
    const b = manifestsYaml(jobManifests(mixed, { image: 'img', namespace: 'jobs' }), 'cmd');
    expect(a).toBe(b);
    expect(a).not.toMatch(/[&*]a\d/);
    expect(parseAllDocuments(a).map((d) => d.toJS().kind)).toHaveLength(10);
  });

  it('refuses what a CronJob cannot run, and bad options', () => {
    expect(() => jobManifests(job({ schedule: '*/5 * * * * *' }), { image: 'i', namespace: 'n' })).toThrow(/has a seconds field/);
    const { schedule: _, ...oneOff } = job({});
    expect(() => jobManifests(oneOff, { image: 'i', namespace: 'n' })).toThrow(
      'job "poller" has no schedule: give it one, or generate a one-off Job with --once',
    );
    expect(jobManifests(oneOff, { image: 'i', namespace: 'n', once: true }).at(-1)?.kind).toBe('Job');
    expect(() => jobManifests(job({}), { image: 'i', namespace: 'Bad_NS' })).toThrow(/not a valid namespace name/);
    expect(() => jobManifests(job({}), { image: 'has space', namespace: 'n' })).toThrow(/not an image reference/);
  });
});

describe('RBAC plan, shared with the test kit', () => {
  const plan = rbacPlan(mixed.resources, 'jobs');
  it.each([
    ['list', 'cert-manager.io', 'certificates', undefined, true],
    ['list', 'cert-manager.io', 'certificates', 'anywhere', true],
    ['delete', 'cert-manager.io', 'certificates', 'jobs', false],
    ['get', '', 'configmaps', 'jobs', true],
    ['get', '', 'configmaps', 'ops', false],
    ['list', '', 'configmaps', 'jobs', false],
    ['create', '', 'events', 'audit', true],
    ['create', '', 'events', 'jobs', false],
    ['get', 'cert-manager.io', 'clusterissuers', undefined, true],
  ] as const)('%s %s/%s in %s → %s', (verb, group, resource, namespace, allowed) => {
    expect(planAllows(plan, verb, group, resource, namespace)).toBe(allowed);
  });
});
