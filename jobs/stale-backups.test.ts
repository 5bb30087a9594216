// Tests for stale-backups, written the way the README tells users to.
import { runJob, startTestCluster, type TestCluster } from 'kubepoll/testing';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import job from './stale-backups.ts';

const events = { group: 'events.k8s.io', version: 'v1', plural: 'events' };
let cluster: TestCluster;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
  cluster = await startTestCluster({ fixtures: 'jobs/fixtures/velero-*.yaml' });
});
afterEach(async () => {
  vi.useRealTimers();
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
  const recorded = cluster.objects(events).map((e) => [e.regarding, e.reason, e.type, e.reportingController]);
  expect(recorded).toEqual(
    expect.arrayContaining([
      [
        expect.objectContaining({ kind: 'Schedule', name: 'hourly-db', namespace: 'velero' }),
        'BackupStale',
        'Warning',
        'kubepoll.dev/stale-backups',
      ],
      [
        expect.objectContaining({ kind: 'Backup', name: 'hourly-db-20261130110000' }),
        'BackupFailed',
        'Warning',
        'kubepoll.dev/stale-backups',
      ],
      [
        expect.objectContaining({ kind: 'Backup', name: 'manual-before-upgrade' }),
        'BackupFailed',
        'Warning',
        'kubepoll.dev/stale-backups',
      ],
    ]),
  );
  expect(recorded).toHaveLength(3);
});

it('under dry run records nothing but says what it would record', async () => {
  const run = await runJob(job, { cluster, dryRun: true });
  expect(run.outcome).toBe('succeeded');
  expect(cluster.objects(events)).toHaveLength(0);
  expect(run.logs.filter((l) => String(l.msg).startsWith('would record event on events.events.k8s.io'))).toHaveLength(3);
  expect(run.writes).toBe(3);
});

it('a looser MAX_BACKUP_AGE_HOURS makes the hourly schedule healthy again', async () => {
  const run = await runJob(job, { cluster, settings: { MAX_BACKUP_AGE_HOURS: '200' } });
  expect(run.result).toMatchObject({ stale: [] });
});

it('VELERO_NAMESPACE moves what it reads and what it may read: the default namespace is then out of bounds', async () => {
  const run = await runJob(job, { cluster, settings: { VELERO_NAMESPACE: 'backup-system' } });
  // Nothing there: no schedules, no events, and the run's declarations no longer include "velero".
  expect(run.outcome).toBe('succeeded');
  expect(run.result).toEqual({ schedulesChecked: 0, stale: [], failed: [] });
});
