import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GZIP_THRESHOLD_BYTES } from '../../src/testing/fake-request.js';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { widgetObjects } from '../support/cluster.js';
import { http } from '../support/http.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ objects: widgetObjects(30) });
});
afterAll(async () => {
  await cluster.stop();
});

const WIDGETS = '/apis/example.com/v1/widgets';
const names = (body: Record<string, unknown>) =>
  (body.items as { metadata: { name: string; namespace: string } }[]).map((i) => `${i.metadata.namespace}/${i.metadata.name}`);

describe('lists', () => {
  it('answer <Kind>List with apiVersion, resourceVersion, continue and remainingItemCount', async () => {
    const page = (await http(cluster, 'GET', `${WIDGETS}?limit=7`)).json();
    expect(page).toMatchObject({ kind: 'WidgetList', apiVersion: 'example.com/v1' });
    const metadata = page.metadata as Record<string, unknown>;
    expect(metadata.resourceVersion).toMatch(/^\d+$/);
    expect(metadata.remainingItemCount).toBe(23);
    const token = JSON.parse(Buffer.from(String(metadata.continue), 'base64url').toString()) as Record<string, unknown>;
    expect(token).toEqual({ v: 'meta.k8s.io/v1', rv: Number(metadata.resourceVersion), start: `${names(page).at(-1)}\u0000` });
  });

  it('order items by namespace then name and page through them all, the last page without continue', async () => {
    const seen: string[] = [];
    let next = '';
    let last: Record<string, unknown> = {};
    do {
      last = (await http(cluster, 'GET', `${WIDGETS}?limit=8${next ? `&continue=${next}` : ''}`)).json();
      seen.push(...names(last));
      next = String((last.metadata as Record<string, unknown>).continue ?? '');
    } while (next);
    expect(seen).toHaveLength(30);
    expect(seen).toEqual([...seen].sort());
    expect(last.metadata).not.toHaveProperty('remainingItemCount');
  });

  it('list one namespace', async () => {
    const page = (await http(cluster, 'GET', '/apis/example.com/v1/namespaces/team-b/widgets')).json();
    expect(names(page).every((n) => n.startsWith('team-b/'))).toBe(true);
    expect(names(page)).toHaveLength(10);
  });

  it.each([
    ['tier=backend', 15],
    ['tier==backend', 15],
    ['tier!=backend', 15],
    ['tier in (backend,frontend)', 30],
    ['tier notin (backend)', 15],
    ['canary', 6],
    ['!canary', 24],
    ['tier=frontend,canary', 3],
  ])('label selector %s matches %i', async (selector, count) => {
    const page = (await http(cluster, 'GET', `${WIDGETS}?labelSelector=${encodeURIComponent(selector)}`)).json();
    expect(names(page)).toHaveLength(count);
    expect(page.metadata).not.toHaveProperty('remainingItemCount');
  });

  it('a selected page may be short and still carry continue; no remainingItemCount then', async () => {
    const page = (await http(cluster, 'GET', `${WIDGETS}?limit=4&labelSelector=canary`)).json();
    expect(names(page)).toHaveLength(4);
    expect((page.metadata as Record<string, unknown>).continue).toBeTruthy();
    expect(page.metadata).not.toHaveProperty('remainingItemCount');
  });

  it('field selectors metadata.name and metadata.namespace only', async () => {
    const byName = (await http(cluster, 'GET', `${WIDGETS}?fieldSelector=metadata.name%3Dwidget-00004`)).json();
    expect(names(byName)).toEqual(['team-b/widget-00004']);
    const notNs = (await http(cluster, 'GET', `${WIDGETS}?fieldSelector=metadata.namespace!%3Dteam-a`)).json();
    expect(names(notNs)).toHaveLength(20);
    const bad = await http(cluster, 'GET', `${WIDGETS}?fieldSelector=spec.size%3D3`);
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'field label not supported: spec.size',
      code: 400,
    });
  });
});

