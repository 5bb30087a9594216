// The job's verbs on top of the pipeline: names, writes, dry run, apply, JSON patch, /status, metadata-only, Events, shards.
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import { AccessError } from '../../src/errors.js';
import { shardOf } from '../../src/shard.js';
import { certificateItems, certificates, collect, configMaps, nockClient, SERVER, secrets } from '../support/nock-client.js';

const CM = '/api/v1/namespaces/team-a/configmaps';
const CERTS = '/apis/cert-manager.io/v1/namespaces/team-a/certificates';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('names and namespaces are checked before any request', () => {
  const bad: [string, unknown, RegExp][] = [
    ['undefined', undefined, /resource name may not be empty \(got undefined\)/],
    ['empty', '', /resource name may not be empty$/],
    ['.', '.', /resource name may not be "\."/],
    ['..', '..', /resource name may not be "\.\."/],
    ['a slash', 'a/b', /may not contain '\/' or '%'/],
    ['a percent', 'a%2fb', /may not contain '\/' or '%'/],
  ];
  it.each(bad)(
    'a name that is %s: get, patch, delete and apply refuse it (no DELETE .../configmaps)',
    async (_what, name, message) => {
      const c = nockClient();
      const n = name as string;
      await expect(c.client.get(configMaps, n)).rejects.toThrow(message);
      await expect(c.client.patch(configMaps, n, {})).rejects.toThrow(message);
      await expect(c.client.delete(configMaps, n)).rejects.toThrow(message);
      await expect(c.client.apply(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } })).rejects.toThrow(
        message,
      );
      await expect(c.client.create(configMaps, { metadata: { name: n } })).rejects.toThrow(
        n === undefined ? /needs metadata\.name/ : message,
      );
      expect(c.transport.requests).toBe(0);
    },
  );

  it.each(['', '.', '..', 'a/b'])('a namespace %j is refused for reads and writes', async (namespace) => {
    const c = nockClient({ declarations: [{ ...configMaps, verbs: ['get', 'list', 'delete'], namespaces: '*' }] });
    await expect(c.client.get(configMaps, 'x', { namespace })).rejects.toThrow(/namespace/);
    await expect(collect(c.client.list(configMaps, { namespace }))).rejects.toThrow(/namespace/);
    await expect(c.client.delete(configMaps, 'x', { namespace })).rejects.toThrow(/namespace/);
    expect(c.transport.requests).toBe(0);
  });
});

