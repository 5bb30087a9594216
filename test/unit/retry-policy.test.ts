import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFromResponse } from '../../src/api-error.js';
import { DeadlineError } from '../../src/errors.js';
import {
  backoffDelay,
  classifyFailure,
  DEFAULT_RETRY,
  parseRetryAfter,
  RETRY_AFTER_CAP_MS,
  type RetryDecision,
  type RetryEvent,
  type RetryRunOptions,
  withRetry,
} from '../../src/retry-policy.js';
import type { HttpMethod } from '../../src/transport.js';
import { TlsError, TransportError } from '../../src/transport-error.js';
import { FakeClock } from '../support/fake-clock.js';

const request = { verb: 'get', resource: 'configmaps', namespace: 'ns', name: 'x' };
const api = (status: number, retryAfter?: string) => apiErrorFromResponse({ status, retryAfter, bodyText: '' }, request);
const net = (errno: string) => new TransportError(`x (${errno})`, errno, {});

const METHODS: HttpMethod[] = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'];
const RETRY: RetryDecision = { action: 'retry', atLeastMs: 0 };
const FAIL: RetryDecision = { action: 'fail' };
/** The same decision for reads and the idempotent writes, another for POST (create). */
const byMethod = (others: RetryDecision, post: RetryDecision) => ({
  GET: others,
  PUT: others,
  PATCH: others,
  DELETE: others,
  POST: post,
});

describe('classifyFailure', () => {
  const cases: [string, () => unknown, Record<HttpMethod, RetryDecision>][] = [
    ['401', () => api(401), byMethod({ action: 'reauth' }, { action: 'reauth' })],
    [
      '429 Retry-After 2',
      () => api(429, '2'),
      byMethod({ action: 'retry', atLeastMs: 2000 }, { action: 'retry', atLeastMs: 2000 }),
    ],
    ['429', () => api(429), byMethod(RETRY, RETRY)],
    ['503', () => api(503), byMethod(RETRY, RETRY)],
    [
      '503 Retry-After 7',
      () => api(503, '7'),
      byMethod({ action: 'retry', atLeastMs: 7000 }, { action: 'retry', atLeastMs: 7000 }),
    ],
    // Another 5xx: the server may have acted on a create, so POST is not resent.
    ['500', () => api(500), byMethod(RETRY, FAIL)],
    ['502', () => api(502), byMethod(RETRY, FAIL)],
    ['504', () => api(504), byMethod(RETRY, FAIL)],
    ['500 with a Retry-After', () => api(500, '9'), byMethod(RETRY, FAIL)],
    ['400', () => api(400), byMethod(FAIL, FAIL)],
    ['403', () => api(403), byMethod(FAIL, FAIL)],
    ['404', () => api(404), byMethod(FAIL, FAIL)],
    ['409', () => api(409), byMethod(FAIL, FAIL)],
    ['410', () => api(410), byMethod(FAIL, FAIL)],
    ['422', () => api(422), byMethod(FAIL, FAIL)],
    // Connections never made: safe to resend any verb.
    ...['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].map(
      (errno) => [errno, () => net(errno), byMethod(RETRY, RETRY)] as [string, () => unknown, Record<HttpMethod, RetryDecision>],
    ),
    // Connections that broke mid-request: a create may have been stored.
    ...[
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'UND_ERR_SOCKET',
      'UND_ERR_CLOSED',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'KUBEPOLL_REQUEST_TIMEOUT',
    ].map(
      (errno) => [errno, () => net(errno), byMethod(RETRY, FAIL)] as [string, () => unknown, Record<HttpMethod, RetryDecision>],
    ),
    ['KUBEPOLL_RESPONSE_TOO_LARGE', () => net('KUBEPOLL_RESPONSE_TOO_LARGE'), byMethod(FAIL, FAIL)],
    ['UNKNOWN errno', () => net('UNKNOWN'), byMethod(FAIL, FAIL)],
    ['a TLS failure', () => new TlsError('bad cert', 'DEPTH_ZERO_SELF_SIGNED_CERT', {}), byMethod(FAIL, FAIL)],
    ['a bug in the job', () => new Error('boom'), byMethod(FAIL, FAIL)],
    ['an abort reason', () => new DeadlineError('deadline'), byMethod(FAIL, FAIL)],
    ['a thrown string', () => 'ECONNRESET', byMethod(FAIL, FAIL)],
  ];
  it.each(
    cases.flatMap(([what, error, decisions]) => METHODS.map((method) => [what, method, error, decisions[method]] as const)),
  )('%s on %s', (_what, method, error, decision) => {
    expect(classifyFailure(error(), method)).toEqual(decision);
  });
});

