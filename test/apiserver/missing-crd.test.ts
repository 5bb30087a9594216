// A custom resource whose CRD is not installed: a real API server answers the
// plain-text `404 page not found` (not a Status). kubepoll must treat it as
// "no such resource" (exit 3), never as an empty list or a missing object.
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/job.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { runJob } from '../../src/testing/run-job.js';
import { uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
const widgets = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true };
let cluster: ApiServerCluster;

beforeAll(async () => {
  cluster = await server().cluster({ namespace: uniqueNamespace('no-crd') });
  // What the job would have seen: the raw answer is text, not a Status.
  const raw = await server().admin.request('GET', `/apis/example.com/v1/namespaces/${cluster.namespace}/widgets`);
  expect([raw.status, raw.contentType, raw.text]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n']);
});

const job = (run: JobDefinition['run']): JobDefinition => ({
  name: 'needs-widgets',
  resources: [{ ...widgets, verbs: ['list', 'get'] }],
  run,
});

describe('a CRD that is not installed', () => {
  it('list fails the run with exit 3, naming the resource', async () => {
    const run = await runJob(
      job(async (ctx) => {
        let n = 0;
        for await (const _ of ctx.list(widgets)) n++;
        return { n };
      }),
      { cluster },
    );
    expect(run.outcome).toBe('failed');
    expect(run.exitCode).toBe(3);
    expect(run.error?.message).toMatch(/widgets\.example\.com/);
    expect(run.requests).toBe(1);
  });

  it('get throws (it does not return undefined as for a missing object)', async () => {
    const run = await runJob(
      job(async (ctx) => ({ got: (await ctx.get(widgets, 'w1')) ?? 'undefined' })),
      { cluster },
    );
    expect(run.result).toBeUndefined();
    expect(run.outcome).toBe('failed');
    expect(run.exitCode).toBe(3);
    expect(run.error?.message).toMatch(/widgets\.example\.com "w1"/);
  });
});
