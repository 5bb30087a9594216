import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ROOT, runCli } from '../support/cli.js';
import { configMap } from '../support/cluster.js';

const SCHEDULED = path.join(ROOT, 'test', 'fixtures', 'scheduled-jobs');
const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('kubepoll jobs', () => {
  it('lists schedules, zones, resources and the next three runs as JSON', async () => {
    const result = await runCli(['jobs', '--jobs', path.join(ROOT, 'test', 'fixtures', 'six-hourly'), '--output', 'json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    const row = rows.find((r) => r.name === 'six-hourly');
    expect(row).toMatchObject({
      schedule: '0 */6 * * *',
      timeZone: 'Etc/UTC',
      resources: ['certificates.cert-manager.io [list] (all namespaces)'],
    });
    const next = ((row?.nextRuns ?? []) as string[]).map((t) => Date.parse(t));
    expect(next).toHaveLength(3);
    expect(next[1] as number).toBe((next[0] as number) + 6 * 3600_000);
    expect(new Date(next[0] as number).getUTCHours() % 6).toBe(0);
  });

  it('lists invalid modules with their errors and exits 2', async () => {
    const result = await runCli(['jobs', '--jobs', JOBS]);
    expect(result.code).toBe(2);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^JOB\s+SCHEDULE\s+TIME ZONE\s+NEXT RUNS\s+SETTINGS\s+RESOURCES$/);
    expect(lines.find((l) => l.startsWith('invalid '))).toMatch(/INVALID\s+.*invalid job: unknown field "colour"/);
    expect(lines.find((l) => l.startsWith('typed-job '))).toMatch(/\*\/5 \* \* \* \*\s+Etc\/UTC\s+\d{4}-/);
  });
});

describe('kubepoll schedule', () => {
  it('runs a job every second with fresh config per run, rides a token rotation, serves health and metrics, exits 0 on SIGTERM', async () => {
    cluster = await startTestCluster({ objects: [configMap('a', 'team-a'), configMap('b', 'team-a')], namespace: 'team-a' });
    const c = cluster;
    let port = 0;
    let finished = 0;
    let rotatedAfter = -1;
    let health: { status: number; metrics: string } | undefined;
    const result = await runCli(['schedule', '--jobs', SCHEDULED, '--health-port', '0'], {
      env: cluster.inClusterEnv,
      onStdoutLine: (line, child) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'health and metrics server listening') port = entry.port as number;
        if (entry.msg !== 'run finished') return;
        finished++;
        if (finished === 2) {
          rotatedAfter = c.requests.length;
          void c.rotateToken();
        }
        if (finished === 4) {
          void (async () => {
            const healthz = await request(`http://127.0.0.1:${port}/healthz`);
            await healthz.body.text();
            const metrics = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
            health = { status: healthz.statusCode, metrics };
            child.kill('SIGTERM');
          })();
        }
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const runs = result.lines.filter((l) => l.msg === 'run finished');
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.every((r) => r.outcome === 'succeeded' || r.outcome === 'interrupted')).toBe(true);
    expect(runs.slice(0, 4).every((r) => r.outcome === 'succeeded' && (r.result as { count: number }).count === 2)).toBe(true);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    // After the rotation no request was refused: every run read the current token afresh.
    expect(rotatedAfter).toBeGreaterThan(0);
    expect(cluster.requests.length).toBeGreaterThan(rotatedAfter + 1);
    expect(cluster.requests.every((r) => r.status === 200)).toBe(true);
    expect(health?.status).toBe(200);
    expect(health?.metrics).toMatch(/kubepoll_runs_total\{job="every-second",outcome="succeeded"\} [3-9]/);
    expect(health?.metrics).toMatch(/kubepoll_last_success_timestamp_seconds\{job="every-second"\} \d{10}/);
    expect(health?.metrics).toContain('kubepoll_api_requests_total{job="every-second"}');
    expect(health?.metrics).toContain('kubepoll_run_duration_seconds_bucket');
    // The process's own metrics, so a job that leaks in a long-running scheduler shows.
    expect(health?.metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(health?.metrics).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(health?.metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(result.lines.at(-1)?.msg).toBe('scheduler stopped');
  });

  it('exit 2 when a named job has no schedule', async () => {
    const result = await runCli(['schedule', 'one-off', '--jobs', SCHEDULED]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kubepoll: job "one-off" has no schedule; run it once with kubepoll run\n');
  });

  it('exit 2 without cluster config, before scheduling anything', async () => {
    const result = await runCli(['schedule', '--jobs', SCHEDULED]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kubepoll: no cluster config found/);
  });
});
