import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenExpiry } from '../../src/command-check.js';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ROOT, runCli } from '../support/cli.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');
const writerDeclaration = [
  { group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['get', 'create', 'patch', 'delete'] as const },
];

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('kubepoll check', () => {
  it('reports config source, API version, token expiry and every declared permission; exit 0', async () => {
    cluster = await startTestCluster({ namespace: 'team-a', rbac: [...writerDeclaration] });
    const result = await runCli(['check', 'writer', '--jobs', JOBS, '--output', 'json'], { env: cluster.inClusterEnv });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      config: { source: `in-cluster (${cluster.serviceAccountDir})`, namespace: 'team-a', server: cluster.url },
      api: { reachable: true, version: 'v1.37.2-kubepoll-fake' },
      token: { status: 'ok', expiresAt: expect.stringMatching(/^\d{4}-/) },
      ok: true,
    });
    expect(report.permissions.map((p: { verb: string; status: string }) => [p.verb, p.status])).toEqual([
      ['get', 'allowed'],
      ['create', 'allowed'],
      ['patch', 'allowed'],
      ['delete', 'allowed'],
    ]);
    expect(report.resources).toEqual([{ what: 'configmaps/v1', detail: 'served', status: 'ok' }]);
    expect(result.stdout).not.toContain(cluster.token);
  });

  it('a passing 500 on the access reviews is retried, not reported as MISSING', async () => {
    cluster = await startTestCluster({ namespace: 'team-a', rbac: [...writerDeclaration] });
    cluster.inject({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', status: 500, times: 2 });
    const result = await runCli(['check', 'writer', '--jobs', JOBS, '-o', 'json'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).permissions.every((p: { status: string }) => p.status === 'allowed')).toBe(true);
  });

  it('a server that keeps failing is an ERROR (exit 1), not a missing permission (exit 3)', async () => {
    cluster = await startTestCluster({ namespace: 'team-a', rbac: [...writerDeclaration] });
    cluster.inject({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const result = await runCli(['check', 'writer', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /get configmaps in namespace team-a\s+ERROR: create selfsubjectaccessreviews\.authorization\.k8s\.io: 500 InternalError/,
    );
    expect(result.stdout).not.toMatch(/MISSING/);
  });

  it('a rejected token says so and exits 3, not "cannot reach"', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    cluster.inject({ status: 401, times: Number.POSITIVE_INFINITY });
    const result = await runCli(['check', 'writer', '--jobs', JOBS, '-o', 'json'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.token).toMatchObject({
      status: 'missing',
      message: 'the API server rejected the credentials (401 Unauthorized)',
    });
    expect(report.api.reachable).toBe(false);
    expect(result.stdout + result.stderr).not.toContain(cluster.token);
  });

  it('a custom resource whose CRD is missing and a namespace that does not exist are failures (exit 3)', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const result = await runCli(['check', 'needs-crd', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(
      /resource\s+widgets\.example\.com\/v1: not served: is its CustomResourceDefinition installed.*\s+MISSING/,
    );
    expect(result.stdout).toMatch(/namespace\s+no-such-namespace: does not exist\s+MISSING/);
    expect(result.stdout).toMatch(/namespace\s+team-a: exists\s+ok/);
  });

  it('a declaration whose scope differs from what the server serves is MISSING (exit 3), not a run-time 404', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const result = await runCli(['check', 'wrong-scope', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(
      /resource\s+namespaces\/v1: declared namespaced: true, but the server serves it cluster-scoped: fix the declaration\s+MISSING/,
    );
  });

  it('exit 3 with MISSING in the table when a permission is not granted', async () => {
    cluster = await startTestCluster({
      namespace: 'team-a',
      rbac: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['get', 'create'] }],
    });
    const result = await runCli(['check', 'writer', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^config\s+in-cluster \(.*\)\s+ok$/);
    expect(lines.find((l) => l.includes('patch configmaps'))).toMatch(
      /^job writer\s+patch configmaps in namespace team-a\s+MISSING$/,
    );
    expect(lines.find((l) => l.includes('get configmaps'))).toMatch(/allowed$/);
    expect(result.stdout + result.stderr).not.toContain(cluster.token);
  });

  it('exit 2 on a config error', async () => {
    const result = await runCli(['check', 'writer', '--jobs', JOBS]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kubepoll: no cluster config found/);
  });

  it('exit 1 when the API server cannot be reached', async () => {
    cluster = await startTestCluster({ namespace: 'team-a' });
    const env = { ...cluster.inClusterEnv, KUBERNETES_SERVICE_PORT: '1' }; // nothing listens on port 1
    const result = await runCli(['check', 'writer', '--jobs', JOBS, '-o', 'json'], { env });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).api).toMatchObject({ reachable: false, error: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('token expiry', () => {
  const jwt = (payload: object) => `Bearer x.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.y`;
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('reads exp and warns under ten minutes or when there is none', () => {
    expect(tokenExpiry(jwt({ exp: now / 1000 + 3600 }), now)).toMatchObject({
      status: 'ok',
      expiresAt: '2026-11-30T13:00:00.000Z',
    });
    expect(tokenExpiry(jwt({ exp: now / 1000 + 300 }), now)).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('expires in 5 min'),
    });
    expect(tokenExpiry(jwt({ exp: now / 1000 - 1 }), now)).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('expired'),
    });
    expect(tokenExpiry(jwt({ sub: 'legacy' }), now)).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('never expires'),
    });
    expect(tokenExpiry('Bearer opaque', now).status).toBe('unknown');
    expect(tokenExpiry(undefined, now).status).toBe('unknown');
  });
});
