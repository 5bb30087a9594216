// `kubepoll check` against a real API server's SelfSubjectAccessReviews: in a
// pod's place (in-cluster env, bound token) and from an admin's kubeconfig
// with `--as system:serviceaccount:NS:NAME` (impersonation).
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runCli } from '../support/cli.js';
import { applyGeneratedAccess, eventually, generatedManifests, uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
let namespace: string;
let certificatesAccount: ApiServerCluster;

interface CheckReport {
  ok: boolean;
  permissions: { job: string; verb: string; resource: string; namespace: string; status: string }[];
}

beforeAll(async () => {
  namespace = uniqueNamespace('check');
  await server().admin.installCrds('jobs/fixtures/*crd*.yaml');
  await server().createNamespace('velero');
  certificatesAccount = await server().cluster({ namespace, serviceAccount: 'kubepoll-expiring-certificates' });
  await server().cluster({ namespace, serviceAccount: 'kubepoll-stale-backups' });
  // Exactly what the manifests grant, for two of the three example jobs (ttl-janitor gets nothing).
  await applyGeneratedAccess(server(), await generatedManifests(['expiring-certificates', 'stale-backups'], namespace));
  await eventually(
    () => certificatesAccount.can({ verb: 'list', group: 'cert-manager.io', resource: 'certificates' }),
    'the generated ClusterRole is in force',
  );
});

async function check(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: CheckReport }> {
  const result = await runCli(['check', ...args, '--output', 'json'], { env });
  return { code: result.code, report: JSON.parse(result.stdout) as CheckReport };
}

describe('kubepoll check in the pod (bound token)', () => {
  it('the job it was granted: every permission allowed, exit 0', async () => {
    const { code, report } = await check(['expiring-certificates'], certificatesAccount.inClusterEnv);
    expect(report.permissions).toEqual([
      { job: 'expiring-certificates', verb: 'list', resource: 'certificates.cert-manager.io', namespace: '*', status: 'allowed' },
    ]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  });

  it('a job it was not granted: missing, exit 3', async () => {
    const { code, report } = await check(['ttl-janitor'], certificatesAccount.inClusterEnv);
    expect(report.permissions.map((p) => [p.verb, p.status])).toEqual([
      ['list', 'missing'],
      ['delete', 'missing'],
    ]);
    expect(code).toBe(3);
  });
});

describe('kubepoll check --as system:serviceaccount:NS:NAME from an admin kubeconfig', () => {
  const as = () => ['--kubeconfig', server().kubeconfigPath, '--namespace', namespace];

  it("the account's own job: allowed, exit 0", async () => {
    const { code, report } = await check([
      'stale-backups',
      ...as(),
      '--as',
      `system:serviceaccount:${namespace}:kubepoll-stale-backups`,
    ]);
    expect(report.permissions.length).toBeGreaterThan(0);
    expect(report.permissions.every((p) => p.status === 'allowed')).toBe(true);
    expect(code).toBe(0);
  });

  it("another job's permissions: missing for that account, exit 3", async () => {
    const { code, report } = await check([
      'expiring-certificates',
      ...as(),
      '--as',
      `system:serviceaccount:${namespace}:kubepoll-stale-backups`,
    ]);
    expect(report.permissions.map((p) => p.status)).toEqual(['missing']);
    expect(code).toBe(3);
  });
});
