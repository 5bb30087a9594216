import { parseArgs } from 'node:util';
import { CLUSTER_OPTIONS, type CliIo, clusterConfig, UsageError } from './cli-io.js';
import type { ClusterConfig } from './cluster-config.js';
import { RUN_OPTIONS, runSettings } from './command-run.js';
import { InterruptedError } from './errors.js';
import { DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { runJob } from './run.js';
import { Scheduler } from './scheduler.js';

/**
 * `kubepoll schedule [job...]`: runs jobs at their cron ticks in one process
 * until SIGTERM / SIGINT, then aborts in-flight runs, waits for their last log
 * lines and exits 0. Every run is a full run, with cluster config resolved afresh.
 */
export async function scheduleCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CLUSTER_OPTIONS, ...RUN_OPTIONS, 'health-port': { type: 'string' } },
  });
  const { logger, dryRun, requestTimeoutMs } = runSettings(values, io);
  const healthPort = values['health-port'] === undefined ? undefined : Number(values['health-port']);
  if (healthPort !== undefined && (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535)) {
    throw new UsageError(`--health-port must be a port number, got "${values['health-port']}"`);
  }
  const all = await loadJobs(positionals, values.jobs ?? DEFAULT_JOBS_DIR);
  const unscheduled = all.filter((j) => j.schedule === undefined);
  if (positionals.length > 0 && unscheduled.length > 0) {
    throw new UsageError(`job "${unscheduled[0]?.name}" has no schedule; run it once with kubepoll run`);
  }
  const jobs = all.filter((j) => j.schedule !== undefined);
  if (jobs.length === 0) throw new UsageError('no job with a schedule to run');
  await clusterConfig(values, io); // a config error stops us now (exit 2), not at the first tick

  // prom-client is loaded only in this long-running mode.
  const { SchedulerMetrics, startHealthServer } = await import('./metrics.js');
  const metrics = new SchedulerMetrics();
  metrics.declareJobs(jobs.map((j) => j.name));
  const scheduler = new Scheduler(jobs, {
    log: logger,
    onSkip: (job, reason) => metrics.recordSkip(job.name, reason),
    startRun: async (job, signal) => {
      let config: ClusterConfig;
      try {
        config = await clusterConfig(values, io);
      } catch (error) {
        logger.error({ job: job.name, err: error }, 'run not started: cluster config');
        metrics.recordRun(
          { job: job.name, runId: '', outcome: 'failed', exitCode: 2, durationMs: 0, requests: 0, retries: 0 },
          Date.now(),
        );
        return undefined;
      }
      const report = await runJob(job, {
        config,
        logger,
        dryRun,
        signal,
        requestTimeoutMs,
      });
      metrics.recordRun(report, Date.now());
      return report;
    },
  });
  const server = healthPort === undefined ? undefined : await startHealthServer(healthPort, () => scheduler.alive, metrics);
  if (server) logger.info({ port: (server.address() as { port: number }).port }, 'health and metrics server listening');
  scheduler.start();

  const reason = await new Promise<InterruptedError>((resolve) => {
    const done = () =>
      resolve(io.interrupt.reason instanceof InterruptedError ? io.interrupt.reason : new InterruptedError('SIGTERM'));
    if (io.interrupt.aborted) done();
    else io.interrupt.addEventListener('abort', done, { once: true });
  });
  logger.info({ signal: reason.signal }, 'stopping: no new runs; aborting runs in flight');
  await scheduler.stop(reason);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  logger.info('scheduler stopped');
  return 0;
}
