import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/rate-limit.js';
import { FakeClock } from '../support/fake-clock.js';

const open = () => new AbortController().signal;

describe('TokenBucket', () => {
  it('lets a burst through at once, then one request per 1/qps', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) waits.push(await bucket.take(open()));
    // 3 free tokens, then every token takes 1000 / 10 = 100 ms to refill.
    expect(waits).toEqual([0, 0, 0, 100, 100, 100]);
    expect(clock.sleeps).toEqual([100, 100, 100]);
    expect(clock.t).toBe(300);
    expect(bucket.throttledMs).toBe(300);
  });

  it('refills while idle, never beyond the burst', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) await bucket.take(open());
    clock.advance(10_000); // 100 tokens' worth of time, but the bucket holds 3
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(await bucket.take(open()));
    expect(waits).toEqual([0, 0, 0, 100]);
  });

  it('counts a partly refilled token: 50 ms after the bucket ran dry, half a token is there', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 1 }, clock);
    await bucket.take(open());
    clock.advance(50);
    expect(await bucket.take(open())).toBe(50);
  });

  it('serves waiting requests in order: each reserves the next token', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 4, burst: 2 }, clock);
    // All at the same moment: 2 free, then tokens at 250, 500 and 750 ms.
    const waits = await Promise.all([0, 1, 2, 3, 4].map(() => bucket.take(open())));
    expect(waits).toEqual([0, 0, 250, 500, 750]);
    expect(clock.t).toBe(750);
    expect(bucket.throttledMs).toBe(1500);
  });

  it('a wait aborted by the signal rejects with its reason and gives the token back', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 1 }, clock);
    await bucket.take(open());
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(bucket.throttledMs).toBe(0);
    // Had the aborted request kept its reservation, this one would wait 200 ms.
    expect(await bucket.take(open())).toBe(100);
  });

  it('an already aborted signal takes no token', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 1 }, clock);
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    controller.abort(reason);
    await expect(bucket.take(controller.signal)).rejects.toBe(reason);
    expect(clock.sleeps).toEqual([]);
    expect(await bucket.take(open())).toBe(0);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses qps %s with a TypeError naming it', (qps) => {
    expect(() => new TokenBucket({ qps, burst: 1 }, new FakeClock())).toThrow(TypeError);
    expect(() => new TokenBucket({ qps, burst: 1 }, new FakeClock())).toThrow(`rate limit qps must be > 0, got ${qps}`);
  });

  it.each([0, -3, 1.5, Number.NaN])('refuses burst %s with a TypeError naming it', (burst) => {
    expect(() => new TokenBucket({ qps: 1, burst }, new FakeClock())).toThrow(TypeError);
    expect(() => new TokenBucket({ qps: 1, burst }, new FakeClock())).toThrow(
      `rate limit burst must be a whole number >= 1, got ${burst}`,
    );
  });

  it('accepts a fractional qps: 0.5 per second is a token every 2 s', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 0.5, burst: 1 }, clock);
    expect(await bucket.take(open())).toBe(0);
    expect(await bucket.take(open())).toBe(2000);
  });
});
