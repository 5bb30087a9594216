import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import { DeadlineError } from '../../src/errors.js';
import { TransportError } from '../../src/transport-error.js';
import {
  certificateItems,
  certificates,
  collect,
  configMaps,
  nockClient,
  SERVER,
  TokenSequence,
} from '../support/nock-client.js';

const OBJECT = '/api/v1/namespaces/team-a/configmaps/c';
const LIST = '/apis/cert-manager.io/v1/certificates';
const status = (code: number, reason: string, message = 'boom') => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
});

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
  nock.cleanAll();
});

/** Advances fake time until `promise` settles; returns its outcome. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let done = false;
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  void outcome.then(() => {
    done = true;
  });
  // Real I/O (nock's answers) needs event-loop turns; timers need fake time. Give both.
  for (let i = 0; i < 10_000 && !done; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(100);
  }
  return outcome;
}

describe('retry policy through the client', () => {
  it('429 in plain text with Retry-After waits at least that long before retrying', async () => {
    let second = false;
    nock(SERVER)
      .get(OBJECT)
      .reply(429, 'Too many requests, please try again later.\n', { 'Retry-After': '3', 'Content-Type': 'text/plain' })
      .get(OBJECT)
      .reply(() => {
        second = true;
        return [200, { metadata: { name: 'c' } }];
      });
    const { client, stats, logs } = nockClient();
    const pending = client.get(configMaps, 'c');
    // The 429 has arrived once the retry is logged; from then on only fake time passes.
    while (!logs.lines().some((l) => l.level === 'warn')) await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(2_990);
    expect(second).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(second).toBe(true);
    await expect(pending).resolves.toMatchObject({ metadata: { name: 'c' } });
    expect(stats.retries).toBe(1);
    const warn = logs.lines().find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ status: 429, reason: 'TooManyRequests', attempt: 1, delayMs: 3000, verb: 'get' });
  });

  it('503 twice, then success', async () => {
    const scope = nock(SERVER)
      .get(OBJECT)
      .times(2)
      .reply(503, status(503, 'ServiceUnavailable'))
      .get(OBJECT)
      .reply(200, { metadata: { name: 'c' } });
    const { client, stats, logs, transport } = nockClient();
    const { value } = await settle(client.get(configMaps, 'c'));
    expect(value).toMatchObject({ metadata: { name: 'c' } });
    expect(scope.isDone()).toBe(true);
    expect(stats.retries).toBe(2);
    expect(transport.requests).toBe(3);
    expect(
      logs
        .lines()
        .filter((l) => l.level === 'warn')
        .map((l) => l.attempt),
    ).toEqual([1, 2]);
  });

  it('connection reset, then success', async () => {
    nock(SERVER)
      .get(OBJECT)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .get(OBJECT)
      .reply(200, { metadata: { name: 'c' } });
    const { client, stats, logs } = nockClient();
    const { value } = await settle(client.get(configMaps, 'c'));
    expect(value).toMatchObject({ metadata: { name: 'c' } });
    expect(stats.retries).toBe(1);
    expect(logs.lines().find((l) => l.level === 'warn')).toMatchObject({ errno: 'ECONNRESET' });
  });

  it('401 re-reads the credentials and retries at once with the new token', async () => {
    const credentials = new TokenSequence(['old', 'new']);
    nock(SERVER)
      .get(OBJECT)
      .matchHeader('authorization', 'Bearer old')
      .reply(401, '')
      .get(OBJECT)
      .matchHeader('authorization', 'Bearer new')
      .reply(200, { metadata: { name: 'c' } });
    const { client, stats } = nockClient({ credentials });
    await expect(client.get(configMaps, 'c')).resolves.toMatchObject({ metadata: { name: 'c' } });
    expect(credentials.refreshes).toBe(1);
    expect(stats.retries).toBe(1);
  });

  it('a second 401 in a row is permanent', async () => {
    nock(SERVER)
      .get(OBJECT)
      .times(2)
      .reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    const { client, transport } = nockClient({ credentials: new TokenSequence(['a', 'b', 'c']) });
    const error = await client.get(configMaps, 'c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).permanent).toBe(true);
    expect(transport.requests).toBe(2);
  });

  it.each([
    [400, 'BadRequest'],
    [403, 'Forbidden'],
    [409, 'Conflict'],
    [422, 'Invalid'],
  ])('%i fails after exactly one request, with reason and server message', async (code, reason) => {
    nock(SERVER)
      .patch(OBJECT)
      .reply(code, status(code, reason, `server says ${code}`));
    const { client, transport, stats } = nockClient();
    const error = (await client.patch(configMaps, 'c', {}).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: code, reason, verb: 'patch', resource: 'configmaps', namespace: 'team-a' });
    expect(error.message).toBe(`patch configmaps "c" in namespace team-a: ${code} ${reason}: server says ${code}`);
    expect(transport.requests).toBe(1);
    expect(stats.retries).toBe(0);
  });

  it('404 on a collection is not retried', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { client, transport } = nockClient();
    await expect(collect(client.list(certificates, { allNamespaces: true }))).rejects.toMatchObject({
      status: 404,
      unknownResource: true,
    });
    expect(transport.requests).toBe(1);
  });

  it('retries a create only when the server certainly did not act on it', async () => {
    nock(SERVER).post('/api/v1/namespaces/team-a/configmaps').reply(500, status(500, 'InternalError'));
    const first = nockClient();
    const { error } = await settle(first.client.create(configMaps, { metadata: { name: 'c' } }));
    expect((error as ApiError).status).toBe(500);
    expect(first.transport.requests).toBe(1);

    nock(SERVER)
      .post('/api/v1/namespaces/team-a/configmaps')
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const second = nockClient();
    const reset = await settle(second.client.create(configMaps, { metadata: { name: 'c' } }));
    expect(reset.error).toBeInstanceOf(TransportError);
    expect(second.transport.requests).toBe(1);

    nock(SERVER)
      .post('/api/v1/namespaces/team-a/configmaps')
      .reply(429, 'slow down', { 'Retry-After': '1' })
      .post('/api/v1/namespaces/team-a/configmaps')
      .replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
      .post('/api/v1/namespaces/team-a/configmaps')
      .reply(201, { metadata: { name: 'c' } });
    const third = nockClient();
    expect((await settle(third.client.create(configMaps, { metadata: { name: 'c' } }))).value).toMatchObject({
      metadata: { name: 'c' },
    });
    expect(third.transport.requests).toBe(3);
  });

  it('a delete whose answer was lost and then finds the object gone has succeeded', async () => {
    nock(SERVER)
      .delete(OBJECT)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
      .delete(OBJECT)
      .reply(404, status(404, 'NotFound', 'configmaps "c" not found'));
    const { client } = nockClient();
    expect((await settle(client.delete(configMaps, 'c'))).value).toMatchObject({ status: 'Success' });
  });

  it('gives up after the configured retries with the last error', async () => {
    nock(SERVER).get(OBJECT).times(3).reply(502, 'bad gateway');
    const { client, stats, transport } = nockClient({ retry: { retries: 2, minTimeout: 10, maxTimeout: 10 } });
    const { error } = await settle(client.get(configMaps, 'c'));
    expect(error).toMatchObject({ status: 502, serverMessage: 'bad gateway' });
    expect(transport.requests).toBe(3);
    expect(stats.retries).toBe(2);
  });

  it('stops waiting at the deadline: no sleep outlives it', async () => {
    nock(SERVER).get(OBJECT).reply(503, 'busy', { 'Retry-After': '60' });
    const controller = new AbortController();
    const { client, transport } = nockClient({ signal: controller.signal });
    const pending = client.get(configMaps, 'c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort(new DeadlineError('run exceeded its deadline of 1s'));
    await vi.advanceTimersByTimeAsync(0);
    const error = await pending;
    expect(error).toBeInstanceOf(DeadlineError);
    expect(transport.requests).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('expired continue tokens (410)', () => {
  const items = certificateItems(7);
  const page = (from: number, to: number, next?: string) => ({
    kind: 'CertificateList',
    metadata: next ? { continue: next } : {},
    items: items.slice(from, to),
  });

  it('resumes with the inconsistent-continue token from the Status', async () => {
    const scope = nock(SERVER)
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'c1'))
      .get(LIST)
      .query({ limit: '3', continue: 'c1' })
      .reply(410, {
        ...status(410, 'Expired', 'The provided continue parameter is too old'),
        metadata: { continue: 'inconsistent' },
      })
      .get(LIST)
      .query({ limit: '3', continue: 'inconsistent' })
      .reply(200, page(3, 7));
    const { client, logs } = nockClient();
    const seen = (await collect(client.list(certificates, { allNamespaces: true, limit: 3 }))).map((o) => o.metadata?.name);
    expect(seen).toEqual(items.map((o) => o.metadata.name));
    expect(scope.isDone()).toBe(true);
    expect(logs.lines().some((l) => l.level === 'warn' && String(l.msg).includes('inconsistent-continue'))).toBe(true);
  });

  it('without a token, restarts the list and skips what was already yielded', async () => {
    const scope = nock(SERVER)
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'c1'))
      .get(LIST)
      .query({ limit: '3', continue: 'c1' })
      .reply(200, page(3, 6, 'c2'))
      .get(LIST)
      .query({ limit: '3', continue: 'c2' })
      .reply(410, status(410, 'Expired', 'The provided continue parameter is too old'))
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'd1'))
      .get(LIST)
      .query({ limit: '3', continue: 'd1' })
      .reply(200, page(3, 6, 'd2'))
      .get(LIST)
      .query({ limit: '3', continue: 'd2' })
      .reply(200, page(6, 7));
    const { client, logs } = nockClient();
    const seen = (await collect(client.list(certificates, { allNamespaces: true, limit: 3 }))).map((o) => o.metadata?.name);
    expect(seen).toEqual(items.map((o) => o.metadata.name));
    expect(scope.isDone()).toBe(true);
    expect(logs.lines().some((l) => l.level === 'warn' && String(l.msg).includes('restarting the list'))).toBe(true);
  });

  it('a 410 on the first page is an error, not a restart loop', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(410, status(410, 'Expired', 'too old resource version'));
    const { client, transport } = nockClient();
    await expect(collect(client.list(certificates, { allNamespaces: true }))).rejects.toMatchObject({ status: 410 });
    expect(transport.requests).toBe(1);
  });
});
