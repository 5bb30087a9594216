/**
 * kubepoll/testing: a fake cluster for testing job modules without a cluster.
 *
 * @example
 * ```ts
 * import { startTestCluster, runJob } from 'kubepoll/testing';
 * import job from '../jobs/my-job.ts';
 *
 * const cluster = await startTestCluster({ fixtures: 'test/fixtures/*.yaml' });
 * const run = await runJob(job, { cluster, namespace: 'team-a' });
 * expect(run.outcome).toBe('succeeded');
 * await cluster.stop();
 * ```
 */
import type { KubeObject } from '../job.js';
import { FakeApiServer, type FakeApiServerOptions } from './fake-api-server.js';
import { loadFixtures } from './fixtures.js';

export type { ApiServerOptions, AuditEvent } from './apiserver.js';
export { ApiServer, startApiServer } from './apiserver.js';
export { AdminClient } from './apiserver-admin.js';
export type { ApiServerBinaries, FindBinariesOptions } from './apiserver-binaries.js';
export { findApiServerBinaries, GoToolchainError } from './apiserver-binaries.js';
export type { ApiResponse, RequestOptions } from './apiserver-client.js';
export { ApiClient } from './apiserver-client.js';
export type { ClusterOptions } from './apiserver-cluster.js';
export { ApiServerCluster } from './apiserver-cluster.js';
export type { FakeApiServerOptions, Fault, FaultScope, RecordedRequest } from './fake-api-server.js';
export { FakeApiServer } from './fake-api-server.js';
export { loadFixtures, parseFixtures } from './fixtures.js';
export type { RunJobOptions, RunTarget, TestRun } from './run-job.js';
export { runJob } from './run-job.js';

export interface TestClusterOptions extends FakeApiServerOptions {
  /** YAML files (paths or globs) with objects to seed, CRDs included. */
  fixtures?: string | readonly string[];
}

/** The fake cluster of a test: `FakeApiServer` with `url`, `caFile`, `token`, `kubeconfigPath`, `serviceAccountDir`. */
export type TestCluster = FakeApiServer;

/**
 * Starts a fake API server on 127.0.0.1 over HTTPS, seeded with `objects` and
 * the objects of the `fixtures` files.
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const fromFiles: KubeObject[] = options.fixtures ? await loadFixtures(options.fixtures) : [];
  return FakeApiServer.start({ ...options, objects: [...fromFiles, ...(options.objects ?? [])] });
}
