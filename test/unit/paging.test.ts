// ctx.list: paging, read-ahead, 410 handling and a server that loops, through the real client and pipeline (nock answers).
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { MAX_EXPIRED_WITHOUT_PROGRESS } from '../../src/paging.js';
import {
  certificateItems,
  certificates,
  clusterIssuers,
  collect,
  configMaps,
  nockClient,
  SERVER,
  status,
  TOKEN,
} from '../support/nock-client.js';

const LIST = '/apis/cert-manager.io/v1/certificates';
const expired = (inconsistent?: string) => ({
  ...status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'),
  metadata: inconsistent ? { continue: inconsistent } : {},
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

/** Serves `items` in pages of `limit`, continue tokens naming the next offset; records each query and when it arrived. */
function servePages(items: object[], path = LIST) {
  const seen: Record<string, string>[] = [];
  const scope = nock(SERVER)
    .get(path)
    .query(true)
    .times(1000)
    .reply((uri: string | { url: string }) => {
      const query = Object.fromEntries(new URL(typeof uri === 'string' ? uri : uri.url, SERVER).searchParams);
      seen.push(query);
      const limit = Number(query.limit);
      const offset = query.continue ? Number(query.continue.replace('offset-', '')) : 0;
      const next = offset + limit < items.length ? `offset-${offset + limit}` : undefined;
      return [
        200,
        {
          kind: 'CertificateList',
          metadata: { resourceVersion: '7', ...(next ? { continue: next } : {}) },
          items: items.slice(offset, offset + limit),
        },
      ];
    });
  return { scope, seen };
}

describe('paging', () => {
  it('lists 2,500 objects in exactly 5 requests of 500 and yields each once, in order', async () => {
    const items = certificateItems(2500);
    const { seen } = servePages(items);
    const c = nockClient();
    const names = (await collect(c.client.list(certificates, { allNamespaces: true }))).map((o) => o.metadata?.name);
    expect(seen.map((q) => q.continue)).toEqual([undefined, 'offset-500', 'offset-1000', 'offset-1500', 'offset-2000']);
    expect(seen.every((q) => q.limit === '500')).toBe(true);
    expect(names).toEqual(items.map((i) => i.metadata.name));
    expect(c.transport.requests).toBe(5);
  });

  it('reads ahead: the next page is requested before the job has finished with this one', async () => {
    const items = certificateItems(9);
    const { seen } = servePages(items);
    const c = nockClient();
    const requestsWhenYielded: number[] = [];
    for await (const _ of c.client.list(certificates, { allNamespaces: true, limit: 3 })) {
      // Give the read-ahead request a chance to go out while the job "works".
      await new Promise((resolve) => setTimeout(resolve, 5));
      requestsWhenYielded.push(seen.length);
    }
    // While the first page's items were consumed, the second page had been requested: 2 requests, not 1.
    expect(requestsWhenYielded.slice(0, 3)).toEqual([2, 2, 2]);
    expect(seen).toHaveLength(3);
  });

  it('a job that stops early leaves no unhandled rejection and sends no more than one page ahead', async () => {
    const items = certificateItems(30);
    const { seen } = servePages(items);
    const c = nockClient();
    for await (const item of c.client.list(certificates, { allNamespaces: true, limit: 3 })) {
      if (item.metadata?.name === 'cert-00001') break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.length).toBeLessThanOrEqual(2);
  });

  it('keeps following continue through short, empty and null pages', async () => {
    const scope = nock(SERVER)
      .get(LIST)
      .query({ limit: '500' })
      .reply(200, { items: [{ metadata: { name: 'a', namespace: 'x' } }], metadata: { continue: 'c1' } })
      .get(LIST)
      .query({ limit: '500', continue: 'c1' })
      .reply(200, { items: [], metadata: { continue: 'c2' } })
      .get(LIST)
      .query({ limit: '500', continue: 'c2' })
      .reply(200, { items: null, metadata: { continue: 'c3' } })
      .get(LIST)
      .query({ limit: '500', continue: 'c3' })
      .reply(200, { items: [{ metadata: { name: 'b', namespace: 'x' } }], metadata: { continue: '' } });
    const c = nockClient();
    const names = (await collect(c.client.list(certificates, { allNamespaces: true }))).map((o) => o.metadata?.name);
    expect(names).toEqual(['a', 'b']);
    expect(scope.isDone()).toBe(true);
  });

  it('lists in the run namespace by default, in a named one, across all, and cluster-scoped; selectors are passed', async () => {
    const empty = { items: [], metadata: {} };
    const scope = nock(SERVER)
      .get('/apis/cert-manager.io/v1/namespaces/team-a/certificates')
      .query({ limit: '500' })
      .reply(200, empty)
      .get('/apis/cert-manager.io/v1/namespaces/other/certificates')
      .query({ limit: '500' })
      .reply(200, empty)
      .get('/apis/cert-manager.io/v1/certificates')
      .query({ limit: '500' })
      .reply(200, empty)
      .get('/apis/cert-manager.io/v1/clusterissuers')
      .query({ limit: '500' })
      .reply(200, empty)
      .get('/api/v1/namespaces/team-a/configmaps')
      .query({ limit: '20', labelSelector: 'app=web,tier!=db', fieldSelector: 'metadata.name=x' })
      .reply(200, empty);
    const { client } = nockClient();
    await collect(client.list(certificates));
    await collect(client.list(certificates, { namespace: 'other' }));
    await collect(client.list(certificates, { allNamespaces: true }));
    await collect(client.list(clusterIssuers));
    await collect(client.list(configMaps, { limit: 20, labelSelector: 'app=web,tier!=db', fieldSelector: 'metadata.name=x' }));
    expect(scope.isDone()).toBe(true);
  });

  it('sends the bearer token and a kubepoll user agent', async () => {
    const scope = nock(SERVER, { reqheaders: { authorization: `Bearer ${TOKEN}`, 'user-agent': /^kubepoll\// } })
      .get('/apis/cert-manager.io/v1/clusterissuers')
      .query(true)
      .reply(200, { items: [] });
    await collect(nockClient().client.list(clusterIssuers));
    expect(scope.isDone()).toBe(true);
  });

  it('rejects namespace options on cluster-scoped resources and a bad limit', async () => {
    const { client } = nockClient();
    await expect(collect(client.list(clusterIssuers, { namespace: 'x' }))).rejects.toThrow(/cluster-scoped/);
    await expect(collect(client.list(certificates, { limit: 0 }))).rejects.toThrow(/limit/);
  });
});

describe('expired continue tokens (410)', () => {
  const items = certificateItems(7);
  const page = (from: number, to: number, next?: string) => ({
    kind: 'CertificateList',
    metadata: next ? { continue: next } : {},
    items: items.slice(from, to),
  });
  const names = items.map((o) => o.metadata.name);

  it('resumes with the inconsistent-continue token from the Status', async () => {
    const scope = nock(SERVER)
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'c1'))
      .get(LIST)
      .query({ limit: '3', continue: 'c1' })
      .reply(410, expired('inconsistent'))
      .get(LIST)
      .query({ limit: '3', continue: 'inconsistent' })
      .reply(200, page(3, 7));
    const c = nockClient();
    const seen = (await collect(c.client.list(certificates, { allNamespaces: true, limit: 3 }))).map((o) => o.metadata?.name);
    expect(seen).toEqual(names);
    expect(scope.isDone()).toBe(true);
    expect(c.clock.sleeps).toEqual([]); // the first resume is immediate
    expect(c.logs.lines().some((l) => l.level === 'warn' && String(l.msg).includes('inconsistent-continue'))).toBe(true);
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
      .reply(410, expired())
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'd1'))
      .get(LIST)
      .query({ limit: '3', continue: 'd1' })
      .reply(200, page(3, 6, 'd2'))
      .get(LIST)
      .query({ limit: '3', continue: 'd2' })
      .reply(200, page(6, 7));
    const c = nockClient();
    const seen = (await collect(c.client.list(certificates, { allNamespaces: true, limit: 3 }))).map((o) => o.metadata?.name);
    expect(seen).toEqual(names);
    expect(scope.isDone()).toBe(true);
    expect(c.logs.lines().some((l) => l.level === 'warn' && String(l.msg).includes('restarting the list'))).toBe(true);
  });

  it('a 410 on the first page is an error, not a restart loop', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(410, status(410, 'Expired', 'too old resource version'));
    const c = nockClient();
    await expect(collect(c.client.list(certificates, { allNamespaces: true }))).rejects.toMatchObject({ status: 410 });
    expect(c.transport.requests).toBe(1);
  });

  it('a 410 with a fresh inconsistent token on every request is bounded and backed off, then a clear error', async () => {
    let n = 0;
    nock(SERVER)
      .get(LIST)
      .query({ limit: '3' })
      .reply(200, page(0, 3, 'c0'));
    nock(SERVER)
      .get(LIST)
      .query((q) => q.continue !== undefined)
      .times(100)
      .reply(() => [410, expired(`fresh-${++n}`)]);
    const c = nockClient();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of c.client.list(certificates, { allNamespaces: true, limit: 3 }))
        seen.push(item.metadata?.name as string);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/410 Expired 6 times in a row without a new object/);
    expect(seen).toEqual(names.slice(0, 3));
    expect(c.transport.requests).toBe(1 + MAX_EXPIRED_WITHOUT_PROGRESS + 1);
    // Backed off with the retry schedule from the second resume on.
    expect(c.clock.sleeps).toEqual([500, 1000, 2000, 4000]);
  });
});