describe('writes', () => {
  it('creates, merge-patches, JSON-patches and deletes with the right paths and content types', async () => {
    const scope = nock(SERVER)
      .post(CM, { metadata: { name: 'c' }, data: { a: '1' } })
      .matchHeader('content-type', 'application/json')
      .reply(201, { metadata: { name: 'c', resourceVersion: '2' } })
      .patch(`${CM}/c`, { data: { a: null, b: '2' } })
      .matchHeader('content-type', 'application/merge-patch+json')
      .reply(200, { metadata: { name: 'c', resourceVersion: '3' }, data: { b: '2' } })
      .patch(`${CM}/c`, [{ op: 'replace', path: '/data/b', value: '3' }])
      .matchHeader('content-type', 'application/json-patch+json')
      .reply(200, { metadata: { name: 'c', resourceVersion: '4' }, data: { b: '3' } })
      .delete(`${CM}/c`)
      .reply(200, { kind: 'Status', status: 'Success' });
    const { client } = nockClient();
    expect(await client.create(configMaps, { metadata: { name: 'c' }, data: { a: '1' } })).toMatchObject({
      metadata: { resourceVersion: '2' },
    });
    expect(await client.patch(configMaps, 'c', { data: { a: null, b: '2' } })).toMatchObject({ data: { b: '2' } });
    expect(await client.patch(configMaps, 'c', [{ op: 'replace', path: '/data/b', value: '3' }], { type: 'json' })).toMatchObject(
      {
        data: { b: '3' },
      },
    );
    expect(await client.delete(configMaps, 'c')).toMatchObject({ status: 'Success' });
    expect(scope.isDone()).toBe(true);
  });

  it('a JSON patch must be an array and a merge patch an object', async () => {
    const c = nockClient();
    await expect(c.client.patch(configMaps, 'c', { op: 'add' }, { type: 'json' })).rejects.toThrow(/array of operations/);
    await expect(c.client.patch(configMaps, 'c', [])).rejects.toThrow(/merge patch is an object/);
    expect(c.transport.requests).toBe(0);
  });

  it('creates in the namespace named by the object when no option is given', async () => {
    const scope = nock(SERVER).post('/api/v1/namespaces/ops/configmaps').reply(201, {});
    const { client } = nockClient({ declarations: [{ ...configMaps, verbs: ['create'], namespaces: ['ops'] }] });
    await client.create(configMaps, { metadata: { name: 'c', namespace: 'ops' } });
    expect(scope.isDone()).toBe(true);
  });

  it('a status write goes to /status and needs subresources: [status] declared', async () => {
    const scope = nock(SERVER)
      .patch(`${CERTS}/a/status`, { status: { ready: true } })
      .reply(200, { metadata: { name: 'a' }, status: { ready: true } });
    const declared = nockClient();
    await expect(
      declared.client.patch(certificates, 'a', { status: { ready: true } }, { subresource: 'status' }),
    ).resolves.toMatchObject({
      status: { ready: true },
    });
    expect(scope.isDone()).toBe(true);
    const undeclared = nockClient({ declarations: [{ ...certificates, verbs: ['patch'] }] });
    await expect(undeclared.client.patch(certificates, 'a', {}, { subresource: 'status' })).rejects.toThrow(
      "the job writes certificates.cert-manager.io/status but did not declare it: add subresources: ['status'] to that declaration",
    );
    expect(undeclared.transport.requests).toBe(0);
  });

  it('names on a declaration: other names are refused before sending', async () => {
    nock(SERVER)
      .get(`${CM}/flags`)
      .reply(200, { metadata: { name: 'flags' } });
    const c = nockClient({ declarations: [{ ...configMaps, verbs: ['get', 'patch'], names: ['flags'] }] });
    await expect(c.client.get(configMaps, 'flags')).resolves.toMatchObject({ metadata: { name: 'flags' } });
    await expect(c.client.get(configMaps, 'other')).rejects.toThrow(
      `the job declared get on configmaps only for names flags, not "other": add 'other' to that declaration's names`,
    );
    await expect(c.client.patch(configMaps, 'other', {})).rejects.toBeInstanceOf(AccessError);
    expect(c.transport.requests).toBe(1);
  });
});

describe('server-side apply', () => {
  const desired = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };

  it('is an apply patch with field manager kubepoll-<job>, force only when asked', async () => {
    const scope = nock(SERVER)
      .patch(`${CM}/c`, desired)
      .query({ fieldManager: 'kubepoll-test-job' })
      .matchHeader('content-type', 'application/apply-patch+yaml')
      .reply(200, { ...desired, metadata: { name: 'c', resourceVersion: '5' } })
      .patch(`${CM}/c`, desired)
      .query({ fieldManager: 'kubepoll-test-job', force: 'true' })
      .reply(200, { ...desired, metadata: { name: 'c', resourceVersion: '6' } });
    const { client } = nockClient();
    await expect(client.apply(configMaps, desired)).resolves.toMatchObject({ metadata: { resourceVersion: '5' } });
    await expect(client.apply(configMaps, desired, { force: true })).resolves.toMatchObject({
      metadata: { resourceVersion: '6' },
    });
    expect(scope.isDone()).toBe(true);
  });

  it('a conflict names the other manager and the field, and says how to take over', async () => {
    nock(SERVER)
      .patch(`${CM}/c`)
      .query(true)
      .reply(409, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a',
        reason: 'Conflict',
        details: {
          causes: [
            { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.data.a' },
          ],
        },
        code: 409,
      });
    const error = (await nockClient()
      .client.apply(configMaps, desired)
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.conflicts).toEqual([{ manager: 'kubectl-client-side-apply', field: '.data.a' }]);
    expect(error.message).toMatch(/conflict with "kubectl-client-side-apply".*pass \{ force: true \} to take them over/);
  });

  it('needs apiVersion, kind and a name', async () => {
    const c = nockClient();
    await expect(c.client.apply(configMaps, { metadata: { name: 'c' } })).rejects.toThrow(/apiVersion and kind/);
    expect(c.transport.requests).toBe(0);
  });

  it('a 403 because apply would create an object without create declared says to declare create', async () => {
    nock(SERVER).patch(`${CM}/c`).query(true).reply(403, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message:
        'configmaps "c" is forbidden: User "system:serviceaccount:team-a:x" cannot create resource "configmaps" in API group "" in the namespace "team-a"',
      reason: 'Forbidden',
      code: 403,
    });
    const c = nockClient({ declarations: [{ ...configMaps, verbs: ['patch'] }] });
    await expect(c.client.apply(configMaps, desired)).rejects.toThrow(
      /apply would create it.*add 'create' to that declaration's verbs/,
    );
  });
});

