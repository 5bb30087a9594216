// The built CLI against the fake cluster: what an attacker's server and a careless job or user found (issue 11), and the safety rails.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { configMap, widgetObjects } from '../support/cluster.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');
const MISBEHAVING = path.join(ROOT, 'test', 'fixtures', 'misbehaving-jobs');
const lastLine = (r: { lines: Record<string, unknown>[] }) => r.lines.at(-1) as Record<string, unknown>;

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const fewConfigMaps = () => Array.from({ length: 5 }, (_, i) => configMap(`cm-${i}`, 'team-a'));

describe('the run finished line', () => {
  it.each(['error', 'fatal', 'silent'])('is written at --log-level %s: it is the result, not chatter', async (level) => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS, '--log-level', level], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(1);
    expect(lastLine(result)).toMatchObject({ msg: 'run finished', outcome: 'succeeded', result: { count: 5 } });
  });

  it('says what happened when the job calls process.exit: failed, exit 1, the job named', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const result = await runCli(['run', 'exits', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(1);
    expect(lastLine(result)).toMatchObject({
      msg: 'run finished',
      job: 'exits',
      outcome: 'failed',
      err: { type: 'JobExitError', message: expect.stringMatching(/^the job called process\.exit\(0\) during its run/) },
    });
  });
});

describe('a job that misbehaves on its way out', () => {
  it('an abort listener that throws still ends the run as a timeout at its deadline (exit 4), with the run finished line', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const result = await runCli(['run', 'abort-throws', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(4);
    expect(lastLine(result)).toMatchObject({ msg: 'run finished', outcome: 'timeout' });
  });

  it("a job that catches the write budget's error (forEach collecting failures) still ends with exit 5", async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', 'budget-collect', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(5);
    expect(lastLine(result)).toMatchObject({
      outcome: 'failed',
      err: { type: 'SafetyLimitError' },
      writeBudget: { exceeded: true },
    });
    expect(cluster.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });
});

describe('kubepoll schedule survives any one job', () => {
  it('a timer that throws, an unhandled rejection and process.exit each fail their own run; the steady job goes on', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    let steady = 0;
    const result = await runCli(['schedule', '--jobs', MISBEHAVING], {
      env: cluster.inClusterEnv,
      onStdoutLine: (line, child) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'run finished' && entry.job === 'steady' && entry.outcome === 'succeeded' && ++steady === 3) {
          child.kill('SIGTERM');
        }
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const finished = (job: string) => result.lines.filter((l) => l.msg === 'run finished' && l.job === job);
    const failure = (job: string) => (finished(job)[0]?.err as { message?: string } | undefined)?.message;
    expect(finished('timer-throws').length).toBeGreaterThanOrEqual(1);
    expect(finished('timer-throws')[0]).toMatchObject({ outcome: 'failed' });
    expect(failure('timer-throws')).toBe('thrown in a timer');
    expect(finished('rejects')[0]).toMatchObject({ outcome: 'failed' });
    expect(failure('rejects')).toBe('nobody handles me');
    expect(finished('exits')[0]).toMatchObject({ outcome: 'failed', err: { type: 'JobExitError' } });
    expect(finished('steady').filter((l) => l.outcome === 'succeeded').length).toBeGreaterThanOrEqual(3);
    // A module's own timer (outside any run) is logged; the scheduler goes on.
    expect(result.lines.find((l) => String(l.msg).startsWith('an error outside any run'))).toMatchObject({
      err: { message: 'thrown by a timer the module started at load' },
    });
    expect(result.lines.at(-1)?.msg).toBe('scheduler stopped');
  });

  it('a busy --health-port is a one-line error, exit 2', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['schedule', '--jobs', MISBEHAVING, '--health-port', String(port)], {
        env: cluster.inClusterEnv,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`kubepoll: --health-port ${port} is already in use: choose another port\n`);
    } finally {
      blocker.close();
    }
  });
});

describe('CLI conventions', () => {
  it.each(['run', 'schedule', 'jobs', 'manifests', 'check', 'types', 'init', 'dev'])(
    'kubepoll %s --help prints its usage and exits 0',
    async (command) => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(new RegExp(`^Usage: kubepoll ${command}`));
    },
  );

  it('-n is --namespace', async () => {
    cluster = await startTestCluster({ objects: [...fewConfigMaps(), configMap('other', 'team-b')], namespace: 'team-a' });
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS, '-n', 'team-b'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result).result).toEqual({ count: 1 });
  });

  it('on a Node older than engines.node: one line naming both versions, exit 2 (skipped when no old node is on the PATH)', () => {
    let version: string;
    try {
      version = execFileSync('node', ['--version'], { env: { PATH: process.env.PATH } })
        .toString()
        .trim();
    } catch {
      console.warn('no node on the PATH: the old-Node check is not exercised');
      return;
    }
    if (Number(version.slice(1).split('.')[0]) >= 22) {
      console.warn(`the PATH's node is ${version}: the old-Node check is not exercised`);
      return;
    }
    const out = (() => {
      try {
        execFileSync('node', [BIN, 'jobs'], { env: { PATH: process.env.PATH }, stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (error) {
        const e = error as { status: number; stderr: Buffer };
        return { code: e.status, stderr: e.stderr.toString() };
      }
    })();
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      `kubepoll: kubepoll needs Node.js >=22, but this is Node.js ${version}; install a newer Node (24 LTS recommended) and run it again\n`,
    );
  });
});