describe('Status bodies', () => {
  it('401 without a valid token', async () => {
    const response = await http(cluster, 'GET', WIDGETS, { token: 'wrong' });
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('404 for a missing object names it; for an unknown resource it does not', async () => {
    const missing = await http(cluster, 'GET', '/apis/example.com/v1/namespaces/team-a/widgets/nope');
    expect(missing.json()).toMatchObject({
      reason: 'NotFound',
      message: 'widgets.example.com "nope" not found',
      details: { name: 'nope', group: 'example.com', kind: 'widgets' },
    });
    // As kube-apiserver: a custom resource no CRD serves is no handler's, a plain-text 404; a built-in group's is a Status.
    const unknown = await http(cluster, 'GET', '/apis/example.com/v1/gadgets');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('404 page not found\n');
    expect(String(unknown.headers['content-type'])).toMatch(/^text\/plain/);
    const builtin = await http(cluster, 'GET', '/api/v1/gadgets');
    expect(builtin.status).toBe(404);
    expect(builtin.json()).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
  });

  it('409 AlreadyExists, 422 Invalid, and 409 Conflict on a stale update; resourceVersion bumps on every write', async () => {
    const path = '/api/v1/namespaces/team-a/configmaps';
    const created = await http(cluster, 'POST', path, { body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    expect(created.status).toBe(201);
    const rv1 = Number((created.json().metadata as Record<string, string>).resourceVersion);
    const again = await http(cluster, 'POST', path, { body: { metadata: { name: 'cfg' } } });
    expect(again.json()).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "cfg" already exists' });
    const invalid = await http(cluster, 'POST', path, { body: { metadata: { name: 'Bad_Name' } } });
    expect(invalid.status).toBe(422);
    expect(invalid.json()).toMatchObject({
      reason: 'Invalid',
      message: expect.stringMatching(/^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value/),
    });

    const patched = await http(cluster, 'PATCH', `${path}/cfg`, {
      body: { data: { b: '2' } },
      contentType: 'application/merge-patch+json',
    });
    const rv2 = Number((patched.json().metadata as Record<string, string>).resourceVersion);
    expect(rv2).toBeGreaterThan(rv1);
    expect(patched.json().data).toEqual({ a: '1', b: '2' });
    const stale = await http(cluster, 'PUT', `${path}/cfg`, {
      body: { metadata: { name: 'cfg', resourceVersion: String(rv1) }, data: {} },
    });
    expect(stale.json()).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
    });
    const deleted = await http(cluster, 'DELETE', `${path}/cfg`);
    expect(deleted.status).toBe(200);
    expect((await http(cluster, 'GET', `${path}/cfg`)).status).toBe(404);
  });

  it('dry run answers as if written and changes nothing', async () => {
    const path = '/api/v1/namespaces/team-a/configmaps';
    const before = cluster.store.resourceVersion;
    const dry = await http(cluster, 'POST', `${path}?dryRun=All`, { body: { metadata: { name: 'ghost' } } });
    expect(dry.status).toBe(201);
    expect((await http(cluster, 'GET', `${path}/ghost`)).status).toBe(404);
    expect(cluster.store.resourceVersion).toBe(before);
  });

  it('410 Expired for an expired continue token, with the inconsistent-continue token when asked', async () => {
    const first = (await http(cluster, 'GET', `${WIDGETS}?limit=5`)).json();
    const token = String((first.metadata as Record<string, unknown>).continue);
    cluster.inject({ expireContinue: true, inconsistentContinue: true });
    const expired = await http(cluster, 'GET', `${WIDGETS}?limit=5&continue=${token}`);
    expect(expired.status).toBe(410);
    const body = expired.json();
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(body.message).toMatch(
      /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/,
    );
    const resumed = (
      await http(cluster, 'GET', `${WIDGETS}?limit=5&continue=${(body.metadata as Record<string, string>).continue}`)
    ).json();
    expect(names(resumed)[0]).toBe(names((await http(cluster, 'GET', `${WIDGETS}?limit=10`)).json())[5]);
    cluster.inject({ expireContinue: true });
    const plain = (await http(cluster, 'GET', `${WIDGETS}?limit=5&continue=${token}`)).json();
    expect(plain.metadata).toEqual({});
    expect(plain.message).toBe(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    );
  });

  it('403 with the API server message when RBAC denies', async () => {
    cluster.grant([{ group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['get'] }], 'team-a');
    try {
      const denied = await http(cluster, 'GET', '/apis/example.com/v1/namespaces/team-b/widgets/widget-00001');
      expect(denied.json()).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message:
          'widgets.example.com "widget-00001" is forbidden: User "system:serviceaccount:default:kubepoll" cannot get resource "widgets" in API group "example.com" in the namespace "team-b"',
      });
      expect((await http(cluster, 'GET', '/apis/example.com/v1/namespaces/team-a/widgets/widget-00000')).status).toBe(200);
    } finally {
      cluster.grant(undefined);
    }
  });
});

