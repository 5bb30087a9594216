import { Writable } from 'node:stream';
import { resolveClusterConfig } from '../cluster-config.js';
import type { Outcome } from '../exit-codes.js';
import type { JobDefinition, LoadedJob } from '../job.js';
import { jobNameFromFile } from '../job-loader.js';
import { validateJob } from '../job-validate.js';
import { createLogger, type LogLevel } from '../log.js';
import { runJob as run } from '../run.js';
import type { FakeApiServer } from './fake-api-server.js';

export interface RunJobOptions {
  cluster: FakeApiServer;
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
  retries: number;
  runId: string;
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
export async function runJob(job: JobDefinition | LoadedJob, options: RunJobOptions): Promise<TestRun> {
  const file = (job as LoadedJob).file;
  const loaded = validateJob(job, file ? jobNameFromFile(file) : 'test-job', undefined, file);
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
    { namespace: options.namespace },
    { env: cluster.inClusterEnv, homeDir: cluster.dir },
  );
  const restore = cluster.rbacRules;
  if (options.rbac !== 'cluster') cluster.grant(loaded.resources, config.namespace);
  try {
    const report = await run(loaded, {
      config,
      logger: createLogger({ level: options.logLevel ?? 'debug', stream }),
      dryRun: options.dryRun ?? false,
      timeoutSeconds: options.timeoutSeconds,
      signal: options.signal,
    });
    return {
      outcome: report.outcome,
      exitCode: report.exitCode,
      result: report.result,
      error: report.error,
      logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      requests: report.requests,
      retries: report.retries,
      runId: report.runId,
    };
  } finally {
    cluster.grant(restore);
  }
}
