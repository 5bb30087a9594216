import { afterEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import type { JobDefinition, KubeObject, ResourceDeclaration } from '../../src/job.js';
import { runJob, startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { configMap, widgetObjects, widgets } from '../support/cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const listAll: ResourceDeclaration = { ...widgets, verbs: ['list'], namespaces: '*' };

/** A job that lists every widget and returns their names. */
function listingJob(limit?: number, onItem?: (n: number) => Promise<void>): JobDefinition<{ names: string[] }> {
  return {
    name: 'lister',
    resources: [listAll],
    retry: { retries: 5, minTimeout: 10, maxTimeout: 50 },
    async run(ctx) {
      const names: string[] = [];
      for await (const w of ctx.list(widgets, { allNamespaces: true, ...(limit ? { limit } : {}) })) {
        names.push(`${w.metadata?.namespace}/${w.metadata?.name}`);
        await onItem?.(names.length);
      }
      return { names };
    },
  };
}

const listRequests = (c: TestCluster) => c.requests.filter((r) => r.path === '/apis/example.com/v1/widgets');

describe('runner against the fake API server over HTTPS', () => {
  it('lists 2,500 custom resources in exactly 5 pages of 500 and sees each once', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(2500) });
    const run = await runJob(listingJob(), { cluster });
    expect(run.outcome).toBe('succeeded');
    const { names } = run.result as { names: string[] };
    expect(names).toHaveLength(2500);
    expect(new Set(names).size).toBe(2500);
    expect(listRequests(cluster)).toHaveLength(5);
    expect(run.requests).toBe(5);
    // One pool for the run: connections are reused, not opened per request.
    expect(cluster.connections).toBeGreaterThanOrEqual(1);
    expect(cluster.connections).toBeLessThan(run.requests);
    expect(run.logs.at(-1)).toMatchObject({ msg: 'run finished', outcome: 'succeeded', requests: 5, retries: 0, job: 'lister' });
  });

  it('every log line carries job and runId, and the last is run finished', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(3) });
    const run = await runJob(listingJob(), { cluster });
    expect(run.logs.length).toBeGreaterThanOrEqual(2);
    for (const line of run.logs) expect(line).toMatchObject({ job: 'lister', runId: run.runId });
    expect(run.logs.at(-1)?.msg).toBe('run finished');
    expect(run.logs.at(-1)?.result).toEqual(run.result);
  });

  it('writes change the cluster; under dry run they are sent with dryRun=All and change nothing', async () => {
    const objects = [configMap('existing', 'team-a', { a: '1' }), configMap('doomed', 'team-a')];
    const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
    const job: JobDefinition = {
      name: 'writer',
      resources: [{ ...configMaps, verbs: ['create', 'patch', 'delete'] }],
      async run(ctx) {
        await ctx.create(configMaps, { metadata: { name: 'made' }, data: { x: 'y' } });
        await ctx.patch(configMaps, 'existing', { data: { b: '2' } });
        await ctx.delete(configMaps, 'doomed');
      },
    };
    cluster = await startTestCluster({ objects });
    const before = JSON.stringify(cluster.objects(configMaps));
    const dry = await runJob(job, { cluster, namespace: 'team-a', dryRun: true });
    expect(dry.error?.message).toBeUndefined();
    expect(dry.outcome).toBe('succeeded');
    expect(JSON.stringify(cluster.objects(configMaps))).toBe(before);
    const writes = cluster.requests.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => [r.method, r.query.dryRun, r.status])).toEqual([
      ['POST', 'All', 201],
      ['PATCH', 'All', 200],
      ['DELETE', 'All', 200],
    ]);
    expect(dry.logs.filter((l) => l.dryRun === true && l.verb).map((l) => l.msg)).toEqual([
      'would create configmaps "made" in namespace team-a',
      'would patch configmaps "existing" in namespace team-a',
      'would delete configmaps "doomed" in namespace team-a',
    ]);

    const real = await runJob(job, { cluster, namespace: 'team-a' });
    expect(real.outcome).toBe('succeeded');
    const after = cluster.objects(configMaps).map((o: KubeObject) => [o.metadata?.name, o.data]);
    expect(after).toEqual([
      ['existing', { a: '1', b: '2' }],
      ['made', { x: 'y' }],
    ]);
  });

  it('rides out 429 with Retry-After, 503 twice and a reset', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(10) });
    cluster.inject({ status: 429, retryAfter: 1, times: 1 });
    cluster.inject({ status: 503, times: 2 });
    cluster.inject({ reset: true, times: 1 });
    const run = await runJob(listingJob(4), { cluster });
    expect(run.error?.message).toBeUndefined();
    expect(run.outcome).toBe('succeeded');
    expect((run.result as { names: string[] }).names).toHaveLength(10);
    expect(run.retries).toBe(4);
    const warned = run.logs.filter((l) => l.level === 'warn').map((l) => l.status ?? l.errno);
    expect(warned).toEqual([429, 503, 503, expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/)]);
  });

  it('survives a token rotated mid-list with the old token revoked', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(6) });
    const c = cluster;
    const run = await runJob(
      listingJob(2, async (n) => {
        if (n === 2) await c.rotateToken();
      }),
      { cluster },
    );
    expect(run.outcome).toBe('succeeded');
    expect((run.result as { names: string[] }).names).toHaveLength(6);
    // Page 2 was read ahead with the old token before the rotation; page 3 meets the revoked token, re-reads it, succeeds.
    expect(cluster.requests.map((r) => r.status)).toEqual([200, 200, 401, 200]);
    expect(run.retries).toBe(1);
  });

  it.each([true, false])(
    'sees every object once when the continue token expires mid-list (inconsistent token: %s)',
    async (inconsistentContinue) => {
      cluster = await startTestCluster({ objects: widgetObjects(9) });
      cluster.inject({ expireContinue: true, inconsistentContinue, times: 1 });
      const run = await runJob(listingJob(2), { cluster });
      expect(run.outcome).toBe('succeeded');
      const { names } = run.result as { names: string[] };
      expect(names).toHaveLength(9);
      expect(new Set(names).size).toBe(9);
      expect(listRequests(cluster).map((r) => r.status)).toContain(410);
      expect(run.logs.some((l) => l.level === 'warn' && String(l.msg).includes('continue token expired'))).toBe(true);
    },
  );

  it('403 fails after exactly one request with exit code 3', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(3) });
    cluster.grant([]);
    const run = await runJob(listingJob(), { cluster, rbac: 'cluster' });
    expect(run.outcome).toBe('failed');
    expect(run.exitCode).toBe(3);
    expect(run.requests).toBe(1);
    expect(run.error?.message).toBe(
      'list widgets.example.com: 403 Forbidden: widgets.example.com is forbidden: User "system:serviceaccount:default:kubepoll" cannot list resource "widgets" in API group "example.com" at the cluster scope',
    );
  });

  it('a hanging server ends in outcome timeout and exit code 4 at the deadline', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(3) });
    cluster.inject({ hang: true, times: Number.POSITIVE_INFINITY });
    const run = await runJob(listingJob(), { cluster, timeoutSeconds: 1 });
    expect(run.outcome).toBe('timeout');
    expect(run.exitCode).toBe(4);
    expect(run.logs.at(-1)).toMatchObject({ msg: 'run finished', outcome: 'timeout', err: { type: 'DeadlineError' } });
  });

  it('an interrupt aborts ctx.signal and ends in outcome interrupted', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(3) });
    cluster.inject({ hang: true, times: Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    let sawAbort = false;
    const job: JobDefinition = {
      name: 'waiter',
      resources: [listAll],
      async run(ctx) {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
        });
        setTimeout(() => controller.abort(new InterruptedError('SIGTERM')), 100);
        for await (const _ of ctx.list(widgets, { allNamespaces: true })) {
        }
      },
    };
    const run = await runJob(job, { cluster, signal: controller.signal });
    expect(sawAbort).toBe(true);
    expect(run.outcome).toBe('interrupted');
    expect(run.exitCode).toBe(143);
  });

  it('a job that throws fails with exit code 1 and the error in the last line', async () => {
    cluster = await startTestCluster();
    const run = await runJob({ name: 'thrower', run: () => Promise.reject(new Error('nope')) }, { cluster });
    expect(run).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(run.logs.at(-1)).toMatchObject({ level: 'error', outcome: 'failed', err: { type: 'Error', message: 'nope' } });
  });

  it('a result that is not JSON fails the run', async () => {
    cluster = await startTestCluster();
    const run = await runJob({ name: 'bigint', run: () => ({ n: 1n }) }, { cluster });
    expect(run).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(run.error?.message).toMatch(/not JSON-serialisable/);
  });
});

describe('connection reuse', () => {
  it('200 pages travel over a handful of connections', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(400) });
    const run = await runJob(listingJob(2), { cluster });
    expect(run.requests).toBe(200);
    expect(cluster.connections).toBeLessThanOrEqual(4);
  });
});

describe('runJob and the job loader', () => {
  it('takes a job loadJob returned, as it is: settings and declarations already resolved', async () => {
    const { loadJob } = await import('../../src/job-loader.js');
    const { ROOT } = await import('../support/cli.js');
    const loaded = await loadJob('needs-setting', `${ROOT}/test/fixtures/jobs`, { set: { TARGET_NAMESPACE: 'team-a' } });
    cluster = await startTestCluster({ objects: [configMap('x', 'team-a')] });
    const run = await runJob(loaded, { cluster });
    expect(run.outcome).toBe('succeeded');
    expect(run.result).toEqual({ count: 1, min: 2, namespace: 'team-a' });
  });
});
