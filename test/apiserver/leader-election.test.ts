// Two `kubepoll schedule --leader-elect` processes against a real API server, with the RBAC
// `kubepoll manifests --mode schedule --replicas 2` generates: exactly one leads through a real
// coordination.k8s.io/v1 Lease, and when it dies the other takes over.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { ROOT, runCli } from '../support/cli.js';
import { applyGeneratedAccess, eventually, uniqueNamespace, useApiServer } from './support.js';

const SCHEDULED = path.join(ROOT, 'test', 'fixtures', 'scheduled-jobs');
const server = useApiServer();
let namespace: string;
let scheduler: ApiServerCluster;

beforeAll(async () => {
  namespace = uniqueNamespace('leader');
  scheduler = await server().cluster({ namespace, serviceAccount: 'kubepoll-scheduler' });
  const generated = await runCli([
    'manifests',
    'every-second',
    '--jobs',
    SCHEDULED,
    '--image',
    'ghcr.io/kubepoll/kubepoll:0.1.0',
    '--namespace',
    namespace,
    '--mode',
    'schedule',
    '--replicas',
    '2',
  ]);
  expect(generated.code).toBe(0);
  const objects = parseAllDocuments(generated.stdout).map((d) => d.toJS() as KubeObject);
  await applyGeneratedAccess(server(), objects);
  await eventually(
    () =>
      scheduler.can({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace, name: 'kubepoll-scheduler' }),
    'the generated Role is in force',
  );
});

describe('leader election on the real API server', () => {
  it('the generated Role grants the Lease verbs on that one Lease and nothing more', async () => {
    const lease = { group: 'coordination.k8s.io', resource: 'leases', namespace };
    expect(await scheduler.can({ ...lease, verb: 'get', name: 'kubepoll-scheduler' })).toBe(true);
    expect(await scheduler.can({ ...lease, verb: 'update', name: 'kubepoll-scheduler' })).toBe(true);
    expect(await scheduler.can({ ...lease, verb: 'create' })).toBe(true);
    expect(await scheduler.can({ ...lease, verb: 'update', name: 'someone-elses-lease' })).toBe(false);
    expect(await scheduler.can({ ...lease, verb: 'delete', name: 'kubepoll-scheduler' })).toBe(false);
    expect(await scheduler.can({ ...lease, verb: 'list' })).toBe(false);
  });

  it('two replicas: only the leader runs jobs; when it dies the other takes over the Lease', async () => {
    const args = [
      'schedule',
      '--jobs',
      SCHEDULED,
      '--leader-elect',
      '--lease-duration',
      '3',
      '--renew-deadline',
      '2',
      '--retry-period',
      '1',
    ];
    const events: { who: string; msg: string; at: number }[] = [];
    let killedAt = 0;
    const replica = (who: string) =>
      runCli(args, {
        env: { ...scheduler.inClusterEnv, POD_NAME: who },
        onStdoutLine: (line, child) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === 'became the leader' || entry.msg === 'run finished')
            events.push({ who, msg: entry.msg, at: Date.now() });
          if (entry.msg !== 'run finished') return;
          const runs = events.filter((e) => e.who === who && e.msg === 'run finished').length;
          if (runs === 2 && killedAt === 0) {
            killedAt = Date.now();
            child.kill('SIGKILL'); // a crash: the Lease is not released
          } else if (runs === 2 && killedAt > 0) child.kill('SIGTERM');
        },
      });
    const [a, b] = await Promise.all([replica('a'), replica('b')]);
    const leaders = events.filter((e) => e.msg === 'became the leader');
    expect(leaders.map((e) => e.who).sort()).toEqual(['a', 'b']);
    const [first, second] = leaders;
    const before = events.filter((e) => e.msg === 'run finished' && e.at < (second?.at ?? 0));
    expect(new Set(before.map((e) => e.who))).toEqual(new Set([first?.who]));
    expect(second?.at ?? 0).toBeGreaterThan(killedAt);
    expect([a.code, b.code].sort()).toEqual([0, null]);
    // The real Lease: the survivor released it when it stopped; one holder change (the takeover) was recorded.
    const response = await server().admin.request(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/kubepoll-scheduler`,
    );
    expect(response.status).toBe(200);
    const spec = (response.json() as { spec: { holderIdentity?: string; leaseTransitions?: number } }).spec;
    expect(spec.holderIdentity ?? '').toBe('');
    expect(spec.leaseTransitions).toBeGreaterThanOrEqual(1);
  });
});
