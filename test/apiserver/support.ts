// Shared by the real API server tier: one server per test file (started once,
// stopped after the file), and namespaces no other test uses (nothing is ever
// finalised on a bare API server, so tests never reuse one).
import { afterAll, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/job.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../src/testing/apiserver.js';
import { runCli } from '../support/cli.js';

/** Starts one real API server for the file; call the returned function inside tests to get it. */
export function useApiServer(options: ApiServerOptions = {}): () => ApiServer {
  let server: ApiServer | undefined;
  beforeAll(async () => {
    server = await startApiServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the API server is not started yet (use it inside a test or hook)');
    return server;
  };
}

let counter = 0;
/** A DNS-label namespace name unique to this run. */
export function uniqueNamespace(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36).slice(-4)}${counter}`;
}

/** Polls `condition` every 100 ms until it holds; throws after `timeoutMs`. */
export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What `kubepoll manifests <jobs> --namespace <ns>` prints, as objects (the CLI as a user runs it). */
export async function generatedManifests(
  jobs: readonly string[],
  namespace: string,
  flags: readonly string[] = [],
): Promise<KubeObject[]> {
  const result = await runCli([
    'manifests',
    ...jobs,
    '--image',
    'ghcr.io/kubepoll/kubepoll:0.1.0',
    '--namespace',
    namespace,
    ...flags,
  ]);
  if (result.code !== 0) throw new Error(`kubepoll manifests failed (${result.code}): ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean);
}

/** Applies the ServiceAccounts and RBAC of generated manifests, unchanged (not the workloads: nothing would run them). */
export async function applyGeneratedAccess(server: ApiServer, objects: readonly KubeObject[]): Promise<void> {
  const access = ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];
  await server.admin.apply(objects.filter((o) => access.includes(String(o.kind))));
}
