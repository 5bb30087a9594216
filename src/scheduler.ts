import type { Logger } from 'pino';
import { InterruptedError } from './errors.js';
import type { LoadedJob } from './job.js';
import type { RunReport } from './run.js';
import { nextRuns } from './schedule.js';

/** Used when a job sets no `startingDeadlineSeconds` (here and in the generated CronJob). */
export const DEFAULT_STARTING_DEADLINE_SECONDS = 300;
/** The scheduler wakes at least this often, so a clock jump or suspend is noticed within a minute. */
export const MAX_SLEEP_MS = 60_000;

/** Timers, clock and randomness, injectable so tests drive schedules with fake time. */
export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: Math.random,
};

export interface SchedulerOptions {
  /** Starts one full run of `job`; `signal` aborts it (Replace, shutdown). Must not throw. */
  startRun: (job: LoadedJob, signal: AbortSignal) => Promise<RunReport | undefined>;
  log: Logger;
  clock?: SchedulerClock;
  /** Told about every tick that did not start a run. */
  onSkip?: (job: LoadedJob, reason: SkipReason) => void;
  /** With leader election: runs start only while this says true. Default: always. */
  isLeader?: () => boolean;
}

/** Why a tick started no run: missed by more than startingDeadlineSeconds, Forbid with a run in flight, or not the leader. */
export type SkipReason = 'missed' | 'forbid' | 'not-leader';

interface Entry {
  job: LoadedJob;
  next: number;
  running: Set<{ controller: AbortController; done: Promise<unknown> }>;
}

/**
 * Runs jobs at their cron ticks in one process, with the CronJob's meaning of
 * `concurrencyPolicy` (default `Forbid`) and `startingDeadlineSeconds`:
 * a tick missed by more than the deadline (suspend, blocked event loop, clock
 * jump) is skipped with a warning; otherwise it runs once. The next tick is
 * always computed from now, so there is never a burst of catch-up runs.
 */
export class Scheduler {
  readonly #entries: Entry[];
  readonly #options: SchedulerOptions;
  readonly #clock: SchedulerClock;
  #timer: unknown;
  #stopped = false;
  readonly #pending = new Set<unknown>();
  /** When the loop last woke: `/healthz` reports it alive while this is recent. */
  lastWake = 0;

  constructor(jobs: readonly LoadedJob[], options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const now = this.#clock.now();
    this.#entries = jobs.map((job) => ({ job, next: this.#nextAfter(job, now), running: new Set() }));
  }

  /** Each job's next tick (epoch ms), for logs and tests. */
  nextTicks(): Record<string, number> {
    return Object.fromEntries(this.#entries.map((e) => [e.job.name, e.next]));
  }

  start(): void {
    for (const e of this.#entries) this.#options.log.info({ job: e.job.name, next: new Date(e.next).toISOString() }, 'scheduled');
    this.#arm();
  }

  get alive(): boolean {
    return !this.#stopped && this.#clock.now() - this.lastWake <= 2 * MAX_SLEEP_MS + 5_000;
  }

  /** Stops scheduling, aborts in-flight runs through their signal, and waits for them to finish. */
  async stop(reason: InterruptedError): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    for (const handle of this.#pending) this.#clock.clearTimeout(handle);
    await this.abortRuns(reason);
  }

  /** Aborts the runs in flight (shutdown, or leadership lost) and waits for their last lines. */
  async abortRuns(reason: Error): Promise<void> {
    const inFlight = this.#entries.flatMap((e) => [...e.running]);
    for (const run of inFlight) run.controller.abort(reason);
    await Promise.allSettled(inFlight.map((r) => r.done));
  }

  #nextAfter(job: LoadedJob, now: number): number {
    return (nextRuns(job.schedule as string, job.timeZone, new Date(now), 1)[0] as Date).getTime();
  }

  #arm(): void {
    if (this.#stopped) return;
    this.lastWake = this.#clock.now();
    const earliest = Math.min(...this.#entries.map((e) => e.next));
    const delay = Math.max(0, Math.min(earliest - this.#clock.now(), MAX_SLEEP_MS));
    this.#timer = this.#clock.setTimeout(() => this.#wake(), delay);
  }

  #wake(): void {
    const now = this.#clock.now();
    for (const entry of this.#entries) {
      if (entry.next > now) continue;
      const late = now - entry.next;
      const deadline = (entry.job.startingDeadlineSeconds ?? DEFAULT_STARTING_DEADLINE_SECONDS) * 1000;
      if (late > deadline) {
        this.#options.log.warn(
          { job: entry.job.name, tick: new Date(entry.next).toISOString(), lateMs: late },
          'missed a tick by more than startingDeadlineSeconds; skipped',
        );
        this.#options.onSkip?.(entry.job, 'missed');
      } else {
        this.#trigger(entry);
      }
      entry.next = this.#nextAfter(entry.job, now);
    }
    this.#arm();
  }

  #trigger(entry: Entry): void {
    const jitterMs = Math.floor(this.#clock.random() * (entry.job.jitterSeconds ?? 0) * 1000);
    if (jitterMs <= 0) {
      this.#launch(entry);
      return;
    }
    const handle = this.#clock.setTimeout(() => {
      this.#pending.delete(handle);
      if (!this.#stopped) this.#launch(entry);
    }, jitterMs);
    this.#pending.add(handle);
  }

  #launch(entry: Entry): void {
    const { job } = entry;
    if (this.#options.isLeader && !this.#options.isLeader()) {
      this.#options.log.debug({ job: job.name }, 'not the leader; this tick is left to the leader');
      this.#options.onSkip?.(job, 'not-leader');
      return;
    }
    const policy = job.concurrencyPolicy ?? 'Forbid';
    if (entry.running.size > 0 && policy === 'Forbid') {
      this.#options.log.warn({ job: job.name, concurrencyPolicy: policy }, 'previous run still running; this tick is skipped');
      this.#options.onSkip?.(job, 'forbid');
      return;
    }
    if (entry.running.size > 0 && policy === 'Replace') {
      this.#options.log.warn({ job: job.name, concurrencyPolicy: policy }, 'previous run still running; replacing it');
      for (const run of entry.running)
        run.controller.abort(new InterruptedError('SIGTERM', 'replaced by a newer run (concurrencyPolicy Replace)'));
    }
    const controller = new AbortController();
    const run = { controller, done: Promise.resolve() as Promise<unknown> };
    run.done = this.#options
      .startRun(job, controller.signal)
      .catch((error: unknown) => this.#options.log.error({ job: job.name, err: error }, 'run could not start'))
      .finally(() => entry.running.delete(run));
    entry.running.add(run);
  }
}