describe('discovery', () => {
  it('serves /api, /apis and group versions for what it serves', async () => {
    expect((await http(cluster, 'GET', '/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await http(cluster, 'GET', '/apis')).json().groups as { name: string }[];
    expect(groups.map((g) => g.name)).toContain('example.com');
    const resources = (await http(cluster, 'GET', '/apis/example.com/v1')).json();
    expect(resources).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'example.com/v1',
      resources: [{ name: 'widgets', kind: 'Widget', namespaced: true, singularName: 'widget' }],
    });
  });

  it('seeding creates the namespaces its objects name; a request never does', async () => {
    const list = (await http(cluster, 'GET', '/api/v1/namespaces')).json();
    expect((list.items as { metadata: { name: string } }[]).map((n) => n.metadata.name)).toEqual(
      expect.arrayContaining(['default', 'team-a', 'team-b', 'team-c']),
    );
    const typo = await http(cluster, 'POST', '/api/v1/namespaces/tema-a/configmaps', { body: { metadata: { name: 'x' } } });
    expect(typo.status).toBe(404);
    expect(typo.json()).toMatchObject({ reason: 'NotFound', message: 'namespaces "tema-a" not found' });
    const names = ((await http(cluster, 'GET', '/api/v1/namespaces')).json().items as { metadata: { name: string } }[]).map(
      (n) => n.metadata.name,
    );
    expect(names).not.toContain('tema-a');
  });
});

describe('gzip, as kube-apiserver answers', () => {
  let big: TestCluster;
  beforeAll(async () => {
    big = await startTestCluster({ objects: widgetObjects(1500) });
  });
  afterAll(async () => {
    await big?.stop();
  });

  it('an answer over 128 KB is gzipped when the request asks for gzip, with Vary: Accept-Encoding', async () => {
    const plain = await http(big, 'GET', WIDGETS);
    expect(plain.bytes.length).toBeGreaterThan(GZIP_THRESHOLD_BYTES);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await http(big, 'GET', WIDGETS, { headers: { 'accept-encoding': 'deflate, gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(zipped.bytes.length).toBeLessThan(plain.bytes.length / 4);
    expect(JSON.parse(gunzipSync(zipped.bytes).toString())).toEqual(plain.json());
  });

  it('a small answer, or one that asks for gzip only with a q-value, comes uncompressed (as Go matches the token)', async () => {
    const small = await http(big, 'GET', `${WIDGETS}?limit=10`, { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(names(small.json())).toHaveLength(10);
    const weighted = await http(big, 'GET', WIDGETS, { headers: { 'accept-encoding': 'gzip;q=1.0' } });
    expect(weighted.headers['content-encoding']).toBeUndefined();
    expect(names(weighted.json())).toHaveLength(1500);
  });
});
