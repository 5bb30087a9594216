/**
 * The real kube-apiserver and etcd of the test kit (`startApiServer()`, binaries
 * built once and cached), seeded with `count` widgets created by concurrent
 * POSTs as the admin, and a ServiceAccount with a bound token allowed to list
 * them cluster-wide (a ClusterRole and its binding). The API server's CPU per
 * list is read from /proc/<pid>/stat, etcd's too; list requests are counted in
 * the server's audit log (it records every request of a service account).
 */
import path from 'node:path';
import { startApiServer } from '../dist/testing/index.js';
import { log, processCpuMs } from './measure.ts';
import type { ServerUsage, Target } from './target.ts';
import { GROUP, LIST_PATH, NAMESPACES, PLURAL, VERSION, WIDGET_CRD, widget } from './widgets.ts';

const CONCURRENT_CREATES = 32;

export async function startRealApiServer(count: number): Promise<Target & { idleCpuMsPerSecond: number; version: string }> {
  // Compaction every 10 s (the kit's default, for 410 tests) would be background work in every figure: 1 hour here.
  const server = await startApiServer({ compactionInterval: '1h' });
  try {
    const admin = server.admin;
    const version = (await admin.ok<{ gitVersion: string }>('GET', '/version')).gitVersion;
    await admin.installCrds([WIDGET_CRD as never]);
    for (let i = 0; i < NAMESPACES; i++) await admin.createNamespace(`ns-${i}`, {}, { ifMissing: true });
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const object = widget(i);
        const ns = (object.metadata as { namespace: string }).namespace;
        const res = await admin.request('POST', `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`, object);
        if (res.status !== 201) throw new Error(`creating widget ${i}: ${res.status} ${res.text.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_CREATES }, worker));
    log(`  created ${count} widgets in ${Math.round(performance.now() - started)} ms (${CONCURRENT_CREATES} concurrent POSTs)`);

    const cluster = await server.cluster({ namespace: 'bench' });
    await admin.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'bench-widget-reader' },
        rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'bench-widget-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bench-widget-reader' },
        subjects: [{ kind: 'ServiceAccount', name: cluster.serviceAccount, namespace: cluster.namespace }],
      },
    ] as never);
    const deadline = Date.now() + 15_000;
    while (!(await cluster.can({ verb: 'list', group: GROUP, resource: PLURAL }))) {
      if (Date.now() > deadline) throw new Error('the bench ServiceAccount still cannot list widgets after 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }

    // What the server does when nobody asks it anything, to judge the per-list figures by.
    const idleFrom = (await processCpuMs(server.pid)) + (await processCpuMs(server.etcdPid));
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, 5000));
    const idle = (await processCpuMs(server.pid)) + (await processCpuMs(server.etcdPid)) - idleFrom;
    const idleCpuMsPerSecond = idle / ((performance.now() - idleStart) / 1000);

    const listEvents = async () =>
      (await server.auditEvents(cluster.user)).filter(
        (e) => e.stage === 'ResponseComplete' && e.verb === 'list' && e.requestURI.split('?')[0] === LIST_PATH,
      ).length;
    return {
      key: 'apiserver',
      label: `kube-apiserver ${version} + etcd 3.7.3 (the test kit's, built from source), audit log on`,
      version,
      objects: count,
      idleCpuMsPerSecond,
      url: server.url,
      caFile: server.caFile,
      tokenFile: path.join(cluster.serviceAccountDir, 'token'),
      inClusterEnv: cluster.inClusterEnv,
      kubeconfigPath: cluster.kubeconfigPath,
      async mark() {
        const requests = await listEvents();
        const apiserverCpu = await processCpuMs(server.pid);
        const etcdCpu = await processCpuMs(server.etcdPid);
        return async (): Promise<ServerUsage> => {
          const cpuMs = (await processCpuMs(server.pid)) - apiserverCpu;
          const etcdCpuMs = (await processCpuMs(server.etcdPid)) - etcdCpu;
          // The audit log is written in blocking mode: a request's event is there before its answer is sent.
          return { listRequests: (await listEvents()) - requests, cpuMs, etcdCpuMs };
        };
      },
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
