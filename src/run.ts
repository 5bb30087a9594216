import { randomUUID } from 'node:crypto';
import { AccessPolicy } from './access.js';
import { createApiClient } from './client.js';
import { type Clock, systemClock } from './clock.js';
import type { ClusterConfig } from './cluster-config.js';
import { DeadlineError, toError } from './errors.js';
import { exitCodeFor, type Outcome, outcomeFor } from './exit-codes.js';
import { forEach } from './for-each.js';
import type { LoadedJob, RateLimit, RunContext, Shard } from './job.js';
import { alwaysLogger, type Logger, redactingChildren } from './log.js';
import { DEFAULT_RATE_LIMIT, TokenBucket } from './rate-limit.js';
import { createPipeline } from './request-pipeline.js';
import { type RunHandle, withinRun } from './run-scope.js';
import { createTransport } from './transport.js';
import { WriteBudget } from './write-budget.js';

export interface RunOptions {
  config: ClusterConfig;
  logger: Logger;
  dryRun?: boolean;
  /** Overrides the job's `timeoutSeconds`. */
  timeoutSeconds?: number | undefined;
  /** Aborting it interrupts the run; its reason (an `InterruptedError`) becomes the run's error. */
  signal?: AbortSignal | undefined;
  requestTimeoutMs?: number | undefined;
  maxResponseBytes?: number | undefined;
  /** Overrides the job's `rateLimit` (`--qps`, `--burst`). */
  rateLimit?: Partial<RateLimit> | undefined;
  /** This pod's shard (`JOB_COMPLETION_INDEX` of `KUBEPOLL_SHARDS`); default `{ 0, 1 }`. */
  shard?: Shard | undefined;
  /** The pod's name, for Events' reportingInstance. */
  podName?: string | undefined;
  clock?: Clock;
}

/** What a run did: the fields of its `run finished` line, and the exit code they mean. */
export interface RunReport {
  job: string;
  runId: string;
  outcome: Outcome;
  exitCode: number;
  result?: unknown;
  error?: Error;
  durationMs: number;
  requests: number;
  retries: number;
  /** Time requests waited for the client-side rate limit. */
  throttledMs: number;
  /** Writes sent (under dry run: the writes the real run would send). */
  writes: number;
  /** With `limits.writes`: the budget, the writes, and whether the budget stopped (or, in a dry run, would stop) the run. */
  writeBudget?: { limit: number; writes: number; exceeded: boolean };
  /** Response bytes received. */
  bytesReceived: number;
  /** Unix ms when the run finished. */
  finishedAt: number;
}

/**
 * Runs a job once: builds its context (one connection pool, the request
 * pipeline with the job's declarations, rate limit and write budget), enforces
 * the deadline, and writes the `run finished` line last, whatever the log
 * level. Never throws: every failure is in the report.
 */
