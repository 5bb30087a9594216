import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { LoadedJob } from '../../src/job.js';
import { jobManifests, manifestsYaml, scheduleManifests } from '../../src/manifests.js';
import { planAllows, rbacPlan } from '../../src/rbac.js';

const run = () => undefined;
const job = (fields: Partial<LoadedJob>): LoadedJob => ({
  name: 'poller',
  resources: [],
  settingValues: {},
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
  Deployment,
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

  it('the CronJob fails at once on exit codes 2, 3 and 5, ignores disruptions, and runs locked down', () => {
    const cronJob = jobManifests(mixed, { image: 'img', namespace: 'jobs' }).at(-1) as CronJobShape;
    expect(cronJob.spec).toMatchObject({
      schedule: '*/10 * * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 300,
    });
    const spec = cronJob.spec.jobTemplate.spec;
    expect(spec.podFailurePolicy.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'kubepoll', operator: 'In', values: [2, 3, 5] } },
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
      'job "poller" has no schedule: give it one, or generate a one-off Job with --mode job',
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
    expect(planAllows(plan, { verb, group, resource, namespace })).toBe(allowed);
  });
});

describe('settings, shards, names and subresources in the generated objects', () => {
  const podOf = (objects: Record<string, unknown>[]) =>
    // biome-ignore lint/suspicious/noExplicitAny: a loose view of the generated pod spec
    ((objects.at(-1) as any).spec.jobTemplate?.spec ?? (objects.at(-1) as any).spec).template.spec;

  it('settings given to manifests reach the pod env, sorted, next to POD_NAME from the downward API', () => {
    const objects = jobManifests(job({}), { image: 'img', namespace: 'jobs', env: { Z_LAST: '1', A_FIRST: 'x y' } });
    validateAll(objects);
    expect(podOf(objects).containers[0].env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'A_FIRST', value: 'x y' },
      { name: 'Z_LAST', value: '1' },
    ]);
  });

  it('a job with shards runs as an Indexed Job: completions = parallelism = shards, a backoff limit per index', () => {
    const objects = jobManifests(job({ shards: 4 }), { image: 'img', namespace: 'jobs' });
    validateAll(objects);
    // biome-ignore lint/suspicious/noExplicitAny: a loose view of the generated CronJob
    const spec = (objects.at(-1) as any).spec.jobTemplate.spec;
    expect(spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 2 });
    expect(spec.backoffLimit).toBeUndefined();
    expect(spec.template.spec.containers[0].env).toContainEqual({ name: 'KUBEPOLL_SHARDS', value: '4' });
    const once = jobManifests(job({ shards: 2 }), { image: 'img', namespace: 'jobs', once: true }).at(-1) as {
      spec: Record<string, unknown>;
    };
    expect(once.spec).toMatchObject({ completionMode: 'Indexed', completions: 2, parallelism: 2 });
  });

  it('names become resourceNames, and subresources a <plural>/status rule with only get and patch', () => {
    const objects = jobManifests(
      job({
        resources: [
          {
            group: '',
            version: 'v1',
            plural: 'configmaps',
            namespaced: true,
            verbs: ['get', 'patch'],
            names: ['flags', 'limits'],
          },
          {
            group: 'example.com',
            version: 'v1',
            plural: 'widgets',
            namespaced: true,
            verbs: ['list', 'patch'],
            subresources: ['status'],
          },
        ],
      }),
      { image: 'img', namespace: 'jobs' },
    );
    validateAll(objects);
    const role = objects.find((o) => o.kind === 'Role') as { rules: unknown[] };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['flags', 'limits'], verbs: ['get', 'patch'] },
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['list', 'patch'] },
      { apiGroups: ['example.com'], resources: ['widgets/status'], verbs: ['patch'] },
    ]);
  });
});

describe('--mode schedule: one Deployment running kubepoll schedule', () => {
  const a = job({
    name: 'a',
    resources: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['list'] }],
  });
  const b = job({
    name: 'b',
    resources: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['delete'] }],
  });

  it('validates, runs the named jobs with probes on /healthz and a named metrics port, hardened like the CronJobs', () => {
    const objects = scheduleManifests([a, b], { image: 'img', namespace: 'jobs', replicas: 1, env: { X: '1' } });
    validateAll(objects);
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Deployment']);
    // biome-ignore lint/suspicious/noExplicitAny: a loose view of the Deployment
    const deployment = objects.at(-1) as any;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    expect(pod.restartPolicy).toBe('Always');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0];
    expect(container.args).toEqual(['schedule', 'a', 'b', '--health-port', '8080']);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.env).toContainEqual({ name: 'X', value: '1' });
    // One ServiceAccount with the union of the jobs' RBAC.
    expect((objects[1] as { rules: unknown }).rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'delete'] },
    ]);
  });

  it('with replicas > 1 elects a leader: exactly get/update on the one Lease, and create (which RBAC cannot name)', () => {
    const objects = scheduleManifests([a], { image: 'img', namespace: 'jobs', replicas: 3 });
    validateAll(objects);
    // biome-ignore lint/suspicious/noExplicitAny: a loose view of the Deployment
    const deployment = objects.at(-1) as any;
    expect(deployment.spec.template.spec.containers[0].args).toEqual([
      'schedule',
      'a',
      '--health-port',
      '8080',
      '--leader-elect',
      '--lease-name',
      'kubepoll-scheduler',
    ]);
    const role = objects.find((o) => o.kind === 'Role') as { rules: unknown[] };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['kubepoll-scheduler'],
        verbs: ['get', 'update'],
      },
    ]);
  });

  it('refuses a one-off or a sharded job, and a bad replica count', () => {
    const { schedule: _, ...oneOff } = job({ name: 'once' });
    expect(() => scheduleManifests([oneOff], { image: 'i', namespace: 'n', replicas: 1 })).toThrow(/has no schedule/);
    expect(() => scheduleManifests([job({ shards: 2 })], { image: 'i', namespace: 'n', replicas: 1 })).toThrow(/Indexed Job/);
    expect(() => scheduleManifests([a], { image: 'i', namespace: 'n', replicas: 0 })).toThrow(/--replicas/);
  });
});

describe('the pod finds its job', () => {
  it('by its module file name, which the CLI looks jobs up by, when the module sets another name', () => {
    const named = job({ name: 'nightly-report', file: '/app/jobs/report.ts' });
    const cronJob = jobManifests(named, { image: 'img', namespace: 'jobs' }).at(-1) as CronJobShape;
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].args).toEqual(['run', 'report', '--timeout', '3600']);
    expect((cronJob as unknown as { metadata: { name: string } }).metadata.name).toBe('nightly-report');
    // biome-ignore lint/suspicious/noExplicitAny: a loose view of the Deployment
    const deployment = scheduleManifests([named], { image: 'img', namespace: 'jobs', replicas: 1 }).at(-1) as any;
    expect(deployment.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['schedule', 'report']);
  });
});