describe('parseRetryAfter', () => {
  it('reads whole seconds and caps them', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('60')).toBe(60_000);
    expect(RETRY_AFTER_CAP_MS).toBe(60_000);
    expect(parseRetryAfter('61')).toBe(60_000);
    expect(parseRetryAfter('3600')).toBe(60_000);
    expect(parseRetryAfter('10', 5000)).toBe(5000);
  });

  it('ignores what is not a whole number of seconds', () => {
    expect(parseRetryAfter(undefined)).toBe(0);
    expect(parseRetryAfter('')).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT')).toBe(0);
    expect(parseRetryAfter('-1')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(0);
    expect(parseRetryAfter('2s')).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('doubles from 0.5 s, randomised ×1–2: 0.5–1 s, 1–2 s, 2–4 s, 4–8 s, 8–16 s', () => {
    expect(DEFAULT_RETRY).toEqual({ retries: 5, minTimeout: 500, maxTimeout: 30_000 });
    const schedule = (random: number) => [0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, DEFAULT_RETRY, random));
    expect(schedule(0)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(schedule(0.5)).toEqual([750, 1500, 3000, 6000, 12_000]);
    expect(schedule(0.999)).toEqual([1000, 1999, 3998, 7996, 15_992]);
    // Five retries wait 15.5–31 s in all.
    expect(schedule(0).reduce((a, b) => a + b)).toBe(15_500);
  });

  it('is capped at maxTimeout', () => {
    expect(backoffDelay(5, DEFAULT_RETRY, 0)).toBe(16_000);
    expect(backoffDelay(5, DEFAULT_RETRY, 0.9)).toBe(30_000); // 30 400 capped
    expect(backoffDelay(12, DEFAULT_RETRY, 0)).toBe(30_000);
    const small = { retries: 9, minTimeout: 100, maxTimeout: 1000 };
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, small, 0))).toEqual([100, 200, 400, 800, 1000]);
  });
});