describe('a server that loops', () => {
  it('returning the continue token it was given is a paging loop', async () => {
    nock(SERVER)
      .get(LIST)
      .query({ limit: '500' })
      .reply(200, { items: [{ metadata: { name: 'a', namespace: 'x' } }], metadata: { continue: 'same' } })
      .get(LIST)
      .query({ limit: '500', continue: 'same' })
      .reply(200, { items: [{ metadata: { name: 'b', namespace: 'x' } }], metadata: { continue: 'same' } });
    const c = nockClient();
    await expect(collect(c.client.list(certificates, { allNamespaces: true }))).rejects.toThrow(
      /returned a continue token it had already given \(a paging loop\)/,
    );
    expect(c.transport.requests).toBe(2);
  });

  it('cycling through two tokens is a loop too', async () => {
    const reply = (name: string, next: string) => ({
      items: [{ metadata: { name, namespace: 'x' } }],
      metadata: { continue: next },
    });
    nock(SERVER)
      .get(LIST)
      .query({ limit: '500' })
      .reply(200, reply('a', 't1'))
      .get(LIST)
      .query({ limit: '500', continue: 't1' })
      .reply(200, reply('b', 't2'))
      .get(LIST)
      .query({ limit: '500', continue: 't2' })
      .reply(200, reply('c', 't1'));
    await expect(collect(nockClient().client.list(certificates, { allNamespaces: true }))).rejects.toThrow(/paging loop/);
  });

  it('a page that starts again from the beginning, under a new token, is refused', async () => {
    const first = { items: [{ metadata: { name: 'a', namespace: 'x' } }, { metadata: { name: 'b', namespace: 'x' } }] };
    nock(SERVER)
      .get(LIST)
      .query({ limit: '500' })
      .reply(200, { ...first, metadata: { continue: 't1' } })
      .get(LIST)
      .query({ limit: '500', continue: 't1' })
      .reply(200, { ...first, metadata: { continue: 't2' } });
    await expect(collect(nockClient().client.list(certificates, { allNamespaces: true }))).rejects.toThrow(
      /next page starts at x\/a, not after x\/b/,
    );
  });

  it('a continue token that is not a string is a malformed list, not the end', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(200, { items: [{ metadata: { name: 'a', namespace: 'x' } }], metadata: { continue: 42 } });
    await expect(collect(nockClient().client.list(certificates, { allNamespaces: true }))).rejects.toThrow(
      /^list certificates\.cert-manager\.io: the server's answer is not a valid list: metadata\.continue is a number, not a string/,
    );
  });
});

