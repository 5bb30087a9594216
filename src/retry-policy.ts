import { ApiError } from './api-error.js';
import type { Clock } from './clock.js';
import type { RetryOptions } from './job.js';
import type { HttpMethod } from './transport.js';
import { TransportError } from './transport-error.js';

/**
 * The one retry policy every API request goes through (`withRetry`, used by
 * the request pipeline), and the pure function that classifies a failure.
 *
 * Delay schedule (defaults): exponential backoff, factor 2, each delay
 * randomised ×1–2 (jitter) and capped at `maxTimeout`:
 *
 *   retry 1: 0.5–1 s, retry 2: 1–2 s, retry 3: 2–4 s, retry 4: 4–8 s, retry 5: 8–16 s
 *
 * so five retries wait 15.5–31 s in all. A `Retry-After` on 429 / 503 raises
 * the delay to at least that many seconds (capped at `RETRY_AFTER_CAP_MS`). A
 * 401 re-reads the credentials and retries at once without using up a retry
 * (so even `retries: 0` re-reads the token once); a second 401 in a row is
 * final. A retry whose delay would end past the run's deadline is not made:
 * the last error is thrown instead.
 *
 * Not p-retry: its delays use the global `setTimeout` and `Math.random`, which
 * cannot be injected, and its callbacks split this policy over three places.
 */
export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 5, minTimeout: 500, maxTimeout: 30_000 };

/** The longest `Retry-After` honoured; a larger value is cut to this. */
export const RETRY_AFTER_CAP_MS = 60_000;

export type RetryDecision =
  /** Retry after the backoff delay, but not sooner than `atLeastMs`. */
  | { action: 'retry'; atLeastMs: number }
  /** Re-read the credentials, then retry at once. */
  | { action: 'reauth' }
  | { action: 'fail' };

/** Transport failures worth another attempt (the connection, not the request, went wrong). */
const RETRYABLE_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'KUBEPOLL_REQUEST_TIMEOUT',
  // A gzipped answer that does not inflate: cut off or mangled on the way, as a dropped connection is (reads only).
  'Z_DATA_ERROR',
  'Z_BUF_ERROR',
]);

/**
 * Classifies a failed attempt. Pure: no IO, no clock.
 *
 * Which writes are retried: `PATCH` (a merge patch or an apply applied twice
 * gives the same object), `DELETE` (a repeat finds the object gone, which the
 * pipeline treats as done) and `PUT` (it carries a resourceVersion, so a repeat
 * of a stored update is a conflict, not a second change) are retried like
 * reads. `POST` (create) is retried only when the server certainly did not act
 * on it: 429 and 503 (the API server's "come back later"), or a connection that
 * was never made. A create whose connection broke mid-request is not resent,
 * since it may have been stored (and with `generateName` a resend would create
 * a second object).
 */
export function classifyFailure(error: unknown, method: HttpMethod): RetryDecision {
  if (error instanceof ApiError) {
    const status = error.status;
    if (status === 401) return { action: 'reauth' };
    if (status === 429 || status === 503) return { action: 'retry', atLeastMs: parseRetryAfter(error.retryAfter) };
    if (status >= 500 && method !== 'POST') return { action: 'retry', atLeastMs: 0 };
    return { action: 'fail' };
  }
  if (error instanceof TransportError) {
    if (error.notSent) return { action: 'retry', atLeastMs: 0 };
    // A write's answer that does not inflate came after its 2xx status: the write was done, so it is not sent again.
    if (error.errno.startsWith('Z_') && method !== 'GET') return { action: 'fail' };
    if (RETRYABLE_ERRNO.has(error.errno) && method !== 'POST') return { action: 'retry', atLeastMs: 0 };
  }
  return { action: 'fail' };
}

/**
 * `Retry-After` in ms: an integer number of seconds (what the API server sends),
 * capped at `capMs`. Anything else (missing, an HTTP date, garbage) gives 0.
 */
export function parseRetryAfter(value: string | undefined, capMs: number = RETRY_AFTER_CAP_MS): number {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return 0;
  return Math.min(Number.parseInt(value, 10) * 1000, capMs);
}

/** The backoff before retry number `retry` (from 0): `minTimeout × 2^retry × (1 + random)`, capped. Pure. */
export function backoffDelay(retry: number, options: Required<RetryOptions>, random: number): number {
  return Math.round(Math.min(options.maxTimeout, options.minTimeout * 2 ** retry * (1 + random)));
}

/** What `onRetry` is told about each retry. */
export interface RetryEvent {
  error: Error;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long until the next attempt. */
  delayMs: number;
  reauth: boolean;
}

export interface RetryRunOptions {
  method: HttpMethod;
  retry?: RetryOptions | undefined;
  /** Aborts retrying (and the sleep between attempts) with the signal's reason. */
  signal: AbortSignal;
  /** Epoch ms after which no retry is started. */
  deadline?: number | undefined;
  clock: Clock;
  onRetry: (event: RetryEvent) => void;
  /** Re-reads the credentials after a 401. */
  reauthenticate: () => Promise<void>;
}

/** Runs `attempt` under the retry policy; throws the last failure when the policy gives up. */
export async function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryRunOptions): Promise<T> {
  const { method, signal, clock } = options;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  let retriesUsed = 0;
  let unauthorizedInARow = 0;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const decision = classifyFailure(error, method);
      if (decision.action === 'reauth') {
        if (++unauthorizedInARow > 1) throw error;
        await options.reauthenticate();
        options.onRetry({ error: error as Error, attempt: attemptNumber, delayMs: 0, reauth: true });
        continue;
      }
      unauthorizedInARow = 0;
      if (decision.action === 'fail' || retriesUsed >= retry.retries) throw error;
      const delayMs = Math.max(backoffDelay(retriesUsed, retry, clock.random()), decision.atLeastMs);
      if (options.deadline !== undefined && clock.now() + delayMs >= options.deadline) throw error;
      retriesUsed++;
      options.onRetry({ error: error as Error, attempt: attemptNumber, delayMs, reauth: false });
      await clock.sleep(delayMs, signal);
    }
  }
}
