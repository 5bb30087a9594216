import { randomUUID } from 'node:crypto';
import { createApiClient } from './client.js';
import type { ClusterConfig } from './cluster-config.js';
import { DeadlineError, toError } from './errors.js';
import { exitCodeFor, type Outcome, outcomeFor } from './exit-codes.js';
import type { LoadedJob, RunContext } from './job.js';
import type { Logger } from './log.js';
import { createTransport } from './transport.js';

export interface RunOptions {
  config: ClusterConfig;
  logger: Logger;
  dryRun?: boolean;
  /** Overrides the job's `timeoutSeconds`. */
  timeoutSeconds?: number | undefined;
  /** Aborting it interrupts the run; its reason (an `InterruptedError`) becomes the run's error. */
  signal?: AbortSignal | undefined;
  requestTimeoutMs?: number | undefined;
  now?: () => number;
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
}

/**
 * Runs a job once: builds its context (one connection pool, the retry policy,
 * declared-access checks), enforces the deadline, and writes the `run finished`
 * line last. Never throws: every failure is in the report.
 */
export async function runJob(job: LoadedJob, options: RunOptions): Promise<RunReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const runId = randomUUID();
  const log = options.logger.child({ job: job.name, runId });
  const controller = new AbortController();
  const timeoutSeconds = options.timeoutSeconds ?? job.timeoutSeconds;
  const deadline = timeoutSeconds === undefined ? undefined : started + timeoutSeconds * 1000;
  const timer =
    timeoutSeconds === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DeadlineError(`run exceeded its deadline of ${timeoutSeconds}s`)),
          timeoutSeconds * 1000,
        );
  const onInterrupt = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onInterrupt();
  else options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const transport = createTransport(options.config, { requestTimeoutMs: options.requestTimeoutMs });
  let retries = 0;
  const client = createApiClient({
    transport,
    credentials: options.config.credentials,
    declarations: job.resources,
    namespace: options.config.namespace,
    dryRun: options.dryRun ?? false,
    signal: controller.signal,
    deadline,
    retry: job.retry,
    log,
    onRetry: () => retries++,
  });
  const ctx: RunContext = {
    list: client.list,
    get: client.get,
    create: client.create,
    patch: client.patch,
    delete: client.delete,
    log,
    signal: controller.signal,
    namespace: options.config.namespace,
    dryRun: options.dryRun ?? false,
    runId,
  };

  log.info({ namespace: ctx.namespace, dryRun: ctx.dryRun, config: options.config.source }, 'run started');
  let result: unknown;
  let error: Error | undefined;
  try {
    result = await Promise.race([Promise.resolve().then(() => job.run(ctx)), rejectOnAbort(controller.signal)]);
    if (result !== undefined) assertJson(result);
  } catch (thrown) {
    // A job that turns an abort into some other error still ends as timeout / interrupted.
    error = controller.signal.aborted ? toError(controller.signal.reason) : toError(thrown);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onInterrupt);
    await transport.close().catch(() => {});
  }

  const report: RunReport = {
    job: job.name,
    runId,
    outcome: outcomeFor(error),
    exitCode: exitCodeFor(error),
    durationMs: Math.max(0, now() - started),
    requests: transport.requests,
    retries,
  };
  if (error === undefined && result !== undefined) report.result = result;
  if (error !== undefined) report.error = error;
  const fields = {
    outcome: report.outcome,
    durationMs: report.durationMs,
    requests: report.requests,
    retries: report.retries,
    ...('result' in report ? { result: report.result } : {}),
    ...(error ? { err: error } : {}),
  };
  if (report.outcome === 'succeeded') log.info(fields, 'run finished');
  else if (report.outcome === 'interrupted') log.warn(fields, 'run finished');
  else log.error(fields, 'run finished');
  return report;
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
