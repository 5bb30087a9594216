// Tests for ttl-janitor, written the way the README tells users to.
import { runJob, startTestCluster, type TestCluster } from 'kubepoll/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import job, { parseTtl } from './ttl-janitor.ts';

const pipelineRuns = { group: 'tekton.dev', version: 'v1', plural: 'pipelineruns' };
const names = (c: TestCluster) => c.objects(pipelineRuns).map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
let cluster: TestCluster;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
  cluster = await startTestCluster({ fixtures: 'jobs/fixtures/tekton-*.yaml' });
});
afterEach(async () => {
  vi.useRealTimers();
  await cluster.stop();
});

describe('ttl-janitor', () => {
  it('deletes what has outlived its kubepoll.io/ttl, and nothing without one', async () => {
    const run = await runJob(job, { cluster });
    expect(run.outcome).toBe('succeeded');
    expect(run.result).toEqual({
      checked: 5,
      deleted: ['ci/build-main-7f3a2', 'release/release-v2-1-0-q7w8e'],
      invalid: ['ci/debug-run-zz1'],
      expiredLeft: 0,
      dryRun: false,
    });
    expect(names(cluster)).toEqual(['ci/build-pr-1234-x9k2q', 'ci/debug-run-zz1', 'ci/nightly-e2e-2c8d1']);
  });

  it('lists metadata only', async () => {
    const run = await runJob(job, { cluster });
    expect(run.outcome).toBe('succeeded');
    const listed = cluster.requests.filter((r) => r.method === 'GET' && r.path === '/apis/tekton.dev/v1/pipelineruns');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.accept).toMatch(/as=PartialObjectMetadataList/);
  });

  it('under dry run deletes nothing and lists what it would delete', async () => {
    const run = await runJob(job, { cluster, dryRun: true });
    expect(run.result).toMatchObject({ deleted: ['ci/build-main-7f3a2', 'release/release-v2-1-0-q7w8e'], dryRun: true });
    expect(names(cluster)).toHaveLength(5);
    expect(run.logs.filter((l) => l.msg === 'expired; would delete')).toHaveLength(2);
  });

  it('stops at JANITOR_MAX_DELETIONS and leaves the rest for the next run', async () => {
    const run = await runJob(job, { cluster, settings: { JANITOR_MAX_DELETIONS: '1' } });
    expect(run.result).toMatchObject({ deleted: ['ci/build-main-7f3a2'], expiredLeft: 1 });
    expect(names(cluster)).toContain('release/release-v2-1-0-q7w8e');
  });

  it('JANITOR_RESOURCE picks the resource, and what it may delete follows it', async () => {
    const run = await runJob(job, { cluster, settings: { JANITOR_RESOURCE: 'taskruns.tekton.dev/v1' } });
    // No CRD serves taskruns here: an unknown resource, a permanent error (exit 3), not "nothing to do".
    expect(run.exitCode).toBe(3);
    expect(names(cluster)).toHaveLength(5);
  });

  it('reads TTLs', () => {
    expect(parseTtl('30m')).toBe(30 * 60_000);
    expect(parseTtl('1d12h')).toBe(36 * 3_600_000);
    expect(parseTtl('one day')).toBeUndefined();
    expect(parseTtl('10')).toBeUndefined();
  });
});