describe('malformed lists are errors that name the request', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '<html>proxy error</html>', /is not a valid list: not JSON/],
    ['items not an array', '{"items":{"a":1}}', /items is an object, not an array/],
    ['no items at all', '{"kind":"CertificateList","metadata":{}}', /it has no items/],
    ['a null item', '{"items":[{"metadata":{"name":"a"}},null]}', /items\[1\] is null/],
    ['a scalar item', '{"items":[7]}', /items\[0\] is a number/],
    ['an item without metadata', '{"items":[{"metadata":null}]}', /items\[0\] has no metadata\.name/],
    ['list metadata null', '{"items":[],"metadata":null}', /metadata is null, not an object/],
    ['trailing garbage', '{"items":[]} x', /not JSON/],
  ];
  it.each(cases)('%s', async (_what, body, message) => {
    nock(SERVER).get('/apis/cert-manager.io/v1/clusterissuers').query(true).reply(200, body);
    const c = nockClient();
    const error = await collect(c.client.list(clusterIssuers)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/^list clusterissuers\.cert-manager\.io: /);
    expect((error as Error).message).toMatch(message);
    expect(c.transport.requests).toBe(1);
  });

  it('an escaped "items" key is read as JSON.parse reads it, not skipped as an empty list', async () => {
    nock(SERVER)
      .get('/apis/cert-manager.io/v1/clusterissuers')
      .query(true)
      .reply(200, '{"it\\u0065ms":[{"metadata":{"name":"a"}}]}');
    const names = (await collect(nockClient().client.list(clusterIssuers))).map((o) => o.metadata?.name);
    expect(names).toEqual(['a']);
  });
});

