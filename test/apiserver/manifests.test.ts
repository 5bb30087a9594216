// What `kubepoll manifests` prints is accepted by a real API server as it is
// (every object, with dryRun=All), and the pod it would run is admitted in a
// namespace that enforces Pod Security `restricted`.

import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/job.js';
import { runCli } from '../support/cli.js';
import { uniqueNamespace, useApiServer } from './support.js';

const server = useApiServer();
let namespace: string;

beforeAll(async () => {
  namespace = uniqueNamespace('restricted');
  await server().createNamespace(namespace, {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  // stale-backups' Role goes where Velero runs: that namespace exists in any cluster the job is for.
  await server().createNamespace('velero');
});

async function manifests(...flags: string[]): Promise<KubeObject[]> {
  const result = await runCli(['manifests', '--image', 'ghcr.io/kubepoll/kubepoll:0.1.0', '--namespace', namespace, ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean);
}

/** Sends `object` with dryRun=All as the admin: the server validates it fully and stores nothing. */
async function dryRunCreate(object: KubeObject) {
  const path = await server().admin.resourcePath(String(object.apiVersion), String(object.kind), object.metadata?.namespace);
  return server().admin.request('POST', `${path}?dryRun=All`, object);
}

interface PodTemplate {
  metadata?: object;
  spec: { securityContext?: object; containers: { securityContext?: object }[] };
}
const podTemplateOf = (o: KubeObject): PodTemplate => {
  const spec = o.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } };
  return (o.kind === 'CronJob' ? spec.jobTemplate?.spec.template : spec.template) as PodTemplate;
};

function podFrom(template: PodTemplate, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name, namespace }, spec: template.spec };
}

describe.each([
  ['CronJobs', []],
  ['one-off Jobs (--once)', ['--once']],
  ['the scheduler Deployment (--mode schedule)', ['--mode', 'schedule']],
])('kubepoll manifests: %s', (_what, flags) => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await manifests(...flags);
  });

  it('every object is accepted by the API server (dryRun=All)', async () => {
    expect(objects.length).toBeGreaterThan(3);
    for (const object of objects) {
      const res = await dryRunCreate(object);
      expect(res.status, `${object.kind} ${object.metadata?.name}: ${res.text}`).toBe(201);
    }
  });

  it("each workload's pod is admitted under Pod Security restricted", async () => {
    const workloads = objects.filter((o) => ['CronJob', 'Job', 'Deployment'].includes(String(o.kind)));
    expect(workloads.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      const res = await dryRunCreate(podFrom(podTemplateOf(workload), `${workload.metadata?.name}-pod`));
      expect(res.status, `${workload.kind} ${workload.metadata?.name}: ${res.text}`).toBe(201);
    }
  });
});

it('the namespace really enforces restricted: the same pod without its security context is refused', async () => {
  const [cronJob] = (await manifests()).filter((o) => o.kind === 'CronJob');
  const template = structuredClone(podTemplateOf(cronJob as KubeObject));
  delete template.spec.securityContext;
  for (const c of template.spec.containers) delete c.securityContext;
  const res = await dryRunCreate(podFrom(template, 'unhardened'));
  expect(res.status).toBe(403);
  expect(res.json().message).toMatch(/violates PodSecurity "restricted:latest"/);
});
