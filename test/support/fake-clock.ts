import type { Clock } from '../../src/clock.js';

/**
 * A `Clock` for unit tests: virtual time, no real waiting.
 *
 * `sleep(ms)` records `ms` in `sleeps` and resolves on a later microtask, with
 * `t` moved on to at least the moment that sleep was due (`t` at the call + `ms`).
 * Sleeps started at the same virtual moment therefore end as they would for
 * real (three concurrent sleeps of 100, 200 and 300 ms end at t + 300, not
 * t + 600), and a test can still abort a sleep it just started. An aborted
 * sleep (before it starts, or by the time it would end) rejects with the
 * signal's reason and does not move time on. `random()` returns `randomValue`.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * clock.randomValue = 0.5;
 * await withRetry(attempt, { clock, ... });
 * expect(clock.sleeps).toEqual([750]);
 * ```
 */
export class FakeClock implements Clock {
  /** Virtual epoch milliseconds. */
  t: number;
  /** What `random()` returns; in [0, 1). */
  randomValue = 0;
  /** Every `ms` passed to `sleep`, in call order (aborted ones included). */
  readonly sleeps: number[] = [];

  /** Starts at `start` (default 2026-12-01T00:00:00Z, the day of the test fixtures). */
  constructor(start = Date.parse('2026-12-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  random(): number {
    return this.randomValue;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal.aborted) throw signal.reason;
    const due = this.t + ms;
    await Promise.resolve();
    if (signal.aborted) throw signal.reason;
    this.t = Math.max(this.t, due);
  }

  /** Moves virtual time on by `ms` (time passing between calls, with no sleep). */
  advance(ms: number): void {
    this.t += ms;
  }
}
