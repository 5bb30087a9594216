/**
 * The project's fake API server (src/testing/fake-api-server.ts), in this
 * process: its CPU is this process's (the bench itself does next to nothing
 * while a client runs: it waits for the child and collects its output).
 */
import path from 'node:path';
import { startTestCluster, type TestCluster } from '../dist/testing/index.js';
import type { ServerUsage, Target } from './target.ts';
import { LIST_PATH, widgets } from './widgets.ts';

export async function startFake(count: number): Promise<Target & { cluster: TestCluster }> {
  const cluster = await startTestCluster({ objects: widgets(count), namespace: 'bench' });
  const listRequests = () => cluster.requests.filter((r) => r.path === LIST_PATH).length;
  return {
    key: 'fake',
    label: 'fake API server (this project, Node https, in the bench process)',
    objects: count,
    cluster,
    url: cluster.url,
    caFile: cluster.caFile,
    tokenFile: path.join(cluster.serviceAccountDir, 'token'),
    inClusterEnv: cluster.inClusterEnv,
    kubeconfigPath: cluster.kubeconfigPath,
    async mark() {
      const requests = listRequests();
      const cpu = process.cpuUsage();
      return async (): Promise<ServerUsage> => {
        const used = process.cpuUsage(cpu);
        return { listRequests: listRequests() - requests, cpuMs: (used.user + used.system) / 1000 };
      };
    },
    stop: () => cluster.stop(),
  };
}
