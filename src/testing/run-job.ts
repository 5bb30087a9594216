import { Writable } from 'node:stream';
import { resolveClusterConfig } from '../cluster-config.js';
import type { Outcome } from '../exit-codes.js';
import type { JobDefinition, LoadedJob, SettingsSpec } from '../job.js';
import { validateJob } from '../job-validate.js';
import { createLogger, type LogLevel } from '../log.js';
import { runJob as run } from '../run.js';
/**
 * What `runJob` runs a job against: the fake cluster (`startTestCluster`) or a
 * real API server's cluster (`startApiServer().cluster(...)`). A run is
 * in-cluster style: `inClusterEnv` names the address and the service-account
 * directory (token, ca.crt, namespace) inside `dir`.
 */
export interface RunTarget {
  /** KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and KUBEPOLL_SERVICEACCOUNT_DIR. */
  readonly inClusterEnv: Record<string, string>;
  /** A folder of the target's own (used as the home directory of the run's config resolution). */
  readonly dir: string;
  /**
   * Grants the service account exactly `job`'s RBAC (what `kubepoll manifests`
   * generates) with `namespace` as the job's own, for one run; resolves to a
   * function that restores what was granted before.
   */
  grantForRun(job: LoadedJob, namespace: string): Promise<() => Promise<void>>;
}

export interface RunJobOptions {
  cluster: RunTarget;
  /** The run's namespace. Default: the cluster's service-account namespace. */
  namespace?: string;
  dryRun?: boolean;
  timeoutSeconds?: number;
  logLevel?: LogLevel;
  /**
   * RBAC during the run: by default exactly what the job declares (the rules
   * `kubepoll manifests` grants), so a job that passes cannot be denied in the
   * cluster. `'cluster'` keeps whatever the cluster was started with.
   */
  rbac?: 'declared' | 'cluster';
  /** Aborting it interrupts the run, as SIGTERM would. */
  signal?: AbortSignal;
  /** The job's settings, as `--set` would give them (the process environment is not read, so tests are repeatable). */
  settings?: Readonly<Record<string, string>>;
  /** Run as this shard of an Indexed Job (`JOB_COMPLETION_INDEX` of `KUBEPOLL_SHARDS`). */
  shard?: { index: number; count: number };
  /** The client-side rate limit, instead of the job's. */
  rateLimit?: { qps?: number; burst?: number };
  /** Do not ask the server to gzip large answers, as `--disable-compression`. */
  disableCompression?: boolean;
}

export interface TestRun {
  outcome: Outcome;
  exitCode: number;
  result: unknown;
  error: Error | undefined;
  /** Every log line of the run, parsed. The last is `run finished`. */
  logs: Record<string, unknown>[];
  /** Requests the run sent (every attempt). */
  requests: number;
  /** Response body bytes as they came over the wire (gzipped, when the server compressed them). */
  bytesReceived: number;
  retries: number;
  /** Writes sent (under dry run: the writes the real run would send). */
  writes: number;
  /** Time requests waited for the client-side rate limit, in ms. */
  throttledMs: number;
  /** With `limits.writes`: the budget, the writes, and whether the budget stopped (would stop) the run. */
  writeBudget: { limit: number; writes: number; exceeded: boolean } | undefined;
  runId: string;
}

/** A job that came from the loader (`loadJob`): its settings and declarations are already resolved. */
function isLoaded(job: object): job is LoadedJob {
  return 'settingValues' in job && Array.isArray((job as LoadedJob).resources);
}

/**
 * Runs a job once against a test cluster, in process, through the same runner
 * as `kubepoll run` (real HTTPS, the real retry policy and access checks).
 *
 * @example
 * ```ts
 * const cluster = await startTestCluster({ fixtures: 'test/fixtures/*.yaml' });
 * const run = await runJob(job, { cluster, namespace: 'team-a' });
 * expect(run.outcome).toBe('succeeded');
 * ```
 */
export async function runJob<S extends SettingsSpec>(
  job: JobDefinition<unknown, S> | LoadedJob,
  options: RunJobOptions,
): Promise<TestRun> {
  const loaded = isLoaded(job)
    ? { ...job, settingValues: { ...job.settingValues, ...options.settings } }
    : validateJob(job, 'test-job', undefined, undefined, { set: options.settings ?? {} });
  const { cluster } = options;
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // The same in-cluster config a pod gets: the cluster's service-account directory and address.
  const config = await resolveClusterConfig(
    { namespace: options.namespace, disableCompression: options.disableCompression },
    { env: cluster.inClusterEnv, homeDir: cluster.dir },
  );
  const restore = options.rbac === 'cluster' ? async () => {} : await cluster.grantForRun(loaded, config.namespace);
  try {
    const report = await run(loaded, {
      config,
      logger: createLogger({ level: options.logLevel ?? 'debug', stream, secrets: config.secrets }),
      dryRun: options.dryRun ?? false,
      timeoutSeconds: options.timeoutSeconds,
      signal: options.signal,
      shard: options.shard,
      rateLimit: options.rateLimit,
    });
    return {
      outcome: report.outcome,
      exitCode: report.exitCode,
      result: report.result,
      error: report.error,
      logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      requests: report.requests,
      bytesReceived: report.bytesReceived,
      retries: report.retries,
      writes: report.writes,
      throttledMs: report.throttledMs,
      writeBudget: report.writeBudget,
      runId: report.runId,
    };
  } finally {
    await restore();
  }
}