/** A scripted attempt: each call takes the next outcome (an error is thrown, anything else returned). */
function script(outcomes: unknown[]) {
  const calls: number[] = [];
  const attempt = async (attemptNumber: number) => {
    calls.push(attemptNumber);
    const outcome = outcomes[calls.length - 1];
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { attempt, calls };
}

function runOptions(clock: FakeClock, extra: Partial<RetryRunOptions> = {}) {
  const events: RetryEvent[] = [];
  const state = { reauths: 0 };
  const options: RetryRunOptions = {
    method: 'GET',
    signal: new AbortController().signal,
    clock,
    onRetry: (event) => events.push(event),
    reauthenticate: async () => {
      state.reauths++;
    },
    ...extra,
  };
  return { options, events, state };
}

describe('withRetry', () => {
  it('retries a retryable failure after the backoff, then returns the answer', async () => {
    const clock = new FakeClock(0);
    const first = api(500);
    const second = net('ECONNRESET');
    const { attempt, calls } = script([first, second, 'answer']);
    const { options, events } = runOptions(clock);
    await expect(withRetry(attempt, options)).resolves.toBe('answer');
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(clock.t).toBe(1500);
    expect(events).toEqual([
      { error: first, attempt: 1, delayMs: 500, reauth: false },
      { error: second, attempt: 2, delayMs: 1000, reauth: false },
    ]);
  });

  it('randomises each delay with the clock', async () => {
    const clock = new FakeClock(0);
    clock.randomValue = 0.5;
    const { attempt } = script([api(503), api(503), 'ok']);
    await withRetry(attempt, runOptions(clock).options);
    expect(clock.sleeps).toEqual([750, 1500]);
  });

  it('gives up after `retries` retries with the last error', async () => {
    const clock = new FakeClock(0);
    const errors = [api(502), api(503), api(504)];
    const { attempt, calls } = script([...errors, 'never reached']);
    const { options } = runOptions(clock, { retry: { retries: 2 } });
    await expect(withRetry(attempt, options)).rejects.toBe(errors[2]);
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it("uses the job's minTimeout and maxTimeout", async () => {
    const clock = new FakeClock(0);
    const { attempt } = script([api(500), api(500), api(500), 'ok']);
    await withRetry(attempt, runOptions(clock, { retry: { minTimeout: 100, maxTimeout: 300 } }).options);
    expect(clock.sleeps).toEqual([100, 200, 300]);
  });

  it('does not retry what the policy calls final', async () => {
    const clock = new FakeClock(0);
    const notFound = api(404);
    const { attempt, calls } = script([notFound, 'ok']);
    await expect(withRetry(attempt, runOptions(clock).options)).rejects.toBe(notFound);
    const created = api(500);
    const post = script([created, 'ok']);
    await expect(withRetry(post.attempt, runOptions(clock, { method: 'POST' }).options)).rejects.toBe(created);
    expect(calls).toEqual([1]);
    expect(post.calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('waits at least the Retry-After, and the backoff when that is longer', async () => {
    const clock = new FakeClock(0);
    const { attempt } = script([api(429, '3'), api(503, '0'), api(503, '120'), 'ok']);
    await withRetry(attempt, runOptions(clock).options);
    // 3 s over a 0.5 s backoff; the 1 s backoff over 0 s; 120 s capped to 60 s over a 2 s backoff.
    expect(clock.sleeps).toEqual([3000, 1000, 60_000]);
  });

  it('a 401 re-reads the credentials and retries at once, even with retries: 0', async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    const unauthorized = api(401);
    const { attempt, calls } = script([unauthorized, 'ok']);
    const { options, events, state } = runOptions(clock, {
      retry: { retries: 0 },
      reauthenticate: async () => {
        order.push(`reauth after attempt ${calls.length}`);
        state.reauths++;
      },
    });
    await expect(withRetry(attempt, options)).resolves.toBe('ok');
    expect(calls).toEqual([1, 2]);
    expect(order).toEqual(['reauth after attempt 1']);
    expect(clock.sleeps).toEqual([]);
    expect(events).toEqual([{ error: unauthorized, attempt: 1, delayMs: 0, reauth: true }]);
  });

  it('a second 401 in a row is thrown', async () => {
    const clock = new FakeClock(0);
    const again = api(401);
    const { attempt, calls } = script([api(401), again, 'ok']);
    const { options, state } = runOptions(clock);
    await expect(withRetry(attempt, options)).rejects.toBe(again);
    expect(calls).toEqual([1, 2]);
    expect(state.reauths).toBe(1);
  });

  it('a 401 after another failure is re-read again, and neither uses up a retry', async () => {
    const clock = new FakeClock(0);
    const { attempt, calls } = script([api(401), api(500), api(401), 'ok']);
    const { options, state } = runOptions(clock, { retry: { retries: 1 } });
    await expect(withRetry(attempt, options)).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(state.reauths).toBe(2);
    expect(clock.sleeps).toEqual([500]);
  });

  it('does not make a retry whose delay would pass the deadline: the last error, no sleep', async () => {
    const clock = new FakeClock(0);
    const failure = api(503);
    const { attempt, calls } = script([failure, 'ok']);
    await expect(withRetry(attempt, runOptions(clock, { deadline: 500 }).options)).rejects.toBe(failure);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('makes the retries that end before the deadline, and not the one after', async () => {
    const clock = new FakeClock(0);
    const second = api(500);
    const { attempt, calls } = script([api(500), second, 'ok']);
    // First retry at 500 < 1499; the second would be at 500 + 1000 = 1500 >= 1499.
    await expect(withRetry(attempt, runOptions(clock, { deadline: 1499 }).options)).rejects.toBe(second);
    expect(calls).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([500]);
  });

  it('a Retry-After past the deadline is not waited for', async () => {
    const clock = new FakeClock(0);
    const busy = api(429, '30');
    const { attempt } = script([busy, 'ok']);
    await expect(withRetry(attempt, runOptions(clock, { deadline: 10_000 }).options)).rejects.toBe(busy);
    expect(clock.sleeps).toEqual([]);
  });

  it("an abort during an attempt stops it with the signal's reason, not the attempt's error", async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const reason = new DeadlineError('run exceeded its deadline of 5s');
    const calls: number[] = [];
    const attempt = async (n: number) => {
      calls.push(n);
      controller.abort(reason);
      throw net('ECONNRESET');
    };
    await expect(withRetry(attempt, runOptions(clock, { signal: controller.signal }).options)).rejects.toBe(reason);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('an abort during the wait between attempts stops it with the reason', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    const { attempt, calls } = script([api(503), 'ok']);
    const { options } = runOptions(clock, {
      signal: controller.signal,
      // The abort lands once the sleep has started.
      onRetry: () => queueMicrotask(() => controller.abort(reason)),
    });
    await expect(withRetry(attempt, options)).rejects.toBe(reason);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([500]);
  });
});

// Kept from the earlier version of this file: the ApiError the policy classifies, built from a response.
describe('ApiError from a response', () => {
  const response = (status: number, bodyText: string, retryAfter?: string) =>
    apiErrorFromResponse({ status, retryAfter, bodyText }, request);

  it('takes reason and message from a Status body', () => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'configmaps "x" is forbidden: User "u" cannot get resource "configmaps"',
      reason: 'Forbidden',
      code: 403,
    });
    const error = response(403, body);
    expect(error).toMatchObject({ status: 403, reason: 'Forbidden', verb: 'get', resource: 'configmaps', permanent: true });
    expect(error.message).toBe(
      'get configmaps "x" in namespace ns: 403 Forbidden: configmaps "x" is forbidden: User "u" cannot get resource "configmaps"',
    );
  });

  it('handles a plain-text 429 and an empty 401', () => {
    expect(response(429, 'Too many requests, please try again later.\n', '1')).toMatchObject({
      reason: 'TooManyRequests',
      serverMessage: 'Too many requests, please try again later.',
      retryAfter: '1',
    });
    expect(response(401, '')).toMatchObject({ reason: 'Unauthorized', serverMessage: 'Unauthorized', permanent: true });
  });

  it('keeps the inconsistent-continue token of a 410', () => {
    const body = JSON.stringify({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old',
      metadata: { continue: 'abc' },
    });
    expect(response(410, body).continueToken).toBe('abc');
  });

  it('is a real Error with a stable code and the Retry-After header', () => {
    const error = api(429, '4');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'API', status: 429, reason: 'TooManyRequests', retryAfter: '4', permanent: false });
  });
});
