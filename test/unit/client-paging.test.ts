import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import { AccessError } from '../../src/errors.js';
import {
  certificateItems,
  certificates,
  clusterIssuers,
  collect,
  configMaps,
  nockClient,
  SERVER,
  TOKEN,
} from '../support/nock-client.js';

const LIST = '/apis/cert-manager.io/v1/certificates';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

/** Serves `items` in pages of `limit`, continue tokens naming the next offset. */
function servePages(items: object[], path = LIST) {
  const seen: Record<string, string>[] = [];
  const scope = nock(SERVER)
    .get(path)
    .query(true)
    .times(100)
    .reply((uri: string | { url: string }) => {
      const query = Object.fromEntries(new URL(typeof uri === 'string' ? uri : uri.url, SERVER).searchParams);
      seen.push(query);
      const limit = Number(query.limit);
      const offset = query.continue ? Number(query.continue.replace('offset-', '')) : 0;
      const page = items.slice(offset, offset + limit);
      const next = offset + limit < items.length ? `offset-${offset + limit}` : undefined;
      return [
        200,
        { kind: 'CertificateList', metadata: { resourceVersion: '7', ...(next ? { continue: next } : {}) }, items: page },
      ];
    });
  return { scope, seen };
}

describe('ctx.list paging', () => {
  it('lists 2,500 objects in exactly 5 requests of 500 and yields each once', async () => {
    const items = certificateItems(2500);
    const { seen } = servePages(items);
    const { client, transport } = nockClient();
    const names = (await collect(client.list(certificates, { allNamespaces: true }))).map((o) => o.metadata?.name);
    expect(seen).toHaveLength(5);
    expect(seen.every((q) => q.limit === '500')).toBe(true);
    expect(seen[0]?.continue).toBeUndefined();
    expect(seen[1]?.continue).toBe('offset-500');
    expect(new Set(names).size).toBe(2500);
    expect(names).toHaveLength(2500);
    expect(transport.requests).toBe(5);
  });

  it('keeps following continue through short and empty pages', async () => {
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
    const { client } = nockClient();
    const names = (await collect(client.list(certificates, { allNamespaces: true }))).map((o) => o.metadata?.name);
    expect(names).toEqual(['a', 'b']);
    expect(scope.isDone()).toBe(true);
  });

  it('lists in the run namespace by default, in a named one, across all, and cluster-scoped', async () => {
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
    const { client } = nockClient();
    await collect(client.list(clusterIssuers));
    expect(scope.isDone()).toBe(true);
  });

  it('rejects namespace options on cluster-scoped resources and a bad limit', async () => {
    const { client } = nockClient();
    await expect(collect(client.list(clusterIssuers, { namespace: 'x' }))).rejects.toThrow(/cluster-scoped/);
    await expect(collect(client.list(certificates, { limit: 0 }))).rejects.toThrow(/limit/);
  });
});

describe('declared access', () => {
  it('refuses an undeclared resource, verb or namespace before sending anything', async () => {
    const { client, transport } = nockClient({
      declarations: [{ ...configMaps, verbs: ['list', 'get'] }],
    });
    await expect(collect(client.list(certificates))).rejects.toThrow(AccessError);
    await expect(collect(client.list(certificates))).rejects.toThrow(/did not declare certificates\.cert-manager\.io/);
    await expect(client.delete(configMaps, 'x')).rejects.toThrow(/did not declare verb "delete" on configmaps/);
    await expect(client.get(configMaps, 'x', { namespace: 'elsewhere' })).rejects.toThrow(/in namespace "elsewhere"/);
    await expect(collect(client.list(configMaps, { allNamespaces: true }))).rejects.toThrow(/namespaces: '\*'/);
    expect(transport.requests).toBe(0);
  });

  it('refuses a call whose scope the declaration does not grant, as the generated RBAC would', async () => {
    // Declared namespaced: the Role it generates cannot grant cluster-scoped access.
    const { client, transport } = nockClient({ declarations: [{ ...clusterIssuers, namespaced: true, verbs: ['list'] }] });
    await expect(collect(client.list(clusterIssuers))).rejects.toThrow(
      'the job calls clusterissuers.cert-manager.io as cluster-scoped but declared it namespaced: set namespaced: false on that declaration',
    );
    expect(transport.requests).toBe(0);
  });

  it('allows exactly the declared namespaces', async () => {
    nock(SERVER)
      .get('/api/v1/namespaces/ops/configmaps/x')
      .reply(200, { metadata: { name: 'x' } });
    const { client } = nockClient({ declarations: [{ ...configMaps, verbs: ['get'], namespaces: ['ops'] }] });
    await expect(client.get(configMaps, 'x', { namespace: 'ops' })).resolves.toMatchObject({ metadata: { name: 'x' } });
    await expect(client.get(configMaps, 'x')).rejects.toThrow(/namespace "team-a"/);
  });
});

