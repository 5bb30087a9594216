// Tests for stale-backups, written the way the README tells users to.
import { runJob, startTestCluster, type TestCluster } from 'kubepoll/testing';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import job from './stale-backups.ts';

const events = { group: '', version: 'v1', plural: 'events' };
let cluster: TestCluster;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
  cluster = await startTestCluster({ fixtures: 'jobs/fixtures/velero-*.yaml' });
});
afterEach(async () => {
  vi.useRealTimers();
  delete process.env.MAX_BACKUP_AGE_HOURS;
  await cluster.stop();
});

it('reports stale schedules and failed backups, with a Warning Event on each', async () => {
  const run = await runJob(job, { cluster });
  expect(run.outcome).toBe('succeeded');
  expect(run.result).toEqual({
    schedulesChecked: 3,
    stale: ['hourly-db'],
    failed: ['hourly-db-20261130110000', 'manual-before-upgrade'],
  });
  const recorded = cluster.objects(events).map((e) => [e.involvedObject, e.reason, e.type]);
  expect(recorded).toEqual(
    expect.arrayContaining([
      [expect.objectContaining({ kind: 'Schedule', name: 'hourly-db', namespace: 'velero' }), 'BackupStale', 'Warning'],
      [expect.objectContaining({ kind: 'Backup', name: 'hourly-db-20261130110000' }), 'BackupFailed', 'Warning'],
      [expect.objectContaining({ kind: 'Backup', name: 'manual-before-upgrade' }), 'BackupFailed', 'Warning'],
    ]),
  );
  expect(recorded).toHaveLength(3);
});

it('records each problem once a day, however often it runs', async () => {
  await runJob(job, { cluster });
  const again = await runJob(job, { cluster });
  expect(again.outcome).toBe('succeeded');
  expect(cluster.objects(events)).toHaveLength(3);
});

it('under dry run records nothing but says what it would record', async () => {
  const run = await runJob(job, { cluster, dryRun: true });
  expect(run.outcome).toBe('succeeded');
  expect(cluster.objects(events)).toHaveLength(0);
  expect(run.logs.filter((l) => String(l.msg).startsWith('would create events'))).toHaveLength(3);
});

it('a looser MAX_BACKUP_AGE_HOURS makes the hourly schedule healthy again', async () => {
  process.env.MAX_BACKUP_AGE_HOURS = '200';
  const run = await runJob(job, { cluster });
  expect(run.result).toMatchObject({ stale: [] });
});
