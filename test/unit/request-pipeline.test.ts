// The request pipeline through the job's client, with nock answering and a fake clock (no real waiting).
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import { AccessError, DeadlineError, SafetyLimitError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { TransportError } from '../../src/transport-error.js';
import { certificates, collect, configMaps, nockClient, SERVER, status, TOKEN, TokenSequence } from '../support/nock-client.js';

const OBJECT = '/api/v1/namespaces/team-a/configmaps/c';
const LIST = '/apis/cert-manager.io/v1/certificates';
const ok = { metadata: { name: 'c' } };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('retries', () => {
  it('429 in plain text with Retry-After waits at least that long before retrying', async () => {
    nock(SERVER)
      .get(OBJECT)
      .reply(429, 'Too many requests, please try again later.\n', { 'Retry-After': '3', 'Content-Type': 'text/plain' })
      .get(OBJECT)
      .reply(200, ok);
    const c = nockClient();
    await expect(c.client.get(configMaps, 'c')).resolves.toMatchObject(ok);
    expect(c.clock.sleeps).toEqual([3000]);
    expect(c.retries).toBe(1);
    const warn = c.logs.lines().find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ status: 429, reason: 'TooManyRequests', attempt: 1, delayMs: 3000, verb: 'get' });
  });

  it('503 twice, then success, with the backoff schedule (0.5 s, then 1 s at the lowest jitter)', async () => {
    const scope = nock(SERVER).get(OBJECT).times(2).reply(503, status(503, 'ServiceUnavailable')).get(OBJECT).reply(200, ok);
    const c = nockClient();
    await expect(c.client.get(configMaps, 'c')).resolves.toMatchObject(ok);
    expect(scope.isDone()).toBe(true);
    expect(c.clock.sleeps).toEqual([500, 1000]);
    expect(c.transport.requests).toBe(3);
    expect(
      c.logs
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
      .reply(200, ok);
    const c = nockClient();
    await expect(c.client.get(configMaps, 'c')).resolves.toMatchObject(ok);
    expect(c.retries).toBe(1);
    expect(c.logs.lines().find((l) => l.level === 'warn')).toMatchObject({ errno: 'ECONNRESET' });
  });

  it('401 re-reads the credentials and retries at once with the new token', async () => {
    const credentials = new TokenSequence(['old', 'new']);
    nock(SERVER)
      .get(OBJECT)
      .matchHeader('authorization', 'Bearer old')
      .reply(401, '')
      .get(OBJECT)
      .matchHeader('authorization', 'Bearer new')
      .reply(200, ok);
    const c = nockClient({ credentials });
    await expect(c.client.get(configMaps, 'c')).resolves.toMatchObject(ok);
    expect(credentials.refreshes).toBe(1);
    expect(c.clock.sleeps).toEqual([]);
  });

  it('401 re-reads the token even when the job allows no retries', async () => {
    const credentials = new TokenSequence(['old', 'new']);
    nock(SERVER).get(OBJECT).reply(401, '').get(OBJECT).matchHeader('authorization', 'Bearer new').reply(200, ok);
    const c = nockClient({ credentials, retry: { retries: 0 } });
    await expect(c.client.get(configMaps, 'c')).resolves.toMatchObject(ok);
    expect(credentials.refreshes).toBe(1);
  });

  it('a second 401 in a row is permanent (exit 3)', async () => {
    nock(SERVER)
      .get(OBJECT)
      .times(2)
      .reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    const c = nockClient({ credentials: new TokenSequence(['a', 'b', 'c']) });
    const error = await c.client.get(configMaps, 'c').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, permanent: true });
    expect(exitCodeFor(error)).toBe(3);
    expect(c.transport.requests).toBe(2);
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
    const c = nockClient();
    const error = (await c.client.patch(configMaps, 'c', {}).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: code, reason, verb: 'patch', resource: 'configmaps', namespace: 'team-a' });
    expect(error.message).toBe(`patch configmaps "c" in namespace team-a: ${code} ${reason}: server says ${code}`);
    expect(c.transport.requests).toBe(1);
    expect(c.retries).toBe(0);
  });

  it('retries a create only when the server certainly did not act on it', async () => {
    nock(SERVER).post('/api/v1/namespaces/team-a/configmaps').reply(500, status(500, 'InternalError'));
    const first = nockClient();
    await expect(first.client.create(configMaps, { metadata: { name: 'c' } })).rejects.toMatchObject({ status: 500 });
    expect(first.transport.requests).toBe(1);

    nock(SERVER)
      .post('/api/v1/namespaces/team-a/configmaps')
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const second = nockClient();
    await expect(second.client.create(configMaps, { metadata: { name: 'c' } })).rejects.toBeInstanceOf(TransportError);
    expect(second.transport.requests).toBe(1);

    nock(SERVER)
      .post('/api/v1/namespaces/team-a/configmaps')
      .reply(429, 'slow down', { 'Retry-After': '1' })
      .post('/api/v1/namespaces/team-a/configmaps')
      .replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
      .post('/api/v1/namespaces/team-a/configmaps')
      .reply(201, ok);
    const third = nockClient();
    await expect(third.client.create(configMaps, { metadata: { name: 'c' } })).resolves.toMatchObject(ok);
    expect(third.transport.requests).toBe(3);
  });

  it('a delete whose answer was lost and then finds the object gone has succeeded', async () => {
    nock(SERVER)
      .delete(OBJECT)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
      .delete(OBJECT)
      .reply(404, status(404, 'NotFound', 'configmaps "c" not found'));
    const c = nockClient();
    await expect(c.client.delete(configMaps, 'c')).resolves.toMatchObject({ status: 'Success' });
  });

  it('a delete that finds nothing without a lost answer is a 404, not a success', async () => {
    nock(SERVER)
      .delete(OBJECT)
      .reply(404, status(404, 'NotFound', 'configmaps "c" not found'));
    await expect(nockClient().client.delete(configMaps, 'c')).rejects.toMatchObject({ status: 404 });
  });

  it('gives up after the configured retries with the last error', async () => {
    nock(SERVER).get(OBJECT).times(3).reply(502, 'bad gateway');
    const c = nockClient({ retry: { retries: 2, minTimeout: 10, maxTimeout: 10 } });
    await expect(c.client.get(configMaps, 'c')).rejects.toMatchObject({ status: 502, serverMessage: 'bad gateway' });
    expect(c.transport.requests).toBe(3);
    expect(c.clock.sleeps).toEqual([10, 10]);
  });

  it('does not start a retry whose wait would pass the run deadline: the last error is thrown at once', async () => {
    nock(SERVER).get(OBJECT).reply(503, 'busy', { 'Retry-After': '60' });
    const c = nockClient({ deadline: Date.parse('2026-12-01T00:00:10Z') });
    await expect(c.client.get(configMaps, 'c')).rejects.toMatchObject({ status: 503 });
    expect(c.clock.sleeps).toEqual([]);
    expect(c.transport.requests).toBe(1);
  });

  it('an abort of the run (deadline, SIGTERM) ends the call with its reason', async () => {
    nock(SERVER).get(OBJECT).reply(503, 'busy');
    const controller = new AbortController();
    const c = nockClient({ signal: controller.signal });
    c.clock.sleep = async (_ms, signal) => {
      controller.abort(new DeadlineError('run exceeded its deadline of 1s'));
      signal.throwIfAborted();
    };
    await expect(c.client.get(configMaps, 'c')).rejects.toBeInstanceOf(DeadlineError);
    expect(c.transport.requests).toBe(1);
  });
});

