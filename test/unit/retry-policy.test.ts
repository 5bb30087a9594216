import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFromResponse } from '../../src/api-error.js';
import { classifyFailure, parseRetryAfter, RETRY_AFTER_CAP_MS } from '../../src/retry-policy.js';
import { TransportError } from '../../src/transport-error.js';

const request = { verb: 'get', resource: 'configmaps', namespace: 'ns', name: 'x' };
const api = (status: number, retryAfter?: string) => apiErrorFromResponse(status, retryAfter, '', request);
const net = (errno: string) => new TransportError('x', errno, {});

describe('classifyFailure', () => {
  it.each([
    [api(429, '2'), 'GET', { action: 'retry', atLeastMs: 2000 }],
    [api(503), 'GET', { action: 'retry', atLeastMs: 0 }],
    [api(429, '5'), 'POST', { action: 'retry', atLeastMs: 5000 }],
    [api(503, '1'), 'POST', { action: 'retry', atLeastMs: 1000 }],
    [api(500), 'GET', { action: 'retry', atLeastMs: 0 }],
    [api(504), 'PATCH', { action: 'retry', atLeastMs: 0 }],
    [api(500), 'POST', { action: 'fail' }],
    [api(401), 'GET', { action: 'reauth' }],
    [api(400), 'GET', { action: 'fail' }],
    [api(403), 'GET', { action: 'fail' }],
    [api(404), 'GET', { action: 'fail' }],
    [api(409), 'PATCH', { action: 'fail' }],
    [api(410), 'GET', { action: 'fail' }],
    [api(422), 'POST', { action: 'fail' }],
    [net('ECONNRESET'), 'GET', { action: 'retry', atLeastMs: 0 }],
    [net('UND_ERR_HEADERS_TIMEOUT'), 'DELETE', { action: 'retry', atLeastMs: 0 }],
    [net('ECONNRESET'), 'POST', { action: 'fail' }],
    [net('ECONNREFUSED'), 'POST', { action: 'retry', atLeastMs: 0 }],
    [net('DEPTH_ZERO_SELF_SIGNED_CERT'), 'GET', { action: 'fail' }],
    [new Error('a bug in the job'), 'GET', { action: 'fail' }],
  ] as const)('%s on %s', (error, method, decision) => {
    expect(classifyFailure(error, method)).toEqual(decision);
  });
});

describe('parseRetryAfter', () => {
  it('reads whole seconds and caps them', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('3600')).toBe(RETRY_AFTER_CAP_MS);
  });
  it('ignores what is not a whole number of seconds', () => {
    expect(parseRetryAfter(undefined)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT')).toBe(0);
    expect(parseRetryAfter('-1')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(0);
  });
});

describe('ApiError from a response', () => {
  it('takes reason and message from a Status body', () => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'configmaps "x" is forbidden: User "u" cannot get resource "configmaps"',
      reason: 'Forbidden',
      code: 403,
    });
    const error = apiErrorFromResponse(403, undefined, body, request);
    expect(error).toMatchObject({ status: 403, reason: 'Forbidden', verb: 'get', resource: 'configmaps', permanent: true });
    expect(error.message).toBe(
      'get configmaps "x" in namespace ns: 403 Forbidden: configmaps "x" is forbidden: User "u" cannot get resource "configmaps"',
    );
  });

  it('handles a plain-text 429 and an empty 401', () => {
    const throttled = apiErrorFromResponse(429, '1', 'Too many requests, please try again later.\n', request);
    expect(throttled).toMatchObject({
      reason: 'TooManyRequests',
      serverMessage: 'Too many requests, please try again later.',
      retryAfter: '1',
    });
    const unauthorized = apiErrorFromResponse(401, undefined, '', request);
    expect(unauthorized).toMatchObject({ reason: 'Unauthorized', serverMessage: 'Unauthorized', permanent: true });
  });

  it('keeps the inconsistent-continue token of a 410', () => {
    const body = JSON.stringify({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old',
      metadata: { continue: 'abc' },
    });
    expect(apiErrorFromResponse(410, undefined, body, request).continueToken).toBe('abc');
  });

  it('is a real Error with a stable code', () => {
    const error = api(500);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('API');
    expect(error.permanent).toBe(false);
  });
});
