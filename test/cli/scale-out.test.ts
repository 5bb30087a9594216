// Metrics from CronJob runs (a Pushgateway) and a leader-elected scheduler: the built CLI against the fake cluster.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ROOT, runCli } from '../support/cli.js';
import { configMap } from '../support/cluster.js';
import { twoLeaderElectedReplicas } from '../support/leader-replicas.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');
const SCHEDULED = path.join(ROOT, 'test', 'fixtures', 'scheduled-jobs');

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** A Pushgateway stand-in: records each push's method, path and body. */
async function pushgateway() {
  const pushes: { method: string; path: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      pushes.push({ method: req.method ?? '', path: req.url ?? '', body });
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, pushes, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('--pushgateway', () => {
  it('pushes the run metrics grouped by job; a failed run leaves the last success time alone', async () => {
    cluster = await startTestCluster({ objects: [configMap('a', 'team-a')], namespace: 'team-a' });
    const gateway = await pushgateway();
    try {
      const ok = await runCli(['run', 'plain-object', '--jobs', JOBS, '--pushgateway', gateway.url], {
        env: cluster.inClusterEnv,
      });
      expect(ok.code).toBe(0);
      const failed = await runCli(['run', 'throws', '--jobs', JOBS], {
        env: { ...cluster.inClusterEnv, KUBEPOLL_PUSHGATEWAY: gateway.url },
      });
      expect(failed.code).toBe(1);
      expect(gateway.pushes.map((p) => [p.method, p.path])).toEqual([
        ['POST', '/metrics/job/plain-object'],
        ['POST', '/metrics/job/throws'],
      ]);
      const [first, second] = gateway.pushes.map((p) => p.body);
      expect(first).toMatch(/^kubepoll_last_success_timestamp_seconds \d{10}$/m);
      expect(first).toMatch(/^kubepoll_last_run_outcome\{outcome="succeeded"\} 1$/m);
      expect(first).toMatch(/^kubepoll_last_run_requests 1$/m);
      expect(second).not.toContain('kubepoll_last_success_timestamp_seconds');
      expect(second).toMatch(/^kubepoll_last_run_outcome\{outcome="failed"\} 1$/m);
      expect(second).toMatch(/^kubepoll_last_run_exit_code 1$/m);
    } finally {
      await gateway.close();
    }
  });

  it('a Pushgateway that is down is a warning, not a failed run', async () => {
    cluster = await startTestCluster({ objects: [configMap('a', 'team-a')], namespace: 'team-a' });
    const result = await runCli(
      ['run', 'plain-object', '--jobs', JOBS, '--pushgateway', 'http://pusher:gateway-password-123@127.0.0.1:1'],
      { env: cluster.inClusterEnv },
    );
    expect(result.code).toBe(0);
    expect(result.lines.find((l) => l.msg === 'could not push the run metrics to the Pushgateway')).toMatchObject({
      pushgateway: 'http://127.0.0.1:1/',
    });
    // The URL's password is a credential: in no line, not even inside an error message.
    expect(result.stdout + result.stderr).not.toContain('gateway-password-123');
  });
});

describe('kubepoll schedule --leader-elect', () => {
  it('two replicas: only the leader runs jobs; when it dies the other takes over', async () => {
    cluster = await startTestCluster({ objects: [configMap('a', 'team-a')], namespace: 'team-a' });
    const c = cluster;
    await twoLeaderElectedReplicas(SCHEDULED, c.inClusterEnv);
    const lease = c.objects({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases' });
    expect(lease).toHaveLength(1);
    expect(lease[0]?.metadata?.name).toBe('kubepoll-scheduler');
    // The survivor released the Lease when it stopped (SIGTERM), so a successor need not wait out the lease.
    expect((lease[0]?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBe('');
  });
});
