import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type CliIo, clusterConfig, parseCommand, parseSets, parseWhole, UsageError } from './cli-io.js';
import { systemClock } from './clock.js';
import type { ClusterConfig } from './cluster-config.js';
import { RUN_OPTIONS, RUN_USAGE, runSettings } from './command-run.js';
import { InterruptedError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { assertSetsDeclared, DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { DEFAULT_LEASE_NAME, LEASE_DURATION_MS, LeaderElector, RENEW_DEADLINE_MS, RETRY_PERIOD_MS } from './leader-election.js';
import { createLeaseClient } from './lease-client.js';
import { runJob } from './run.js';
import { onErrorOutsideRuns } from './run-scope.js';
import { Scheduler } from './scheduler.js';

const USAGE = `Usage: kubepoll schedule [job...] [options]

Runs jobs at their cron ticks in one process until SIGTERM / SIGINT, with the
CronJob's concurrencyPolicy and startingDeadlineSeconds; every run is a full run
with the cluster config resolved afresh. Exit 0 after a clean stop.

Options:
${RUN_USAGE}
  --health-port PORT      serve /healthz and /metrics (Prometheus) on PORT
  --leader-elect          with several replicas: only the holder of a coordination.k8s.io/v1
                          Lease starts runs (client-go's timings: lease 15 s, renew 10 s, retry 2 s)
  --lease-name NAME       the Lease, in the run's namespace (default ${DEFAULT_LEASE_NAME})
  --lease-duration S, --renew-deadline S, --retry-period S
                          leader election timings in seconds (defaults ${LEASE_DURATION_MS / 1000}, ${RENEW_DEADLINE_MS / 1000}, ${RETRY_PERIOD_MS / 1000})`;

/**
 * `kubepoll schedule [job...]`: runs jobs at their cron ticks in one process
 * until SIGTERM / SIGINT, then aborts in-flight runs, waits for their last log
 * lines and exits 0. With `--leader-elect`, only the leader starts runs.
 */
export async function scheduleCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      command: 'schedule',
      usage: USAGE,
      positionals: true,
      options: {
        ...RUN_OPTIONS,
        'health-port': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'lease-name': { type: 'string' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
      },
    },
    io,
  );
  if (!parsed) return ExitCode.Succeeded;
  const { values, positionals } = parsed;
  const { logger, runOptions } = runSettings(values, io);
  const healthPort = parseWhole(values['health-port'], '--health-port', 0);
  if (healthPort !== undefined && healthPort > 65535)
    throw new UsageError(`--health-port must be a port number, got "${healthPort}"`);
  const timings = {
    leaseDurationMs: (parseWhole(values['lease-duration'], '--lease-duration', 1, 'seconds') ?? LEASE_DURATION_MS / 1000) * 1000,
    renewDeadlineMs: (parseWhole(values['renew-deadline'], '--renew-deadline', 1, 'seconds') ?? RENEW_DEADLINE_MS / 1000) * 1000,
    retryPeriodMs: (parseWhole(values['retry-period'], '--retry-period', 1, 'seconds') ?? RETRY_PERIOD_MS / 1000) * 1000,
  };
  const set = parseSets(values.set);
  const all = await loadJobs(positionals, values.jobs ?? DEFAULT_JOBS_DIR, { set, env: io.env });
  assertSetsDeclared(set, all);
  const unscheduled = all.filter((j) => j.schedule === undefined);
  if (positionals.length > 0 && unscheduled.length > 0) {
    throw new UsageError(`job "${unscheduled[0]?.name}" has no schedule; run it once with kubepoll run`);
  }
  const jobs = all.filter((j) => j.schedule !== undefined);
  if (jobs.length === 0) throw new UsageError('no job with a schedule to run');
  const firstConfig = await clusterConfig(values, io); // a config error stops us now (exit 2), not at the first tick

  // prom-client is loaded only in this long-running mode.
  const { SchedulerMetrics, startHealthServer } = await import('./metrics.js');
  const metrics = new SchedulerMetrics();
  metrics.declareJobs(jobs.map((j) => j.name));

  let elector: LeaderElector | undefined;
  let closeLeases: (() => Promise<void>) | undefined;
  const scheduler = new Scheduler(jobs, {
    log: logger,
    onSkip: (job, reason) => metrics.recordSkip(job.name, reason),
    ...(values['leader-elect'] ? { isLeader: () => elector?.leading === true } : {}),
    startRun: async (job, signal) => {
      let config: ClusterConfig;
      try {
        config = await clusterConfig(values, io);
      } catch (error) {
        logger.error({ job: job.name, err: error }, 'run not started: cluster config');
        return undefined;
      }
      const report = await runJob(job, { ...runOptions, config, signal });
      metrics.recordRun(report, report.finishedAt);
      return report;
    },
  });

  if (values['leader-elect']) {
    const identity = `${io.env.POD_NAME || hostname()}_${randomUUID().slice(0, 8)}`;
    const leaseName = values['lease-name'] ?? DEFAULT_LEASE_NAME;
    const leases = createLeaseClient(firstConfig, leaseName, timings, logger);
    closeLeases = leases.close;
    metrics.recordLeader(identity, false);
    elector = new LeaderElector({
      pipeline: leases.pipeline,
      namespace: firstConfig.namespace,
      leaseName,
      identity,
      clock: systemClock,
      log: logger,
      timings,
      onStartedLeading: () => metrics.recordLeader(identity, true),
      onStoppedLeading: () => {
        metrics.recordLeader(identity, false);
        void scheduler.abortRuns(new InterruptedError('SIGTERM', 'this replica lost the leader lease'));
      },
      onObserved: (holder) => metrics.recordHolder(holder),
    });
  }

  let server: Awaited<ReturnType<typeof startHealthServer>> | undefined;
  if (healthPort !== undefined) {
    try {
      server = await startHealthServer(healthPort, () => scheduler.alive, metrics);
    } catch (error) {
      await closeLeases?.();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`--health-port ${healthPort} is already in use: choose another port`);
      if (code === 'EACCES') throw new UsageError(`--health-port ${healthPort} needs privileges: choose a port above 1023`);
      throw error;
    }
    logger.info({ port: (server.address() as { port: number }).port }, 'health and metrics server listening');
  }
  // A job module's own timers run outside any run: what they throw is logged, and the other jobs go on.
  onErrorOutsideRuns((error) => {
    logger.error(
      { err: error },
      'an error outside any run (a timer or promise a job module started at load?); the scheduler goes on',
    );
    return true;
  });
  elector?.start();
  scheduler.start();

  const reason = await new Promise<InterruptedError>((resolve) => {
    const done = () =>
      resolve(io.interrupt.reason instanceof InterruptedError ? io.interrupt.reason : new InterruptedError('SIGTERM'));
    if (io.interrupt.aborted) done();
    else io.interrupt.addEventListener('abort', done, { once: true });
  });
  logger.info({ signal: reason.signal }, 'stopping: no new runs; aborting runs in flight');
  await scheduler.stop(reason);
  await elector?.stop();
  await closeLeases?.();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  logger.info('scheduler stopped');
  return ExitCode.Succeeded;
}