describe('unknown resources', () => {
  it('a built-in group answering "the server could not find the requested resource" is an unknown resource: list exit 3', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const c = nockClient();
    const error = await collect(c.client.list(certificates, { allNamespaces: true })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, unknownResource: true });
    expect(exitCodeFor(error)).toBe(3);
    expect(c.transport.requests).toBe(1);
  });

  it('a custom resource with no CRD (plain-text "404 page not found", as the real server) is unknown too', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(404, '404 page not found\n', { 'Content-Type': 'text/plain; charset=utf-8' })
      .get('/apis/cert-manager.io/v1/namespaces/team-a/certificates/x')
      .reply(404, '404 page not found\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    const c = nockClient();
    const listed = await collect(c.client.list(certificates, { allNamespaces: true })).catch((e: unknown) => e);
    expect(listed).toMatchObject({ status: 404, unknownResource: true });
    expect(exitCodeFor(listed)).toBe(3);
    expect((listed as Error).message).toMatch(/is its CustomResourceDefinition installed/);
    // get must not say "not found" (undefined) for a type the server does not have.
    const got = await c.client.get(certificates, 'x').catch((e: unknown) => e);
    expect(got).toMatchObject({ status: 404, unknownResource: true });
  });

  it('a missing object is still undefined from ctx.get', async () => {
    nock(SERVER)
      .get('/apis/cert-manager.io/v1/namespaces/team-a/certificates/nope')
      .reply(404, {
        ...status(404, 'NotFound', 'certificates.cert-manager.io "nope" not found'),
        details: { name: 'nope', group: 'cert-manager.io', kind: 'certificates' },
      });
    await expect(nockClient().client.get(certificates, 'nope')).resolves.toBeUndefined();
  });
});

