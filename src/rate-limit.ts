import type { Clock } from './clock.js';
import type { RateLimit } from './job.js';

/** Used when neither the job (`rateLimit`) nor the flags (`--qps`, `--burst`) set one: kubectl's. */
export const DEFAULT_RATE_LIMIT: RateLimit = { qps: 50, burst: 300 };

/**
 * A token bucket over every request of a run, as client-go's
 * (`flowcontrol.NewTokenBucketRateLimiter`, golang.org/x/time/rate): the bucket
 * holds up to `burst` tokens and refills at `qps` per second; a request takes
 * one, and when none is left it reserves the next and waits for it. Waiters are
 * served in order. The wait aborts with the run's signal (deadline, SIGTERM).
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  /** Tokens at `#at`; negative when requests have reserved tokens not yet refilled. */
  #tokens: number;
  #at: number;
  /** Total time requests waited for a token, in ms. */
  throttledMs = 0;

  constructor(limit: RateLimit, clock: Clock) {
    if (!(limit.qps > 0) || !Number.isFinite(limit.qps)) throw new TypeError(`rate limit qps must be > 0, got ${limit.qps}`);
    if (!Number.isInteger(limit.burst) || limit.burst < 1) {
      throw new TypeError(`rate limit burst must be a whole number >= 1, got ${limit.burst}`);
    }
    this.#qps = limit.qps;
    this.#burst = limit.burst;
    this.#clock = clock;
    this.#tokens = limit.burst;
    this.#at = clock.now();
  }

  /** Takes a token, waiting for one if needed; resolves to the ms waited. */
  async take(signal: AbortSignal): Promise<number> {
    signal.throwIfAborted();
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#qps) / 1000);
    this.#at = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return 0;
    const waitMs = Math.ceil((-this.#tokens * 1000) / this.#qps);
    try {
      await this.#clock.sleep(waitMs, signal);
    } catch (error) {
      this.#tokens += 1; // give the reservation back: this request is not sent
      throw error;
    }
    this.throttledMs += waitMs;
    return waitMs;
  }
}
