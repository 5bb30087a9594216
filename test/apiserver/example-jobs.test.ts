// Each example job, run in-cluster style against a real kube-apiserver with a
// bound service-account token and exactly the RBAC `kubepoll manifests`
// generates for it (runJob's grantForRun), on the same fixtures as its own
// tests. The clock the jobs read is pinned where their logic needs it.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobDefinition } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runJob } from '../../src/testing/run-job.js';
import { eventually, useApiServer } from './support.js';

const server = useApiServer();
let cluster: ApiServerCluster;

beforeAll(async () => {
  await server().admin.seed('jobs/fixtures/*.yaml');
  cluster = await server().cluster({ namespace: 'kubepoll', serviceAccount: 'kubepoll-jobs' });
});
afterEach(() => {
  vi.useRealTimers();
});

/** The job module's definition, named as the CLI names it (after its file). */
async function exampleJob(name: string): Promise<JobDefinition> {
  const mod = (await import(`../../jobs/${name}.ts`)) as { default: JobDefinition };
  return { ...mod.default, name };
}

const pinClock = (iso: string) => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(iso));
};

describe('the example jobs against a real API server, with only their generated RBAC', () => {
  it('expiring-certificates reports the same certificates as on the fake', async () => {
    const job = await exampleJob('expiring-certificates');
    pinClock('2026-11-30T12:00:00Z'); // the fixtures' notAfter dates are around then
    const run = await runJob(job, { cluster, settings: { EXPIRY_THRESHOLD_DAYS: '14' } });
    expect(run.error?.message).toBeUndefined();
    expect(run.outcome).toBe('succeeded');
    expect(run.result).toEqual({
      checked: 4,
      notReady: ['monitoring/grafana-tls'],
      expired: ['legacy/legacy-tls'],
      expiring: ['shop/api-tls'],
      thresholdDays: 14,
    });
  });

  it('stale-backups reports stale schedules and failed backups and records a Warning Event on each', async () => {
    const job = await exampleJob('stale-backups');
    pinClock('2026-11-30T12:00:00Z');
    const run = await runJob(job, { cluster });
    expect(run.error?.message).toBeUndefined();
    expect(run.outcome).toBe('succeeded');
    expect(run.result).toEqual({
      schedulesChecked: 3,
      stale: ['hourly-db'],
      failed: ['hourly-db-20261130110000', 'manual-before-upgrade'],
    });
    vi.useRealTimers();
    const events = await server().admin.ok<{ items: Record<string, unknown>[] }>(
      'GET',
      '/apis/events.k8s.io/v1/namespaces/velero/events',
    );
    const recorded = events.items
      .map((e) => [(e.regarding as { name: string }).name, e.reason, e.type, e.reportingController])
      .sort();
    expect(recorded).toEqual([
      ['hourly-db', 'BackupStale', 'Warning', 'kubepoll.dev/stale-backups'],
      ['hourly-db-20261130110000', 'BackupFailed', 'Warning', 'kubepoll.dev/stale-backups'],
      ['manual-before-upgrade', 'BackupFailed', 'Warning', 'kubepoll.dev/stale-backups'],
    ]);
  });

  it('ttl-janitor deletes what outlived its ttl, lists metadata only, and leaves the rest', async () => {
    const job = await exampleJob('ttl-janitor');
    // A real server stamps creationTimestamp itself: run the janitor 25 hours after the runs were created.
    const runs = await server().admin.ok<{ items: { metadata: { creationTimestamp: string } }[] }>(
      'GET',
      '/apis/tekton.dev/v1/pipelineruns',
    );
    const created = Math.max(...runs.items.map((r) => Date.parse(r.metadata.creationTimestamp)));
    pinClock(new Date(created + 25 * 3_600_000).toISOString());
    const run = await runJob(job, { cluster });
    expect(run.error?.message).toBeUndefined();
    expect(run.outcome).toBe('succeeded');
    const result = run.result as { checked: number; deleted: string[]; invalid: string[] };
    expect(result.checked).toBe(5);
    expect([...result.deleted].sort()).toEqual(['ci/build-main-7f3a2', 'ci/build-pr-1234-x9k2q', 'release/release-v2-1-0-q7w8e']);
    expect(result.invalid).toEqual(['ci/debug-run-zz1']);
    vi.useRealTimers();
    const left = await server().admin.ok<{ items: { metadata: { namespace: string; name: string } }[] }>(
      'GET',
      '/apis/tekton.dev/v1/pipelineruns',
    );
    expect(left.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      'ci/debug-run-zz1',
      'ci/nightly-e2e-2c8d1',
    ]);
  });

  it('each run leaves no RBAC behind: the grant is removed after it', async () => {
    // RBAC is served from a cache: the removal is seen within moments.
    await eventually(
      async () =>
        !(await cluster.can({ verb: 'list', group: 'cert-manager.io', resource: 'certificates' })) &&
        !(await cluster.can({ verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: 'velero' })),
      'the granted RBAC is gone',
      10_000,
    );
  });
});
