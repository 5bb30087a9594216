import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import type { LoadedJob } from '../../src/job.js';
import type { RunReport } from '../../src/run.js';
import { Scheduler, type SchedulerClock } from '../../src/scheduler.js';
import { captureLogs } from '../support/log-capture.js';

/** A clock whose time moves only when the test says so; `suspend` moves it without firing timers. */
class FakeClock implements SchedulerClock {
  time: number;
  randomValue = 0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;
  constructor(start: string) {
    this.time = Date.parse(start);
  }
  now = () => this.time;
  random = () => this.randomValue;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.#next;
    this.#timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  };
  /** Moves time forward, firing every timer that falls due on the way, in order. */
  async advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const due = this.#timers[0];
      if (!due || due.at > end) break;
      this.#timers.shift();
      this.time = Math.max(this.time, due.at);
      due.fn();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.time = end;
  }
  /** The process was suspended (or the event loop blocked): time passes, nothing fires. */
  suspend(ms: number) {
    this.time += ms;
  }
}

const job = (fields: Partial<LoadedJob> = {}): LoadedJob => ({
  name: 'poller',
  resources: [],
  settingValues: {},
  run: () => undefined,
  schedule: '*/10 * * * * *',
  ...fields,
});

/** A run function that records each start and finishes after `durationMs` of fake time (or when aborted). */
function recorder(clock: FakeClock, durationMs = 0) {
  const starts: { at: string; signal: AbortSignal }[] = [];
  const startRun = (j: LoadedJob, signal: AbortSignal) => {
    starts.push({ at: new Date(clock.now()).toISOString().slice(11, 19), signal });
    return new Promise<RunReport | undefined>((resolve) => {
      const finish = () =>
        resolve({
          job: j.name,
          runId: 'r',
          outcome: signal.aborted ? 'interrupted' : 'succeeded',
          exitCode: 0,
          durationMs,
          requests: 1,
          retries: 0,
          throttledMs: 0,
          writes: 0,
          bytesReceived: 0,
          finishedAt: clock.now(),
        });
      if (durationMs === 0) finish();
      else clock.setTimeout(finish, durationMs);
      signal.addEventListener('abort', finish, { once: true });
    });
  };
  return { starts, startRun };
}

function setup(j: LoadedJob, durationMs = 0, start = '2026-11-30T12:00:01Z') {
  const clock = new FakeClock(start);
  const logs = captureLogs();
  const skips: string[] = [];
  const { starts, startRun } = recorder(clock, durationMs);
  const scheduler = new Scheduler([j], { startRun, log: logs.logger, clock, onSkip: (_, reason) => skips.push(reason) });
  scheduler.start();
  return { clock, logs, skips, starts, scheduler };
}