describe('settings', () => {
  it('a missing required setting is exit 2 naming it; --set or the environment gives it, and it reaches ctx.settings', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const missing = await runCli(['run', 'needs-setting', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /job "needs-setting" needs setting TARGET_NAMESPACE \(where to look\): set the environment variable or pass --set NAME=VALUE\n$/,
    );
    const set = await runCli(
      ['run', 'needs-setting', '--jobs', JOBS, '--set', 'TARGET_NAMESPACE=team-a', '--set', 'MIN_COUNT=7'],
      {
        env: cluster.inClusterEnv,
      },
    );
    expect(set.code).toBe(0);
    expect(lastLine(set).result).toEqual({ count: 5, min: 7, namespace: 'team-a' });
    const env = await runCli(['run', 'needs-setting', '--jobs', JOBS], {
      env: { ...cluster.inClusterEnv, TARGET_NAMESPACE: 'team-a' },
    });
    expect(lastLine(env).result).toEqual({ count: 5, min: 2, namespace: 'team-a' });
  });

  it('a --set for a setting the job does not declare is a typo: exit 2, naming what it declares', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(
      ['run', 'needs-setting', '--jobs', JOBS, '--set', 'TARGET_NAMESPACE=team-a', '--set', 'MIN_CONT=3'],
      {
        env: cluster.inClusterEnv,
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kubepoll: --set MIN_CONT: the job does not declare that setting (MIN_COUNT, TARGET_NAMESPACE)\n');
  });

  it('a timeout longer than Node timers can hold is refused, not fired at once', async () => {
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS, '--timeout', '2200000']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kubepoll: --timeout must be at most 2147483 seconds (about 24 days), got "2200000"\n');
  });

  it("kubepoll jobs lists each job's settings", async () => {
    const result = await runCli(['jobs', '--jobs', JOBS, '-o', 'json'], { env: { MIN_COUNT: '9' } });
    const row = (JSON.parse(result.stdout) as { name: string; settings?: unknown[] }[]).find((r) => r.name === 'needs-setting');
    expect(row?.settings).toEqual([
      { name: 'TARGET_NAMESPACE', description: 'where to look', required: true },
      { name: 'MIN_COUNT', description: 'warn below this many', default: '2', value: '9' },
    ]);
  });
});

describe('safety rails', () => {
  it('the write over limits.writes is not sent; the run ends with exit 5', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', 'deletes-many', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(5);
    expect(lastLine(result)).toMatchObject({
      outcome: 'failed',
      writes: 2,
      writeBudget: { limit: 2, writes: 2, exceeded: true },
      err: { type: 'SafetyLimitError', code: 'SAFETY_LIMIT' },
    });
    expect(cluster.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
    expect(cluster.objects({ group: '', version: 'v1', plural: 'configmaps' })).toHaveLength(3);
  });

  it('a dry run says how many writes the real run would make and that the budget would stop it', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', 'deletes-many', '--jobs', JOBS, '--dry-run'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result)).toMatchObject({
      msg: 'run finished (the write budget would stop the real run)',
      dryRun: true,
      writes: 5,
      writeBudget: { limit: 2, writes: 5, exceeded: true },
      result: { deleted: 5 },
    });
    expect(cluster.objects({ group: '', version: 'v1', plural: 'configmaps' })).toHaveLength(5);
  });

  it('--qps and --burst throttle the run; the wait shows in the run finished line', async () => {
    cluster = await startTestCluster({ objects: fewConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', 'three-gets', '--jobs', JOBS, '--qps', '20', '--burst', '1'], {
      env: cluster.inClusterEnv,
    });
    expect(result.code).toBe(0);
    expect(lastLine(result).throttledMs).toBeGreaterThan(0);
    const free = await runCli(['run', 'three-gets', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(lastLine(free).throttledMs).toBe(0);
  });
});

describe('Indexed-Job shards', () => {
  it('three processes with JOB_COMPLETION_INDEX 0..2 see every object once in total', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(50) });
    const c = cluster;
    const runs = await Promise.all(
      [0, 1, 2].map((index) =>
        runCli(['run', 'sharded', '--jobs', JOBS], {
          env: { ...c.inClusterEnv, JOB_COMPLETION_INDEX: String(index), KUBEPOLL_SHARDS: '3' },
        }),
      ),
    );
    const results = runs.map((r) => lastLine(r).result as { shard: { index: number; count: number }; names: string[] });
    expect(results.map((r) => r.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    const all = results.flatMap((r) => r.names);
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(50);
    expect(results.every((r) => r.names.length > 0)).toBe(true);
  });

  it('a JOB_COMPLETION_INDEX outside 0..KUBEPOLL_SHARDS-1 is a configuration error', async () => {
    cluster = await startTestCluster({ objects: widgetObjects(3) });
    const result = await runCli(['run', 'sharded', '--jobs', JOBS], {
      env: { ...cluster.inClusterEnv, JOB_COMPLETION_INDEX: '3', KUBEPOLL_SHARDS: '3' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'kubepoll: JOB_COMPLETION_INDEX must be a whole number from 0 to 2 (KUBEPOLL_SHARDS=3), got "3"\n',
    );
  });
});

describe('TLS and the CA', () => {
  it('an empty ca.crt in cluster fails closed: exit 2 before any request, and the token is never sent', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(cluster.serviceAccountDir, '..data', 'ca.crt'), '');
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^kubepoll: in-cluster config: CA file .*ca\.crt holds no certificate; refusing to send the service-account token without verifying the server\n$/,
    );
    expect(cluster.requests).toHaveLength(0);
  });
});