describe('credentials never reach output', () => {
  it('a server that echoes the token in a Status, a plain-text body or its reason has it scrubbed', async () => {
    nock(SERVER)
      .get(OBJECT)
      .reply(403, status(403, `Forbidden ${TOKEN}`, `token ${TOKEN} is not allowed; Bearer ${TOKEN}`))
      .patch(OBJECT)
      .reply(400, `bad request from Bearer ${TOKEN}\n`, { 'Content-Type': 'text/plain' })
      .get('/apis/cert-manager.io/v1/certificates')
      .query(true)
      .reply(200, `{"items":[${TOKEN}]}`);
    const c = nockClient();
    const errors = [
      await c.client.get(configMaps, 'c').catch((e: unknown) => e),
      await c.client.patch(configMaps, 'c', {}).catch((e: unknown) => e),
      await collect(c.client.list(certificates, { allNamespaces: true })).catch((e: unknown) => e),
    ] as Error[];
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain(TOKEN);
    }
    expect(errors[0]?.message).toContain('[redacted]');
    c.logs.logger.error({ err: errors[0], echoed: `the server said ${TOKEN}` }, 'job logs the error');
    expect(c.logs.text()).not.toContain(TOKEN);
    expect(c.logs.text()).toContain('[redacted]');
  });
});