describe('scheduler', () => {
  it('runs at every tick of a 6-field schedule', async () => {
    const { clock, starts } = setup(job());
    await clock.advance(35_000);
    expect(starts.map((s) => s.at)).toEqual(['12:00:10', '12:00:20', '12:00:30']);
  });

  it('honours the time zone of 5-field schedules', () => {
    const { scheduler } = setup(job({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }));
    expect(new Date(scheduler.nextTicks().poller as number).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('Forbid (the default) skips a tick while the previous run is still running, and says so', async () => {
    const { clock, starts, skips, logs } = setup(job(), 25_000);
    await clock.advance(45_000);
    expect(starts.map((s) => s.at)).toEqual(['12:00:10', '12:00:40']);
    expect(skips).toEqual(['forbid', 'forbid']);
    expect(logs.lines().filter((l) => l.msg === 'previous run still running; this tick is skipped')).toHaveLength(2);
  });

  it('Allow lets runs overlap', async () => {
    const { clock, starts } = setup(job({ concurrencyPolicy: 'Allow' }), 25_000);
    await clock.advance(35_000);
    expect(starts.map((s) => s.at)).toEqual(['12:00:10', '12:00:20', '12:00:30']);
  });

  it('Replace aborts the running one through its signal and starts the new one', async () => {
    const { clock, starts, logs } = setup(job({ concurrencyPolicy: 'Replace' }), 25_000);
    await clock.advance(25_000);
    expect(starts).toHaveLength(2);
    expect(starts[0]?.signal.aborted).toBe(true);
    expect((starts[0]?.signal.reason as Error | undefined)?.message).toBe('replaced by a newer run (concurrencyPolicy Replace)');
    expect(starts[1]?.signal.aborted).toBe(false);
    expect(logs.lines().some((l) => l.msg === 'previous run still running; replacing it')).toBe(true);
  });

  it('a tick missed by more than startingDeadlineSeconds is skipped with one warning, never a burst', async () => {
    const { clock, starts, skips, logs } = setup(job({ schedule: '* * * * *', startingDeadlineSeconds: 60 }));
    clock.suspend(10 * 60_000); // ten ticks pass while suspended
    await clock.advance(1);
    expect(starts).toHaveLength(0);
    expect(skips).toEqual(['missed']);
    expect(logs.lines().filter((l) => l.level === 'warn')).toHaveLength(1);
    await clock.advance(60_000);
    expect(starts.map((s) => s.at)).toEqual(['12:11:00']);
  });

  it('a tick missed by less than startingDeadlineSeconds runs once', async () => {
    const { clock, starts, skips } = setup(job({ schedule: '* * * * *', startingDeadlineSeconds: 120 }));
    clock.suspend(60_000 + 30_000); // woke 31 s after the 12:01 tick
    await clock.advance(1);
    expect(starts.map((s) => s.at)).toEqual(['12:01:31']);
    expect(skips).toEqual([]);
  });

  it('spreads a run by up to jitterSeconds', async () => {
    const { clock, starts } = setup(job({ jitterSeconds: 8 }));
    clock.randomValue = 0.5;
    await clock.advance(13_000);
    expect(starts.map((s) => s.at)).toEqual(['12:00:14']);
  });

  it('stop() schedules nothing more, aborts runs in flight and waits for them', async () => {
    const { clock, starts, scheduler } = setup(job(), 60_000);
    await clock.advance(10_000);
    expect(starts).toHaveLength(1);
    await scheduler.stop(new InterruptedError('SIGTERM'));
    expect(starts[0]?.signal.aborted).toBe(true);
    expect(scheduler.alive).toBe(false);
    await clock.advance(60_000);
    expect(starts).toHaveLength(1);
  });
});

describe('scheduler with leader election', () => {
  it('starts runs only while it leads; ticks while not leading are skipped as not-leader', async () => {
    const clock = new FakeClock('2026-11-30T12:00:01Z');
    const skips: string[] = [];
    const { starts, startRun } = recorder(clock);
    let leading = false;
    const scheduler = new Scheduler([job()], {
      startRun,
      log: captureLogs().logger,
      clock,
      onSkip: (_, reason) => skips.push(reason),
      isLeader: () => leading,
    });
    scheduler.start();
    await clock.advance(15_000); // tick at 12:00:10, not leading
    leading = true;
    await clock.advance(10_000); // tick at 12:00:20, leading
    leading = false;
    await clock.advance(10_000); // tick at 12:00:30, not leading
    expect(starts.map((s) => s.at)).toEqual(['12:00:20']);
    expect(skips).toEqual(['not-leader', 'not-leader']);
    await scheduler.stop(new InterruptedError('SIGTERM'));
  });

  it('abortRuns aborts what is in flight (leadership lost) and waits for it; scheduling goes on', async () => {
    const { clock, starts, scheduler } = setup(job({ concurrencyPolicy: 'Allow' }), 60_000);
    await clock.advance(10_000);
    expect(starts).toHaveLength(1);
    await scheduler.abortRuns(new InterruptedError('SIGTERM', 'this replica lost the leader lease'));
    expect(starts[0]?.signal.aborted).toBe(true);
    expect((starts[0]?.signal.reason as Error | undefined)?.message).toBe('this replica lost the leader lease');
    await clock.advance(10_000);
    expect(starts).toHaveLength(2);
    await scheduler.stop(new InterruptedError('SIGTERM'));
  });
});
