import { stringify } from 'yaml';
import { ConfigError } from './errors.js';
import { FAIL_JOB_EXIT_CODES } from './exit-codes.js';
import type { LoadedJob } from './job.js';
import { jobNameFromFile } from './job-loader.js';
import { isDnsLabel } from './job-validate.js';
import { DEFAULT_LEASE_NAME, leaderElectionDeclarations } from './leader-election.js';
import { type PlannedDeclaration, type PolicyRule, rbacPlan } from './rbac.js';
import { DEFAULT_STARTING_DEADLINE_SECONDS } from './scheduler.js';
import { VERSION } from './version.js';

/** The numeric non-root user and group the image runs as (the Dockerfile's USER). */
export const RUN_AS_USER = 10001;
/** Lifetime of the projected service-account token; kubelet refreshes it at 80 %. */
export const TOKEN_EXPIRATION_SECONDS = 3600;
/** Pod retries of a Job before it fails (exit codes 2, 3 and 5 fail it at once); per index for a sharded Job. */
export const BACKOFF_LIMIT = 2;
/** Deadline used for the Job when the job sets no `timeoutSeconds`. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
/** The port of `/healthz` and `/metrics` in the `--mode schedule` Deployment. */
export const SCHEDULER_PORT = 8080;
/** Name of the `--mode schedule` Deployment and its ServiceAccount. */
export const SCHEDULER_NAME = 'kubepoll-scheduler';
/** Seconds a pod is given beyond the run's deadline to start and write its last log line. */
const POD_OVERHEAD_SECONDS = 60;

export type ManifestMode = 'cronjob' | 'job' | 'schedule';

export interface ManifestOptions {
  image: string;
  namespace: string;
  /** A one-off Job instead of a CronJob (`--mode job`; `--once`). */
  once?: boolean;
  /** Settings written into the pod's `env` (what `--set` gave, and what the environment set). */
  env?: Readonly<Record<string, string>>;
}

type K8sObject = Record<string, unknown>;

/**
 * What the pod's `kubepoll run` / `schedule` is given to find the job: its
 * module's file name (the CLI looks jobs up by file), which differs from
 * `job.name` when the module sets `name`.
 */
function moduleName(job: LoadedJob): string {
  return job.file ? jobNameFromFile(job.file) : job.name;
}

function checkOptions(options: ManifestOptions): void {
  if (!isDnsLabel(options.namespace)) throw new ConfigError(`--namespace "${options.namespace}" is not a valid namespace name`);
  if (!options.image.trim() || /\s/.test(options.image)) {
    throw new ConfigError(`--image "${options.image}" is not an image reference`);
  }
}

function labelsFor(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'kubepoll',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/managed-by': 'kubepoll',
  };
}

/**
 * The objects a job needs in a cluster: ServiceAccount, least-privilege RBAC
 * and a CronJob (or, with `once`, a Job), in a fixed order with fixed key
 * order, so the same input gives the same bytes. A job with `shards` runs as an
 * Indexed Job of that many pods.
 */