describe('declared access, rate limit and write budget are steps of the same pipeline', () => {
  it('an undeclared call is refused before the rate limiter or the transport see it', async () => {
    const c = nockClient({ declarations: [{ ...configMaps, verbs: ['get'] }] });
    await expect(c.client.delete(configMaps, 'c')).rejects.toBeInstanceOf(AccessError);
    expect(c.transport.requests).toBe(0);
    expect(c.budget.used).toBe(0);
  });

  it('every attempt takes a rate-limit token: a burst of 2 at 1 qps spaces the third request by a second', async () => {
    nock(SERVER).get(OBJECT).times(3).reply(200, ok);
    const c = nockClient({ rateLimit: { qps: 1, burst: 2 } });
    for (let i = 0; i < 3; i++) await c.client.get(configMaps, 'c');
    expect(c.clock.sleeps).toEqual([1000]);
    expect(c.limiter.throttledMs).toBe(1000);
  });

  it('the write over limits.writes throws before it is sent; reads do not count', async () => {
    const scope = nock(SERVER).get(OBJECT).times(3).reply(200, ok).delete(OBJECT).times(2).reply(200, { status: 'Success' });
    const c = nockClient({ limits: { writes: 2 } });
    for (let i = 0; i < 3; i++) await c.client.get(configMaps, 'c');
    await c.client.delete(configMaps, 'c');
    await c.client.delete(configMaps, 'c');
    const error = await c.client.delete(configMaps, 'c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafetyLimitError);
    expect(exitCodeFor(error)).toBe(5);
    expect((error as Error).message).toMatch(/write budget of 2 writes per run reached.*delete configmaps "c"/);
    expect(scope.isDone()).toBe(true);
    expect(c.transport.requests).toBe(5);
  });

  it('a retried write counts once against the budget', async () => {
    nock(SERVER).patch(OBJECT).reply(503, 'busy').patch(OBJECT).reply(200, ok);
    const c = nockClient({ limits: { writes: 1 } });
    await c.client.patch(configMaps, 'c', { data: {} });
    expect(c.budget.used).toBe(1);
    expect(c.transport.requests).toBe(2);
  });

  it('under dry run the budget counts the writes and says it would stop the real run, but lets them through', async () => {
    nock(SERVER).delete(OBJECT).query({ dryRun: 'All' }).times(3).reply(200, { status: 'Success' });
    const c = nockClient({ limits: { writes: 2 }, dryRun: true });
    for (let i = 0; i < 3; i++) await c.client.delete(configMaps, 'c');
    expect(c.budget.report()).toEqual({ limit: 2, writes: 3, exceeded: true });
  });
});

describe('impersonation (kubepoll check --as)', () => {
  it("sends Impersonate-User on every request, with the caller's own token", async () => {
    const { createTransport } = await import('../../src/transport.js');
    const { SecretSet } = await import('../../src/redact.js');
    const scope = nock(SERVER, {
      reqheaders: { 'impersonate-user': 'system:serviceaccount:jobs:kubepoll-x', authorization: `Bearer ${TOKEN}` },
    })
      .get('/version')
      .reply(200, { gitVersion: 'v1.37.2' });
    const transport = createTransport(
      {
        source: 'test',
        server: SERVER,
        tls: { rejectUnauthorized: true },
        namespace: 'jobs',
        credentials: new TokenSequence([TOKEN]),
        secrets: new SecretSet(),
        warnings: [],
      },
      { impersonate: { user: 'system:serviceaccount:jobs:kubepoll-x', groups: [] } },
    );
    const response = await transport.send({
      method: 'GET',
      path: '/version',
      signal: new AbortController().signal,
      description: { verb: 'get', resource: 'version' },
    });
    await transport.close();
    expect(response.status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });
});

describe('a JSON patch is not resent when its answer was lost', () => {
  it('a reset after sending is not retried (an add to /items/- would append twice); a merge patch is', async () => {
    const PATH = '/api/v1/namespaces/team-a/configmaps/c';
    nock(SERVER)
      .patch(PATH)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
      .patch(PATH)
      .reply(200, ok);
    const json = nockClient();
    await expect(
      json.client.patch(configMaps, 'c', [{ op: 'add', path: '/data/x', value: '1' }], { type: 'json' }),
    ).rejects.toMatchObject({ errno: 'ECONNRESET' });
    expect(json.transport.requests).toBe(1);
    nock.cleanAll();
    nock(SERVER)
      .patch(PATH)
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
      .patch(PATH)
      .reply(200, ok);
    const merge = nockClient();
    await expect(merge.client.patch(configMaps, 'c', { data: { x: '1' } })).resolves.toMatchObject(ok);
    expect(merge.transport.requests).toBe(2);
  });

  it('a JSON patch is still retried on 429 and 503, where the server did not act', async () => {
    const PATH = '/api/v1/namespaces/team-a/configmaps/c';
    nock(SERVER).patch(PATH).reply(503, 'busy').patch(PATH).reply(200, ok);
    const c = nockClient();
    await expect(c.client.patch(configMaps, 'c', [{ op: 'remove', path: '/data/x' }], { type: 'json' })).resolves.toMatchObject(
      ok,
    );
    expect(c.transport.requests).toBe(2);
  });
});

describe('a hostile Status body', () => {
  it('causes that are not objects and a 5 MB message give a short, clean error', async () => {
    nock(SERVER)
      .patch(OBJECT)
      .reply(409, {
        kind: 'Status',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message: 'x'.repeat(5_000_000),
        details: { causes: [null, 7] },
      });
    const error = (await nockClient()
      .client.patch(configMaps, 'c', {})
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message.length).toBeLessThan(1200);
    expect(error.conflicts).toEqual([]);
  });

  it("a list item that echoes part of the token: JSON.parse's quoted snippet is not in the error", async () => {
    nock(SERVER)
      .get('/apis/cert-manager.io/v1/certificates')
      .query(true)
      .reply(200, `{"items":[${TOKEN.slice(3)}]}`);
    const error = await collect(nockClient().client.list(certificates, { allNamespaces: true })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/items\[0\] is not valid JSON \(Unexpected token 'r'\)$/);
    expect((error as Error).message).not.toContain(TOKEN.slice(3, 10));
  });
});
