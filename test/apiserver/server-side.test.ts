// The job API's writes against a real API server's semantics: server-side
// apply (a second identical apply changes nothing; a conflict names the other
// manager; force takes the field over), a /status write with only the status
// subresource granted, an Event the server accepts, metadata-only reads.
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import type { JobDefinition, KubeObject, ResourceDeclaration } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runJob } from '../../src/testing/run-job.js';
import { WIDGET_CRD } from './fidelity-scenarios.js';
import { eventually, uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
const widgets = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true };
let namespace: string;
let cluster: ApiServerCluster;

beforeAll(async () => {
  await server().admin.installCrds([WIDGET_CRD]);
  namespace = uniqueNamespace('ssa');
  cluster = await server().cluster({ namespace });
});

const widget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace },
  spec,
});
const live = (name: string) =>
  server().admin.ok<KubeObject>('GET', `/apis/example.com/v1/namespaces/${namespace}/widgets/${name}`);

function job(name: string, resources: ResourceDeclaration[], run: JobDefinition['run']): JobDefinition {
  return { name, resources, run };
}

describe('server-side apply through ctx.apply', () => {
  it('creates, and applying the same object again changes nothing: same resourceVersion, kubepoll-<job> owns the fields', async () => {
    const run = await runJob(
      job('apply-twice', [{ ...widgets, verbs: ['create', 'patch'] }], async (ctx) => {
        const first = await ctx.apply(widgets, widget('twice', { size: 1, color: 'red' }));
        const second = await ctx.apply(widgets, widget('twice', { size: 1, color: 'red' }));
        return { first: first.metadata?.resourceVersion, second: second.metadata?.resourceVersion };
      }),
      { cluster },
    );
    expect(run.error?.message).toBeUndefined();
    const { first, second } = run.result as { first: string; second: string };
    expect(second).toBe(first);
    const stored = await live('twice');
    expect(stored.spec).toEqual({ size: 1, color: 'red' });
    expect(stored.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['kubepoll-apply-twice', 'Apply']]);
  });

  it('a field another manager owns: 409 naming that manager and the field; with force the field is taken over', async () => {
    await server().admin.apply(widget('contested', { color: 'red' })); // field manager kubepoll-test
    const run = await runJob(
      job('apply-conflict', [{ ...widgets, verbs: ['patch'] }], async (ctx) => {
        try {
          await ctx.apply(widgets, widget('contested', { color: 'blue' }));
          return { conflict: undefined };
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          const forced = await ctx.apply(widgets, widget('contested', { color: 'blue' }), { force: true });
          return {
            conflict: { status: error.status, message: error.serverMessage, conflicts: error.conflicts },
            forced: forced.spec,
          };
        }
      }),
      { cluster },
    );
    expect(run.error?.message).toBeUndefined();
    expect(run.result).toEqual({
      conflict: {
        status: 409,
        message: 'Apply failed with 1 conflict: conflict with "kubepoll-test": .spec.color',
        conflicts: [{ manager: 'kubepoll-test', field: '.spec.color' }],
      },
      forced: { color: 'blue' },
    });
  });
});

describe('the status subresource', () => {
  it('a job granted only widgets/status patches status; the spec is untouched and the main resource stays refused', async () => {
    await server().admin.apply(widget('statusful', { size: 3 }));
    // Only the subresource, by hand: the real server decides with exactly this.
    const meta = { name: 'status-only', namespace };
    await server().admin.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta,
        rules: [{ apiGroups: ['example.com'], resources: ['widgets/status'], verbs: ['patch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'status-only' },
        subjects: [{ kind: 'ServiceAccount', name: cluster.serviceAccount, namespace }],
      },
    ]);
    await eventually(
      () => cluster.can({ verb: 'patch', group: 'example.com', resource: 'widgets', subresource: 'status', namespace }),
      'the status-only Role is in force',
    );
    const run = await runJob(
      job('status-writer', [{ ...widgets, verbs: ['patch'], subresources: ['status'] }], async (ctx) => {
        const patched = await ctx.patch(
          widgets,
          'statusful',
          { status: { phase: 'Ready' }, spec: { size: 99 } },
          { subresource: 'status' },
        );
        return { status: patched.status, spec: patched.spec };
      }),
      { cluster, rbac: 'cluster' },
    );
    expect(run.error?.message).toBeUndefined();
    expect(run.result).toEqual({ status: { phase: 'Ready' }, spec: { size: 3 } });
    const direct = await cluster.client.request(
      'PATCH',
      `/apis/example.com/v1/namespaces/${namespace}/widgets/statusful`,
      { spec: { size: 4 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    expect(direct.status).toBe(403);
  });
});

describe('Events and metadata-only reads', () => {
  it('ctx.record writes an events.k8s.io/v1 Event the real server accepts', async () => {
    await server().admin.apply(widget('noted', { size: 1 }));
    const run = await runJob(
      job(
        'recorder',
        [
          { ...widgets, verbs: ['get'] },
          { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true, verbs: ['create'] },
        ],
        async (ctx) => {
          const w = await ctx.get(widgets, 'noted');
          await ctx.record(w as KubeObject & { kind: string; metadata: { name: string } }, {
            type: 'Warning',
            reason: 'WidgetNoted',
            note: 'noted by a test',
          });
          return {};
        },
      ),
      { cluster },
    );
    expect(run.error?.message).toBeUndefined();
    const events = await server().admin.ok<{ items: Record<string, unknown>[] }>(
      'GET',
      `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
    );
    expect(
      events.items.map((e) => [e.reason, e.type, e.reportingController, (e.regarding as { kind: string; name: string }).name]),
    ).toEqual([['WidgetNoted', 'Warning', 'kubepoll.dev/recorder', 'noted']]);
  });

  it('metadataOnly list and get return PartialObjectMetadata, no spec', async () => {
    await server().admin.apply(widget('slim', { size: 7 }));
    const run = await runJob(
      job('slim-reader', [{ ...widgets, verbs: ['list', 'get'] }], async (ctx) => {
        const listed: unknown[] = [];
        for await (const item of ctx.list(widgets, { metadataOnly: true })) listed.push(item);
        const got = await ctx.get(widgets, 'slim', { metadataOnly: true });
        return { listed, got };
      }),
      { cluster },
    );
    expect(run.error?.message).toBeUndefined();
    const { listed, got } = run.result as { listed: Record<string, unknown>[]; got: Record<string, unknown> };
    expect(listed.length).toBeGreaterThan(0);
    for (const item of [...listed, got]) {
      expect(item).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
      expect(item).not.toHaveProperty('spec');
    }
    expect((got.metadata as { name: string }).name).toBe('slim');
  });
});