describe('dry run shows the change, never a secret', () => {
  it('sends dryRun=All on every write and logs each with what it carries; reads unchanged', async () => {
    const scope = nock(SERVER)
      .get(`${CM}/c`)
      .query({})
      .reply(200, { metadata: { name: 'c' } })
      .post(CM)
      .query({ dryRun: 'All' })
      .reply(201, {})
      .patch(`${CM}/c`)
      .query({ dryRun: 'All' })
      .reply(200, {})
      .delete(`${CM}/c`)
      .query({ dryRun: 'All' })
      .reply(200, {});
    const c = nockClient({ dryRun: true });
    await c.client.get(configMaps, 'c');
    await c.client.create(configMaps, { metadata: { name: 'c' }, data: { k: 'v' } });
    await c.client.patch(configMaps, 'c', { data: { k: 'w' } });
    await c.client.delete(configMaps, 'c');
    expect(scope.isDone()).toBe(true);
    const would = c.logs.lines().filter((l) => l.dryRun === true);
    expect(would.map((l) => l.msg)).toEqual([
      'would create configmaps "c" in namespace team-a',
      'would patch configmaps "c" in namespace team-a',
      'would delete configmaps "c" in namespace team-a',
    ]);
    expect(would[0]?.object).toEqual({ metadata: { name: 'c' }, data: { k: 'v' } });
    expect(would[1]).toMatchObject({ patchType: 'merge', patch: { data: { k: 'w' } } });
  });

  it('apply under dry run lists the fields that would change against the live object', async () => {
    const live = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '1' }, data: { a: '1', b: '2' } };
    const after = { ...live, metadata: { name: 'c', resourceVersion: '2' }, data: { a: '9', b: '2', c: '3' } };
    nock(SERVER)
      .patch(`${CM}/c`)
      .query({ fieldManager: 'kubepoll-test-job', dryRun: 'All' })
      .reply(200, after)
      .get(`${CM}/c`)
      .reply(200, live);
    const c = nockClient({ dryRun: true });
    await c.client.apply(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '9', c: '3' } });
    const line = c.logs.lines().find((l) => l.msg === 'would apply configmaps "c" in namespace team-a');
    expect(line?.changes).toEqual([
      { path: 'data.a', from: '1', to: '9' },
      { path: 'data.c', to: '3' },
    ]);
  });

  it("a Secret's data is never printed: create, patch, JSON patch and apply", async () => {
    const SECRET = 'hunter2-very-secret';
    const S = '/api/v1/namespaces/team-a/secrets';
    nock(SERVER)
      .post(S)
      .query(true)
      .reply(201, {})
      .patch(`${S}/s`)
      .query(true)
      .times(2)
      .reply(200, {})
      .patch(`${S}/s`)
      .query(true)
      .reply(200, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: SECRET } })
      .get(`${S}/s`)
      .reply(200, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'old-one-xx' } });
    const c = nockClient({ dryRun: true });
    await c.client.create(secrets, { metadata: { name: 's' }, stringData: { password: SECRET } });
    await c.client.patch(secrets, 's', { data: { password: SECRET } });
    await c.client.patch(secrets, 's', [{ op: 'replace', path: '/data/password', value: SECRET }], { type: 'json' });
    await c.client.apply(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: SECRET } });
    const text = c.logs.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('old-one-xx');
    expect(c.logs.lines().filter((l) => l.dryRun === true)).toHaveLength(4);
    expect(text).toContain('password');
  });
});

