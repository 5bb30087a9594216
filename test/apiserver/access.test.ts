// The declarations and the generated RBAC agree: a call the job did not declare
// is refused by kubepoll before any request (exit 2, nothing in the API
// server's audit log), and the same request made with the job's bound token
// is refused by the real server (403).
import { beforeAll, expect, it } from 'vitest';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runCli } from '../support/cli.js';
import { applyGeneratedAccess, eventually, generatedManifests, uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
const JOB = 'test/fixtures/jobs/undeclared.mjs'; // declares list configmaps, then deletes one
let cluster: ApiServerCluster;

beforeAll(async () => {
  const namespace = uniqueNamespace('access');
  // The account is the one the manifests generate, so their RBAC applies unchanged.
  cluster = await server().cluster({ namespace, serviceAccount: 'kubepoll-undeclared' });
  await applyGeneratedAccess(server(), await generatedManifests([JOB], namespace, ['--once']));
  await eventually(() => cluster.can({ verb: 'list', resource: 'configmaps', namespace }), 'the generated Role is in force');
});

const configMapRequests = async () =>
  (await server().auditEvents(cluster.user)).filter((e) => e.requestURI.includes('/configmaps'));

it('an undeclared delete: exit 2 before any request, and the real server would refuse it too', async () => {
  const run = await runCli(['run', JOB], { env: cluster.inClusterEnv });
  expect(run.code).toBe(2);
  const last = run.lines.at(-1) as { msg?: string; err?: { message?: string } } | undefined;
  expect(last?.msg).toBe('run finished');
  expect(last?.err?.message).toMatch(/did not declare verb "delete" on configmaps/);

  // A request as the account after the run; once the audit log has it, it is the only ConfigMap request.
  const marker = await cluster.client.request('GET', `/api/v1/namespaces/${cluster.namespace}/configmaps`);
  expect(marker.status).toBe(200);
  await eventually(async () => (await configMapRequests()).length > 0, 'the audit log has the marker request');
  expect((await configMapRequests()).map((e) => e.verb)).toEqual(['list']);

  // The request kubepoll refused, made with the same bound token.
  const direct = await cluster.client.request('DELETE', `/api/v1/namespaces/${cluster.namespace}/configmaps/x`);
  expect(direct.status).toBe(403);
  expect(direct.json().message).toBe(
    `configmaps "x" is forbidden: User "${cluster.user}" cannot delete resource "configmaps" in API group "" in the namespace "${cluster.namespace}"`,
  );
});