export async function runJob(job: LoadedJob, options: RunOptions): Promise<RunReport> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const runId = randomUUID();
  const log = redactingChildren(options.logger.child({ job: job.name, runId }));
  const controller = new AbortController();
  let finished = false;
  const handle: RunHandle = {
    job: job.name,
    runId,
    fail: (error) => {
      if (finished) log.error({ err: error }, "the job's code failed after its run had finished");
      else if (!controller.signal.aborted) controller.abort(error);
    },
    get finished() {
      return finished;
    },
  };
  // Aborting runs the job's own abort listeners: inside the run's scope, so an exception one
  // throws fails this run (as failed), never the process or the scheduler.
  const abort = (reason: unknown) => withinRun(handle, () => controller.abort(reason));
  const timeoutSeconds = options.timeoutSeconds ?? job.timeoutSeconds;
  const deadline = timeoutSeconds === undefined ? undefined : started + timeoutSeconds * 1000;
  const timer =
    timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => abort(new DeadlineError(`run exceeded its deadline of ${timeoutSeconds}s`)), timeoutSeconds * 1000);
  const onInterrupt = () => abort(options.signal?.reason);
  if (options.signal?.aborted) onInterrupt();
  else options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const dryRun = options.dryRun ?? false;
  const { config } = options;
  const transport = createTransport(config, {
    requestTimeoutMs: options.requestTimeoutMs,
    maxResponseBytes: options.maxResponseBytes,
  });
  const rateLimiter = new TokenBucket({ ...DEFAULT_RATE_LIMIT, ...job.rateLimit, ...options.rateLimit }, clock);
  const writeBudget = new WriteBudget(job.limits?.writes, dryRun);
  const access = new AccessPolicy(job.resources, config.namespace);
  const pipeline = createPipeline({
    transport,
    credentials: config.credentials,
    access,
    rateLimiter,
    writeBudget,
    retry: job.retry,
    signal: controller.signal,
    deadline,
    clock,
    log,
    secrets: config.secrets,
  });
  const shard = options.shard ?? { index: 0, count: 1 };
  const client = createApiClient({
    pipeline,
    access,
    job: job.name,
    namespace: config.namespace,
    dryRun,
    signal: controller.signal,
    log,
    clock,
    retry: job.retry,
    shard,
    runId,
    podName: options.podName,
    secrets: config.secrets,
  });
  const ctx = {
    ...client,
    forEach: (items, fn, opts) => forEach(items, fn, opts ?? {}, controller.signal),
    settings: job.settingValues,
    shard,
    log,
    signal: controller.signal,
    namespace: config.namespace,
    dryRun,
    runId,
  } as RunContext;

  for (const warning of config.warnings) log.warn({ config: config.source }, warning);
  log.info({ namespace: ctx.namespace, dryRun, config: config.source, ...(shard.count > 1 ? { shard } : {}) }, 'run started');
  let result: unknown;
  let error: Error | undefined;
  try {
    // A run interrupted before it began (SIGTERM, a lost leader lease) never calls the job.
    controller.signal.throwIfAborted();
    result = await withinRun(handle, () =>
      Promise.race([Promise.resolve().then(() => job.run(ctx)), rejectOnAbort(controller.signal)]),
    );
    if (result !== undefined) assertJson(result);
    // A job that caught the write budget's error (ctx.forEach with onError: 'collect') still stopped at it: exit 5.
    if (writeBudget.refusal) throw writeBudget.refusal;
  } catch (thrown) {
    // A job that turns an abort into some other error still ends as timeout / interrupted.
    error = controller.signal.aborted ? toError(controller.signal.reason) : toError(thrown);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onInterrupt);
    await transport.close().catch(() => {});
  }

  const finishedAt = clock.now();
  const report: RunReport = {
    job: job.name,
    runId,
    outcome: outcomeFor(error),
    exitCode: exitCodeFor(error),
    durationMs: Math.max(0, finishedAt - started),
    requests: transport.requests,
    retries: pipeline.retries,
    throttledMs: rateLimiter.throttledMs,
    writes: writeBudget.used,
    bytesReceived: transport.bytesReceived,
    finishedAt,
  };
  const budget = writeBudget.report();
  if (budget) report.writeBudget = budget;
  if (error === undefined && result !== undefined) report.result = result;
  if (error !== undefined) report.error = error;
  writeFinishedLine(alwaysLogger(log), report, dryRun);
  finished = true;
  return report;
}

function writeFinishedLine(log: Logger, report: RunReport, dryRun: boolean): void {
  const fields: Record<string, unknown> = {
    outcome: report.outcome,
    durationMs: report.durationMs,
    requests: report.requests,
    retries: report.retries,
    throttledMs: report.throttledMs,
    writes: report.writes,
  };
  if (dryRun) fields.dryRun = true;
  if (report.writeBudget) fields.writeBudget = report.writeBudget;
  if ('result' in report) fields.result = report.result;
  if (report.error) fields.err = report.error;
  const message =
    dryRun && report.writeBudget?.exceeded ? 'run finished (the write budget would stop the real run)' : 'run finished';
  if (report.outcome === 'succeeded') log.info(fields, message);
  else if (report.outcome === 'interrupted') log.warn(fields, message);
  else log.error(fields, message);
}

function assertJson(result: unknown): void {
  try {
    JSON.stringify(result);
  } catch (error) {
    throw new TypeError(`the job's result is not JSON-serialisable: ${(error as Error).message}`, { cause: error });
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