describe('ctx.get', () => {
  it('returns undefined for a missing object', async () => {
    nock(SERVER)
      .get('/apis/cert-manager.io/v1/namespaces/team-a/certificates/nope')
      .reply(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'certificates.cert-manager.io "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'cert-manager.io', kind: 'certificates' },
        code: 404,
      });
    const { client } = nockClient();
    await expect(client.get(certificates, 'nope')).resolves.toBeUndefined();
  });

  it('throws a permanent error when the resource type does not exist', async () => {
    nock(SERVER).get('/apis/cert-manager.io/v1/namespaces/team-a/certificates/x').reply(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
    const { client } = nockClient();
    const error = await client.get(certificates, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).unknownResource).toBe(true);
    expect((error as ApiError).permanent).toBe(true);
  });
});

describe('writes', () => {
  it('creates, merge-patches and deletes with the right paths and content types', async () => {
    const scope = nock(SERVER)
      .post('/api/v1/namespaces/team-a/configmaps', { metadata: { name: 'c' }, data: { a: '1' } })
      .matchHeader('content-type', 'application/json')
      .reply(201, { metadata: { name: 'c', resourceVersion: '2' } })
      .patch('/api/v1/namespaces/team-a/configmaps/c', { data: { a: null, b: '2' } })
      .matchHeader('content-type', 'application/merge-patch+json')
      .reply(200, { metadata: { name: 'c', resourceVersion: '3' }, data: { b: '2' } })
      .delete('/api/v1/namespaces/team-a/configmaps/c')
      .reply(200, { kind: 'Status', status: 'Success' });
    const { client } = nockClient();
    expect(await client.create(configMaps, { metadata: { name: 'c' }, data: { a: '1' } })).toMatchObject({
      metadata: { resourceVersion: '2' },
    });
    expect(await client.patch(configMaps, 'c', { data: { a: null, b: '2' } })).toMatchObject({ data: { b: '2' } });
    expect(await client.delete(configMaps, 'c')).toMatchObject({ status: 'Success' });
    expect(scope.isDone()).toBe(true);
  });

  it('creates in the namespace named by the object when no option is given', async () => {
    const scope = nock(SERVER).post('/api/v1/namespaces/ops/configmaps').reply(201, {});
    const { client } = nockClient({ declarations: [{ ...configMaps, verbs: ['create'], namespaces: ['ops'] }] });
    await client.create(configMaps, { metadata: { name: 'c', namespace: 'ops' } });
    expect(scope.isDone()).toBe(true);
  });

  it('under dry run sends dryRun=All on every write and logs what it would do; reads unchanged', async () => {
    const scope = nock(SERVER)
      .get('/api/v1/namespaces/team-a/configmaps/c')
      .query({})
      .reply(200, { metadata: { name: 'c' } })
      .post('/api/v1/namespaces/team-a/configmaps')
      .query({ dryRun: 'All' })
      .reply(201, {})
      .patch('/api/v1/namespaces/team-a/configmaps/c')
      .query({ dryRun: 'All' })
      .reply(200, {})
      .delete('/api/v1/namespaces/team-a/configmaps/c')
      .query({ dryRun: 'All' })
      .reply(200, {});
    const { client, logs } = nockClient({ dryRun: true });
    await client.get(configMaps, 'c');
    await client.create(configMaps, { metadata: { name: 'c' } });
    await client.patch(configMaps, 'c', { data: {} });
    await client.delete(configMaps, 'c');
    expect(scope.isDone()).toBe(true);
    const would = logs
      .lines()
      .filter((l) => l.dryRun === true)
      .map((l) => l.msg);
    expect(would).toEqual([
      'would create configmaps "c" in namespace team-a',
      'would patch configmaps "c" in namespace team-a',
      'would delete configmaps "c" in namespace team-a',
    ]);
  });
});

describe('malformed answers', () => {
  it('a list page that is not JSON fails with a clear error, not a retry', async () => {
    nock(SERVER).get('/apis/cert-manager.io/v1/clusterissuers').query(true).reply(200, '<html>proxy error</html>');
    const { client, transport } = nockClient();
    await expect(collect(client.list(clusterIssuers))).rejects.toThrow(
      /^list clusterissuers\.cert-manager\.io: the server's answer is not valid JSON/,
    );
    expect(transport.requests).toBe(1);
  });
});