describe('the list iterator', () => {
  it('reads ahead even for a job that never awaits between items', async () => {
    const items = certificateItems(9);
    const { seen } = servePages(items);
    const c = nockClient();
    const requestsWhenYielded: number[] = [];
    for await (const _ of c.client.list(certificates, { allNamespaces: true, limit: 3 })) requestsWhenYielded.push(seen.length);
    // The second page had been asked for before the job got the first page's first item.
    expect(requestsWhenYielded[0]).toBe(2);
    expect(seen).toHaveLength(3);
  });

  it('behaves as an async generator: next() calls in order, return() ends it and stops paging, then done', async () => {
    const items = certificateItems(9);
    const { seen } = servePages(items);
    const c = nockClient();
    const it = c.client.list(certificates, { allNamespaces: true, limit: 3 })[Symbol.asyncIterator]();
    const [a, b] = await Promise.all([it.next(), it.next()]);
    expect([a.value?.metadata?.name, b.value?.metadata?.name]).toEqual(['cert-00000', 'cert-00001']);
    expect(await it.return?.(undefined)).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.length).toBeLessThanOrEqual(2); // no page after return(), at most the one read ahead
  });

  it('an error ends it: the next call after a failure is done', async () => {
    nock(SERVER)
      .get(LIST)
      .query(true)
      .reply(403, status(403, 'Forbidden', 'no'));
    const it = nockClient().client.list(certificates, { allNamespaces: true })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ status: 403 });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('a bad option is thrown when iteration starts, as from an async generator', async () => {
    const iterable = nockClient().client.list(certificates, { limit: -1 });
    await expect(iterable[Symbol.asyncIterator]().next()).rejects.toThrow(/list limit must be a whole number/);
  });
});