describe('metadata-only reads', () => {
  it('asks for PartialObjectMetadata(List) and yields metadata only, even from a server that sends whole objects', async () => {
    const scope = nock(SERVER)
      .get('/apis/cert-manager.io/v1/certificates')
      .query(true)
      .matchHeader('accept', /as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/)
      .reply(200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: {},
        items: [
          { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'x', uid: '1' } },
        ],
      })
      .get(`${CERTS}/b`)
      .matchHeader('accept', /as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/)
      .reply(200, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'b' },
        spec: { secretName: 'big' },
      });
    const { client } = nockClient();
    const listed = await collect(client.list(certificates, { allNamespaces: true, metadataOnly: true }));
    expect(listed).toEqual([
      { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'x', uid: '1' } },
    ]);
    const got = await client.get(certificates, 'b', { metadataOnly: true });
    expect(got).toEqual({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 'b' } });
    expect(scope.isDone()).toBe(true);
  });
});

describe('Events', () => {
  const backup = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b1', namespace: 'velero', uid: 'u-1' } };

  it('records an events.k8s.io/v1 Event about the object, once per run for the same note', async () => {
    let body: Record<string, unknown> | undefined;
    const scope = nock(SERVER)
      .post('/apis/events.k8s.io/v1/namespaces/velero/events', (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(201, {});
    const c = nockClient();
    await c.client.record(backup, { type: 'Warning', reason: 'BackupFailed', note: 'it failed' });
    await c.client.record(backup, { type: 'Warning', reason: 'BackupFailed', note: 'it failed' });
    expect(scope.isDone()).toBe(true);
    expect(c.transport.requests).toBe(1);
    expect(body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'velero' },
      regarding: { apiVersion: 'velero.io/v1', kind: 'Backup', name: 'b1', namespace: 'velero', uid: 'u-1' },
      reportingController: 'kubepoll.dev/test-job',
      reportingInstance: 'kubepoll-test-job-run-1',
      action: 'BackupFailed',
      reason: 'BackupFailed',
      note: 'it failed',
      type: 'Warning',
    });
    expect(body?.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('needs events create declared in that namespace, like any other call', async () => {
    const c = nockClient({ declarations: [{ ...configMaps, verbs: ['get'] }] });
    await expect(c.client.record(backup, { type: 'Normal', reason: 'Seen', note: 'x' })).rejects.toThrow(
      /did not declare events\.events\.k8s\.io/,
    );
    expect(c.transport.requests).toBe(0);
  });
});

describe('shards', () => {
  it('{ shard: true } yields only this shard of the list, by metadata.uid; the shards partition the list', async () => {
    const items = certificateItems(40);
    const seenByShard: string[][] = [];
    for (let index = 0; index < 3; index++) {
      nock(SERVER).get('/apis/cert-manager.io/v1/certificates').query(true).reply(200, { items, metadata: {} });
      const c = nockClient({ shard: { index, count: 3 } });
      seenByShard.push(
        (await collect(c.client.list(certificates, { allNamespaces: true, shard: true }))).map((o) => o.metadata?.uid as string),
      );
    }
    const all = seenByShard.flat();
    expect(all.sort()).toEqual(items.map((i) => i.metadata.uid).sort());
    seenByShard.forEach((uids, index) => {
      for (const uid of uids) expect(shardOf(uid, 3)).toBe(index);
    });
  });

  it('without shard: true, a sharded run still sees the whole list', async () => {
    const items = certificateItems(10);
    nock(SERVER).get('/apis/cert-manager.io/v1/certificates').query(true).reply(200, { items, metadata: {} });
    const c = nockClient({ shard: { index: 1, count: 3 } });
    expect(await collect(c.client.list(certificates, { allNamespaces: true }))).toHaveLength(10);
  });
});

describe('second look', () => {
  it('ctx.record refuses an object whose namespace is not a path segment, before sending', async () => {
    const c = nockClient();
    await expect(
      c.client.record(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: '..' } },
        { type: 'Normal', reason: 'Seen', note: 'n' },
      ),
    ).rejects.toThrow('namespace may not be ".."');
    expect(c.transport.requests).toBe(0);
  });

  it('a dry-run JSON patch that replaces a whole Secret, or its last-applied annotation, prints no value', async () => {
    const SECRET = 'whole-object-secret-value';
    nock(SERVER).patch('/api/v1/namespaces/team-a/secrets/s').query(true).times(2).reply(200, {});
    const c = nockClient({ dryRun: true });
    await c.client.patch(secrets, 's', [{ op: 'replace', path: '', value: { data: { p: SECRET } } }], { type: 'json' });
    await c.client.patch(
      secrets,
      's',
      [{ op: 'add', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration', value: SECRET }],
      { type: 'json' },
    );
    expect(c.logs.text()).not.toContain(SECRET);
  });
});
