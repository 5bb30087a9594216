// A fake that tells the truth: one list of raw API requests (fidelity-scenarios.ts)
// played against the test kit's fake API server and against a real kube-apiserver,
// each answer compared: status code, content type and body (reasons, messages,
// shapes), with only what differs by nature masked (uids, resourceVersions,
// timestamps, continue tokens). Each step is one test: a failing test is one
// difference between the fake and the real server.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceDeclaration } from '../../src/job.js';
import { rbacPlan } from '../../src/rbac.js';
import { type ApiServer, startApiServer } from '../../src/testing/apiserver.js';
import { ApiClient, type ApiResponse } from '../../src/testing/apiserver-client.js';
import type { ApiServerCluster } from '../../src/testing/apiserver-cluster.js';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { GADGET_CRD, SERVICE_ACCOUNT_GRANTS, STEPS, type Step, WIDGET_CRD } from './fidelity-scenarios.js';

/** What one side answered to one step, as compared. */
interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  sameResourceVersion?: boolean;
}

interface Side {
  send(step: Step, path: string, body: unknown): Promise<ApiResponse>;
}

const USER_AGENT = { 'user-agent': 'kubepoll-fidelity/1.0' };
const NAMESPACES = ['fidelity', 'doomed'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
const GRANTS = SERVICE_ACCOUNT_GRANTS as unknown as ResourceDeclaration[];

let server: ApiServer;
let fake: TestCluster;
let account: ApiServerCluster;
const clients: ApiClient[] = [];
const answers = { fake: new Map<string, Answer>(), real: new Map<string, Answer>() };

beforeAll(async () => {
  [server, fake] = await Promise.all([
    startApiServer(),
    startTestCluster({ namespace: 'fidelity', serviceAccount: 'kubepoll', objects: [WIDGET_CRD, GADGET_CRD] }),
  ]);
  await server.admin.installCrds([WIDGET_CRD, GADGET_CRD]);
  for (const ns of NAMESPACES) await server.createNamespace(ns.metadata.name);
  account = await server.cluster({ namespace: 'fidelity', serviceAccount: 'kubepoll' });
  await grantReal(server, account);

  const client = (url: string, ca: string, token: string | (() => string)) => {
    const c = new ApiClient(url, ca, { token });
    clients.push(c);
    return c;
  };
  const fakeAdmin = client(fake.url, fake.caPem, () => fake.token);
  // Both sides make their namespaces with a request (the fake's own namespace `fidelity` is there already).
  await fakeAdmin.request('POST', '/api/v1/namespaces', NAMESPACES[1]);
  fake.store.remove(fake.store.resource('', 'v1', 'namespaces') as never, undefined, 'fidelity');
  await fakeAdmin.request('POST', '/api/v1/namespaces', NAMESPACES[0]);
  const fakeBad = client(fake.url, fake.caPem, 'not-a-token');
  const realBad = client(server.url, server.caPem, 'not-a-token');
  const options = (step: Step) => ({
    headers: USER_AGENT,
    ...(step.contentType ? { contentType: step.contentType } : {}),
    ...(step.accept ? { accept: step.accept } : {}),
  });
  const fakeSide: Side = {
    async send(step, path, body) {
      if (step.as === 'bad-token') return fakeBad.request(step.method, path, body, options(step));
      if (step.as !== 'serviceaccount') return fakeAdmin.request(step.method, path, body, options(step));
      fake.grant(GRANTS, 'fidelity');
      try {
        return await fakeAdmin.request(step.method, path, body, options(step));
      } finally {
        fake.grant(undefined);
      }
    },
  };
  const realSide: Side = {
    send(step, path, body) {
      const c = step.as === 'bad-token' ? realBad : step.as === 'serviceaccount' ? account.client : server.admin;
      return c.request(step.method, path, body, options(step));
    },
  };
  await play(fakeSide, answers.fake);
  await play(realSide, answers.real);
  if (process.env.KUBEPOLL_FIDELITY_DUMP) {
    await writeFile(
      process.env.KUBEPOLL_FIDELITY_DUMP,
      JSON.stringify(
        STEPS.map((s) => ({ step: s.name, fake: answers.fake.get(s.name), real: answers.real.get(s.name) })),
        null,
        2,
      ),
    );
  }
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await fake?.stop();
  await server?.stop();
});

describe('the fake API server answers as kube-apiserver does', () => {
  it.each(STEPS.map((s) => [s.name, s] as const))('%s', (name, step) => {
    const real = answers.real.get(name);
    expect(real, `the real server answered ${step.method} ${name}`).toBeDefined();
    expect(answers.fake.get(name)).toEqual(real);
  });
});

/** The service account may get ConfigMaps in `fidelity` (the Role `kubepoll manifests` would make for GRANTS). */
async function grantReal(api: ApiServer, sa: ApiServerCluster): Promise<void> {
  const rules = rbacPlan(GRANTS, 'fidelity').namespaced.get('fidelity') ?? [];
  const meta = { name: 'fidelity', namespace: 'fidelity' };
  await api.admin.apply([
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fidelity' },
      subjects: [{ kind: 'ServiceAccount', name: sa.serviceAccount, namespace: sa.namespace }],
    },
  ]);
  while (!(await sa.can({ verb: 'get', resource: 'configmaps', namespace: 'fidelity' })))
    await new Promise((r) => setTimeout(r, 50));
}

async function play(side: Side, into: Map<string, Answer>): Promise<void> {
  const bodies = new Map<string, Record<string, unknown>>();
  const earlier = (name: string) => {
    const body = bodies.get(name);
    if (!body) throw new Error(`step "${name}" has no JSON answer to build on`);
    return body;
  };
  for (const step of STEPS) {
    const path = typeof step.path === 'function' ? step.path(earlier) : step.path;
    const body = typeof step.body === 'function' ? step.body(earlier) : step.body;
    const res = await side.send(step, path, body);
    let parsed: unknown = res.text;
    if (res.contentType.startsWith('application/json')) {
      try {
        parsed = JSON.parse(res.text);
        bodies.set(step.name, parsed as Record<string, unknown>);
      } catch {
        // compared as text
      }
    }
    const answer: Answer = {
      status: res.status,
      contentType: res.contentType,
      body: mask(step.pick && res.status >= 200 && res.status < 300 ? step.pick(parsed) : parsed, step.mask ?? []),
    };
    if (step.sameResourceVersionAs) {
      answer.sameResourceVersion = resourceVersion(parsed) === resourceVersion(bodies.get(step.sameResourceVersionAs));
    }
    into.set(step.name, answer);
  }
}

const resourceVersion = (body: unknown) =>
  (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;

/** Values that differ between any two servers by nature: compared by presence. */
const VOLATILE = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'time', 'continue']);

/**
 * managedFields are sorted by operation, then by the second of their time, then by manager: two
 * entries written in different seconds on one server and the same second on the other would
 * swap, so both are compared in (operation, manager, subresource) order.
 */
function byManager(entries: { operation?: string; manager?: string; subresource?: string }[]) {
  const key = (e: (typeof entries)[number]) => `${e.operation}\u0000${e.manager}\u0000${e.subresource ?? ''}`;
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function mask(value: unknown, paths: readonly string[], at = ''): unknown {
  if (Array.isArray(value)) {
    const items = at.endsWith('managedFields') ? byManager(value as { manager?: string }[]) : value;
    return items.map((v) => mask(v, paths, `${at}[]`));
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    out[key] =
      (VOLATILE.has(key) && typeof v === 'string' && v !== '') || paths.includes(path) ? `<${key}>` : mask(v, paths, path);
  }
  return out;
}
