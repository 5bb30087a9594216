/**
 * The project's fake API server (src/testing/fake-api-server.ts), in this
 * process: its CPU is this process's (the bench itself does next to nothing
 * while a client runs: it waits for the child and collects its output).
 */
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestCluster, type TestCluster } from '../dist/testing/index.js';
import type { ServerUsage, Target } from './target.ts';
import { LIST_PATH, widgets } from './widgets.ts';

// The bench's own garbage (a kubectl run's 100,000 lines, the previous client's output) is collected before
// each measurement starts, so it is not counted as the next list's server CPU.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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
      gc();
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
