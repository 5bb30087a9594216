// Bound service-account tokens on a real API server, mid-run: a revoked
// account ends the run with exit 3 after kubepoll re-reads the token once; a
// rotated token (the old one then revoked) is picked up and the run succeeds.
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/job.js';
import { runJob } from '../../src/testing/run-job.js';
import { uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
let namespace: string;

beforeAll(async () => {
  namespace = uniqueNamespace('tokens');
  await server().createNamespace(namespace);
  await server().admin.apply(
    Array.from({ length: 6 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace },
      data: { i: String(i) },
    })),
  );
});

/** Lists the ConfigMaps two at a time; after the first page it waits for `pause` (the test acts meanwhile). */
function pausingJob(pause: () => Promise<void>): JobDefinition {
  return {
    name: 'token-test',
    resources: [{ ...configMaps, verbs: ['list'] }],
    async run(ctx) {
      const names: string[] = [];
      for await (const cm of ctx.list(configMaps, { limit: 2 })) {
        names.push(String(cm.metadata?.name));
        if (names.length === 2) await pause();
      }
      return { names };
    },
  };
}

// Concurrent: each waits out the API server's ~10 s token cache.
describe.concurrent('bound tokens during a run', () => {
  it('the ServiceAccount deleted mid-run: one re-read of the token, then exit 3', async () => {
    const cluster = await server().cluster({ namespace, serviceAccount: 'revoked' });
    const run = await runJob(
      pausingJob(() => cluster.deleteServiceAccount({ wait: true })),
      { cluster },
    );
    expect(run.outcome).toBe('failed');
    expect(run.exitCode).toBe(3);
    expect(run.error?.message).toMatch(/^list configmaps in namespace \S+: 401 Unauthorized/);
    const reauth = run.logs.filter((l) => String(l.msg).startsWith('credentials rejected (401)'));
    expect(reauth).toHaveLength(1);
  });

  it('a new token written mid-run (the old one revoked): picked up, the run succeeds', async () => {
    const cluster = await server().cluster({ namespace, serviceAccount: 'rotated' });
    const run = await runJob(
      pausingJob(async () => {
        const old = cluster.token;
        await cluster.rotateToken();
        await cluster.revokeToken(old, { wait: true });
      }),
      { cluster },
    );
    expect(run.error?.message).toBeUndefined();
    expect(run.outcome).toBe('succeeded');
    expect((run.result as { names: string[] }).names).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5']);
    // The cached old token was refused once; the re-read found the new one.
    expect(run.logs.filter((l) => String(l.msg).startsWith('credentials rejected (401)'))).toHaveLength(1);
    expect(run.exitCode).toBe(0);
  });
});
