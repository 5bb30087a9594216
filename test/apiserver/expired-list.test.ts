// A real `410 Expired` from etcd compaction in the middle of a paged list
// (the test server compacts every 10 s): the job still sees every object
// exactly once. The job holds after its first page until the test has seen a
// newer continue token expire, so the job's own next page is certain to.
import { expect, it } from 'vitest';
import type { JobDefinition } from '../../src/job.js';
import { runJob } from '../../src/testing/run-job.js';
import { uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer({ compactionInterval: '10s' });
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const COUNT = 40;

it('a continue token compacted away mid-list: 410, and every object is seen exactly once', async () => {
  const api = server();
  const namespace = uniqueNamespace('expired');
  const side = uniqueNamespace('writes');
  await api.createNamespace(namespace);
  await api.createNamespace(side);
  const names = Array.from({ length: COUNT }, (_, i) => `cm-${String(i).padStart(3, '0')}`);
  await api.admin.apply(names.map((name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } })));
  const cluster = await api.cluster({ namespace });

  let firstPage!: () => void;
  const firstPageSeen = new Promise<void>((resolve) => {
    firstPage = resolve;
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const job: JobDefinition = {
    name: 'slow-list',
    resources: [{ ...configMaps, verbs: ['list'] }],
    async run(ctx) {
      const seen: string[] = [];
      for await (const cm of ctx.list(configMaps, { limit: 5 })) {
        seen.push(String(cm.metadata?.name));
        if (seen.length === 1) {
          firstPage();
          await gate;
        }
      }
      return { seen };
    },
  };
  const running = runJob(job, { cluster, timeoutSeconds: 110 });

  await firstPageSeen;
  // A list begun after the job's: once its continue token is compacted away, so is the job's.
  const probe = await api.admin.ok<{ metadata: { continue: string } }>(
    'GET',
    `/api/v1/namespaces/${namespace}/configmaps?limit=1`,
  );
  const token = encodeURIComponent(probe.metadata.continue);
  let writes = 0;
  const started = Date.now();
  for (;;) {
    // Compaction needs new revisions to compact to: keep writing elsewhere.
    await api.admin.request('POST', `/api/v1/namespaces/${side}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `w-${writes++}` },
    });
    const res = await api.admin.request('GET', `/api/v1/namespaces/${namespace}/configmaps?limit=1&continue=${token}`);
    if (res.status === 410) break;
    expect(res.status).toBe(200);
    expect(Date.now() - started, 'compaction should expire a token within a minute').toBeLessThan(60_000);
    await new Promise((r) => setTimeout(r, 1000));
  }
  release();
  const run = await running;

  expect(run.error?.message).toBeUndefined();
  expect(run.outcome).toBe('succeeded');
  const { seen } = run.result as { seen: string[] };
  expect(seen).toEqual(names);
  expect(run.logs.some((l) => l.level === 'warn' && /continue token expired/.test(String(l.msg)))).toBe(true);
  // The server really answered the job's list with 410.
  const lists = (await api.auditEvents(cluster.user)).filter((e) => e.verb === 'list');
  expect(lists.map((e) => e.responseStatus?.code)).toContain(410);
});
