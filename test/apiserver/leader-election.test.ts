// Two `kubepoll schedule --leader-elect` processes against a real API server, with the RBAC
// `kubepoll manifests --mode schedule --replicas 2` generates: exactly one leads through a real
// coordination.k8s.io/v1 Lease, and when it dies the other takes over.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { ROOT, runCli } from '../support/cli.js';
import { twoLeaderElectedReplicas } from '../support/leader-replicas.js';
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
    await twoLeaderElectedReplicas(SCHEDULED, scheduler.inClusterEnv);
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
