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
afterEach(() => vi.useRealTimers());

it('reports certificates that expired, are not ready, or expire within the threshold', async () => {
  const run = await runJob(job, { cluster, settings: { EXPIRY_THRESHOLD_DAYS: '14' } });
  expect(run.outcome).toBe('succeeded');
  expect(run.result).toEqual({
    checked: 4,
    notReady: ['monitoring/grafana-tls'],
    expired: ['legacy/legacy-tls'],
    expiring: ['shop/api-tls'],
    thresholdDays: 14,
  });
  // An expired certificate says so: it is not "expiring soon".
  expect(run.logs.filter((l) => l.msg === 'certificate expires soon').map((l) => l.certificate)).toEqual(['shop/api-tls']);
  expect(run.logs.filter((l) => l.msg === 'certificate expired').map((l) => l.certificate)).toEqual(['legacy/legacy-tls']);
});

it('a shorter threshold leaves out the certificate that expires in two days', async () => {
  const run = await runJob(job, { cluster, settings: { EXPIRY_THRESHOLD_DAYS: '1' } });
  expect(run.result).toMatchObject({ expiring: [], expired: ['legacy/legacy-tls'] });
});

it('the default threshold is 14 days', async () => {
  const run = await runJob(job, { cluster });
  expect(run.result).toMatchObject({ thresholdDays: 14, expiring: ['shop/api-tls'] });
});

it('a threshold that is not a number fails the run with a clear message', async () => {
  const run = await runJob(job, { cluster, settings: { EXPIRY_THRESHOLD_DAYS: 'two weeks' } });
  expect(run.outcome).toBe('failed');
  expect(run.error?.message).toBe('EXPIRY_THRESHOLD_DAYS must be a number of days, got "two weeks"');
});

it('only needs what it declares: list certificates in every namespace', async () => {
  // runJob grants exactly the job's declarations, as the generated RBAC would.
  const run = await runJob(job, { cluster });
  expect(run.outcome).toBe('succeeded');
  expect(run.requests).toBe(1);
});
