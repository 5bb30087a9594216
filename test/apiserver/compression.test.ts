// The real kube-apiserver gzips answers over 128 KB for a client that asks (kubepoll does, as client-go and
// kubectl do): a list read that way is the same list, for a fraction of the bytes; --disable-compression
// gets it uncompressed.
import { beforeAll, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runJob } from '../../src/testing/run-job.js';
import { uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const COUNT = 300;
const names = Array.from({ length: COUNT }, (_, i) => `cm-${String(i).padStart(3, '0')}`);
let namespace: string;
let cluster: ApiServerCluster;
let plainBytes: number;

beforeAll(async () => {
  const api = server();
  namespace = uniqueNamespace('gzip');
  await api.createNamespace(namespace);
  // About 1.2 KB each, so one page of the list is well over the server's 128 KB threshold.
  await api.admin.apply(
    names.map((name, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
      data: { note: `${name} `.repeat(150), index: String(i) },
    })),
  );
  cluster = await api.cluster({ namespace });
  // The same list as an uncompressed client gets it (the admin client does not ask for gzip).
  const plain = await api.admin.request('GET', `/api/v1/namespaces/${namespace}/configmaps?limit=500`);
  expect(plain.status).toBe(200);
  plainBytes = Buffer.byteLength(plain.text);
  expect(plainBytes).toBeGreaterThan(128 * 1024);
}, 120_000);

const listAll: JobDefinition = {
  name: 'list-all',
  resources: [{ ...configMaps, verbs: ['list'] }],
  async run(ctx) {
    const seen: string[] = [];
    for await (const cm of ctx.list(configMaps, { limit: 500 })) seen.push(String(cm.metadata?.name));
    return { seen };
  },
};

it('kubepoll asks for gzip: the list comes compressed, a fraction of the bytes, every object read', async () => {
  const run = await runJob(listAll, { cluster });
  expect(run.error?.message).toBeUndefined();
  expect((run.result as { seen: string[] }).seen).toEqual(names);
  expect(run.bytesReceived).toBeLessThan(plainBytes / 5);
});

it('with --disable-compression the same list comes uncompressed', async () => {
  const run = await runJob(listAll, { cluster, disableCompression: true });
  expect(run.error?.message).toBeUndefined();
  expect((run.result as { seen: string[] }).seen).toEqual(names);
  // The run's own requests (discovery of nothing, the one page) are at least the page.
  expect(run.bytesReceived).toBeGreaterThanOrEqual(plainBytes * 0.95);
});
