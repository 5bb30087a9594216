// Tests for the expiring-certificates job, written the way the README tells users to:
// a fake cluster seeded from YAML fixtures (the CRD included), and the job run against it.
import { runJob, startTestCluster, type TestCluster } from 'kubepoll/testing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import job from './expiring-certificates.ts';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ fixtures: 'jobs/fixtures/cert-manager-*.yaml' });
});
afterAll(() => cluster.stop());
// The fixtures are dated around 2026-11-30: pin the clock the job reads.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
  delete process.env.EXPIRY_THRESHOLD_DAYS;
});

it('reports certificates that are not ready or expire within the threshold', async () => {
  process.env.EXPIRY_THRESHOLD_DAYS = '14';
  const run = await runJob(job, { cluster });
  expect(run.outcome).toBe('succeeded');
  expect(run.result).toEqual({
    checked: 4,
    notReady: ['monitoring/grafana-tls'],
    expiring: ['legacy/legacy-tls', 'shop/api-tls'],
    thresholdDays: 14,
  });
  expect(run.logs.filter((l) => l.msg === 'certificate expires soon')).toHaveLength(2);
});

it('a shorter threshold leaves out the certificate that expires in two days', async () => {
  process.env.EXPIRY_THRESHOLD_DAYS = '1';
  const run = await runJob(job, { cluster });
  expect(run.result).toMatchObject({ expiring: ['legacy/legacy-tls'] });
});

it('only needs what it declares: list certificates in every namespace', async () => {
  // runJob grants exactly the job's declarations, as the generated RBAC would.
  const run = await runJob(job, { cluster });
  expect(run.outcome).toBe('succeeded');
  expect(run.requests).toBe(1);
});