export function jobManifests(job: LoadedJob, options: ManifestOptions): K8sObject[] {
  checkOptions(options);
  const ns = options.namespace;
  const account = `kubepoll-${job.name}`;
  const labels = labelsFor(job.name);
  const objects = [...identityObjects(account, ns, labels, job.resources, `kubepoll:${ns}:${job.name}`)];
  const jobSpec = jobSpecFor(job, options, account, labels);
  if (options.once) {
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${job.name}-once`, namespace: ns, labels },
      spec: jobSpec,
    });
    return objects;
  }
  if (job.schedule === undefined) {
    throw new ConfigError(`job "${job.name}" has no schedule: give it one, or generate a one-off Job with --mode job`);
  }
  const schedule = job.schedule.trim();
  if (!schedule.startsWith('@') && schedule.split(/\s+/).length === 6) {
    throw new ConfigError(
      `job "${job.name}" schedule "${schedule}" has a seconds field, which a Kubernetes CronJob cannot run; use 5 fields, or run it with kubepoll schedule (--mode schedule)`,
    );
  }
  objects.push({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: job.name, namespace: ns, labels },
    spec: {
      schedule,
      timeZone: job.timeZone ?? 'Etc/UTC',
      concurrencyPolicy: job.concurrencyPolicy ?? 'Forbid',
      startingDeadlineSeconds: job.startingDeadlineSeconds ?? DEFAULT_STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels }, spec: jobSpec },
    },
  });
  return objects;
}

/**
 * `--mode schedule`: one Deployment running `kubepoll schedule` for `jobs`,
 * one ServiceAccount with the union of the jobs' RBAC, probes on `/healthz`
 * and the metrics port named. With more than one replica the replicas elect a
 * leader through a Lease, and the Role grants exactly the Lease verbs on that
 * one Lease (`leaderElectionDeclarations`).
 */
export function scheduleManifests(jobs: readonly LoadedJob[], options: ManifestOptions & { replicas: number }): K8sObject[] {
  checkOptions(options);
  if (!Number.isInteger(options.replicas) || options.replicas < 1) {
    throw new ConfigError(`--replicas must be a whole number >= 1, got ${options.replicas}`);
  }
  const unscheduled = jobs.filter((j) => j.schedule === undefined);
  if (unscheduled.length > 0) {
    throw new ConfigError(`job "${unscheduled[0]?.name}" has no schedule, so kubepoll schedule would never run it: leave it out`);
  }
  const sharded = jobs.find((j) => (j.shards ?? 1) > 1);
  if (sharded) {
    throw new ConfigError(`job "${sharded.name}" has shards, which only an Indexed Job can run: deploy it with --mode cronjob`);
  }
  const ns = options.namespace;
  const labels = labelsFor(SCHEDULER_NAME);
  const leaderElect = options.replicas > 1;
  const declarations: PlannedDeclaration[] = [
    ...jobs.flatMap((j) => j.resources),
    ...(leaderElect ? leaderElectionDeclarations(DEFAULT_LEASE_NAME) : []),
  ];
  const objects = [...identityObjects(SCHEDULER_NAME, ns, labels, declarations, `kubepoll:${ns}:${SCHEDULER_NAME}`)];
  const args = ['schedule', ...jobs.map(moduleName), '--health-port', String(SCHEDULER_PORT)];
  if (leaderElect) args.push('--leader-elect', '--lease-name', DEFAULT_LEASE_NAME);
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: '/healthz', port: 'metrics' },
    periodSeconds,
    failureThreshold,
  });
  const container = {
    ...containerFor(options.image, args, options.env ?? {}),
    ports: [{ name: 'metrics', containerPort: SCHEDULER_PORT, protocol: 'TCP' }],
    livenessProbe: probe(20, 3),
    readinessProbe: probe(10, 1),
  };
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SCHEDULER_NAME, namespace: ns, labels },
    spec: {
      replicas: options.replicas,
      // One replica without leader election must never overlap with its successor: Recreate.
      strategy: leaderElect ? { type: 'RollingUpdate' } : { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kubepoll', 'app.kubernetes.io/instance': SCHEDULER_NAME } },
      template: {
        metadata: { labels },
        spec: podSpecFor(SCHEDULER_NAME, container, 'Always'),
      },
    },
  });
  return objects;
}

/** ServiceAccount and the RBAC objects of its plan. */
function identityObjects(
  account: string,
  ns: string,
  labels: Record<string, string>,
  declarations: readonly PlannedDeclaration[],
  clusterName: string,
): K8sObject[] {
  const subject = [{ kind: 'ServiceAccount', name: account, namespace: ns }];
  const objects: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: account, namespace: ns, labels },
      // The token is mounted explicitly (projected, with an expiry) in the pod spec.
      automountServiceAccountToken: false,
    },
  ];
  const plan = rbacPlan(declarations, ns);
  for (const [roleNamespace, rules] of plan.namespaced) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: account, namespace: roleNamespace, labels },
        rules: rulesYaml(rules),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: account, namespace: roleNamespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
        subjects: subject,
      },
    );
  }
  if (plan.cluster.length > 0) {
    // Cluster-wide names must not collide between namespaces that run the same job.
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: clusterName, labels },
        rules: rulesYaml(plan.cluster),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: clusterName, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects: subject,
      },
    );
  }
  return objects;
}

function rulesYaml(rules: PolicyRule[]): PolicyRule[] {
  return rules.map((r) => ({
    apiGroups: r.apiGroups,
    resources: r.resources,
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    verbs: r.verbs,
  }));
}

function jobSpecFor(job: LoadedJob, options: ManifestOptions, account: string, labels: Record<string, string>): K8sObject {
  const timeout = job.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const shards = job.shards ?? 1;
  const env: Record<string, string> = { ...options.env };
  if (shards > 1) env.KUBEPOLL_SHARDS = String(shards);
  const container = containerFor(options.image, ['run', moduleName(job), '--timeout', String(timeout)], env);
  const podFailurePolicy = {
    rules: [
      // 2: usage/config error, 3: permanent API error (401, 403, unknown resource), 5: write budget: retrying cannot help.
      { action: 'FailJob', onExitCodes: { containerName: 'kubepoll', operator: 'In', values: [...FAIL_JOB_EXIT_CODES] } },
      // Evictions, preemption and node drains do not count against the backoff limit.
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    ],
  };
  const template = { metadata: { labels }, spec: podSpecFor(account, container, 'Never') };
  // Room for every attempt to reach its own deadline (kubepoll ends a run at `timeout`).
  const activeDeadlineSeconds = (timeout + POD_OVERHEAD_SECONDS) * (BACKOFF_LIMIT + 1);
  if (shards > 1) {
    // Each pod gets JOB_COMPLETION_INDEX 0..shards-1 from Kubernetes and lists only its shard.
    return {
      completionMode: 'Indexed',
      completions: shards,
      parallelism: shards,
      backoffLimitPerIndex: BACKOFF_LIMIT,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      podFailurePolicy,
      template,
    };
  }
  return { backoffLimit: BACKOFF_LIMIT, activeDeadlineSeconds, ttlSecondsAfterFinished: 86400, podFailurePolicy, template };
}

function containerFor(image: string, args: string[], env: Readonly<Record<string, string>>): K8sObject {
  return {
    name: 'kubepoll',
    image,
    imagePullPolicy: 'IfNotPresent',
    args,
    env: [
      // Events name the pod that recorded them (reportingInstance).
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      ...Object.keys(env)
        .sort()
        .map((name) => ({ name, value: env[name] as string })),
    ],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
  };
}

function podSpecFor(account: string, container: K8sObject, restartPolicy: 'Never' | 'Always'): K8sObject {
  return {
    serviceAccountName: account,
    automountServiceAccountToken: false,
    restartPolicy,
    terminationGracePeriodSeconds: 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_USER,
      fsGroup: RUN_AS_USER,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container],
    volumes: [
      {
        name: 'kube-api-access',
        projected: {
          // 0644, as in the kube-api-access volume Kubernetes itself injects.
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
              },
            },
          ],
        },
      },
    ],
  };
}

/** Multi-document YAML for the objects, with a header saying how it was made. */
export function manifestsYaml(objects: readonly K8sObject[], command: string): string {
  const header = `# Generated by kubepoll ${VERSION}: ${command}\n# Do not edit: change the job module and generate again.\n`;
  return header + objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}
