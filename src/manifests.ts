import { stringify } from 'yaml';
import { ConfigError } from './errors.js';
import type { LoadedJob } from './job.js';
import { isDnsLabel } from './job-validate.js';
import { type PolicyRule, rbacPlan } from './rbac.js';
import { DEFAULT_STARTING_DEADLINE_SECONDS } from './scheduler.js';
import { VERSION } from './version.js';

/** The numeric non-root user and group the image runs as (the Dockerfile's USER). */
export const RUN_AS_USER = 10001;
/** Lifetime of the projected service-account token; kubelet refreshes it at 80 %. */
export const TOKEN_EXPIRATION_SECONDS = 3600;
/** Pod retries of a Job before it fails (exit codes 2 and 3 fail it at once). */
export const BACKOFF_LIMIT = 2;
/** Deadline used for the Job when the job sets no `timeoutSeconds`. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
/** Seconds a pod is given beyond the run's deadline to start and write its last log line. */
const POD_OVERHEAD_SECONDS = 60;

export interface ManifestOptions {
  image: string;
  namespace: string;
  /** A one-off Job instead of a CronJob. */
  once?: boolean;
}

type K8sObject = Record<string, unknown>;

/**
 * The objects a job needs in a cluster: ServiceAccount, least-privilege RBAC
 * and a CronJob (or, with `once`, a Job), in a fixed order with fixed key
 * order, so the same input gives the same bytes.
 */
export function jobManifests(job: LoadedJob, options: ManifestOptions): K8sObject[] {
  if (!isDnsLabel(options.namespace)) throw new ConfigError(`--namespace "${options.namespace}" is not a valid namespace name`);
  if (!options.image.trim() || /\s/.test(options.image))
    throw new ConfigError(`--image "${options.image}" is not an image reference`);
  const ns = options.namespace;
  const account = `kubepoll-${job.name}`;
  const labels = {
    'app.kubernetes.io/name': 'kubepoll',
    'app.kubernetes.io/instance': job.name,
    'app.kubernetes.io/managed-by': 'kubepoll',
  };
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
  const plan = rbacPlan(job.resources, ns);
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
    const clusterName = `kubepoll:${ns}:${job.name}`;
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
  const jobSpec = jobSpecFor(job, options.image, account, labels);
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
    throw new ConfigError(`job "${job.name}" has no schedule: give it one, or generate a one-off Job with --once`);
  }
  const schedule = job.schedule.trim();
  if (!schedule.startsWith('@') && schedule.split(/\s+/).length === 6) {
    throw new ConfigError(
      `job "${job.name}" schedule "${schedule}" has a seconds field, which a Kubernetes CronJob cannot run; use 5 fields, or run it with kubepoll schedule`,
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

function rulesYaml(rules: PolicyRule[]): PolicyRule[] {
  return rules.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs }));
}

function jobSpecFor(job: LoadedJob, image: string, account: string, labels: Record<string, string>): K8sObject {
  const timeout = job.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  return {
    backoffLimit: BACKOFF_LIMIT,
    // Room for every attempt to reach its own deadline (kubepoll ends a run at `timeout`).
    activeDeadlineSeconds: (timeout + POD_OVERHEAD_SECONDS) * (BACKOFF_LIMIT + 1),
    ttlSecondsAfterFinished: 86400,
    podFailurePolicy: {
      rules: [
        // 2: usage/config error, 3: permanent API error (401, 403, unknown resource): retrying cannot help.
        { action: 'FailJob', onExitCodes: { containerName: 'kubepoll', operator: 'In', values: [2, 3] } },
        // Evictions, preemption and node drains do not count against backoffLimit.
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: account,
        automountServiceAccountToken: false,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 30,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: RUN_AS_USER,
          runAsGroup: RUN_AS_USER,
          fsGroup: RUN_AS_USER,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'kubepoll',
            image,
            imagePullPolicy: 'IfNotPresent',
            args: ['run', job.name, '--timeout', String(timeout)],
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [
              { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
            ],
          },
        ],
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
      },
    },
  };
}

/** Multi-document YAML for the objects, with a header saying how it was made. */
export function manifestsYaml(objects: readonly K8sObject[], command: string): string {
  const header = `# Generated by kubepoll ${VERSION}: ${command}\n# Do not edit: change the job module and generate again.\n`;
  return header + objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}
