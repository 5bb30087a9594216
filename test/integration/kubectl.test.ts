import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { widgetObjects } from '../support/cluster.js';

const run = promisify(execFile);
const kubectlPath = await run('kubectl', ['version', '--client'])
  .then(() => 'kubectl')
  .catch(() => undefined);
if (!kubectlPath) console.warn('kubectl conformance tests skipped: kubectl is not on the PATH');

let cluster: TestCluster;
let home: string;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], {
      env: { PATH: process.env.PATH, HOME: home },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(!kubectlPath)('kubectl against the test kit', () => {
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'kubepoll-kubectl-home-'));
    cluster = await startTestCluster({ objects: widgetObjects(25) });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('lists every seeded object across namespaces in chunks of 7', async () => {
    const result = await kubectl('get', 'widgets.example.com', '-A', '--chunk-size=7', '-o', 'name');
    expect(result.code).toBe(0);
    const names = result.stdout.trim().split('\n');
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    expect(names[0]).toMatch(/^widget\.example\.com\/widget-\d{5}$/);
    const lists = cluster.requests.filter((r) => r.path === '/apis/example.com/v1/widgets');
    expect(lists.map((r) => r.query.limit)).toEqual(['7', '7', '7', '7']);
  });

  it('filters with -l selectors', async () => {
    const result = await kubectl('get', 'widgets.example.com', '-A', '-l', 'tier=frontend,canary', '-o', 'name');
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'widget.example.com/widget-00000',
      'widget.example.com/widget-00010',
      'widget.example.com/widget-00020',
    ]);
  });

  it('answers kubectl auth can-i from the RBAC rules (SelfSubjectAccessReview)', async () => {
    cluster.grant([
      { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['list'], namespaces: '*' },
    ]);
    try {
      const yes = await kubectl('auth', 'can-i', 'list', 'widgets.example.com', '--all-namespaces');
      expect(yes.stdout.trim()).toBe('yes');
      const no = await kubectl('auth', 'can-i', 'delete', 'widgets.example.com', '-n', 'team-a');
      expect(no.stdout.trim()).toBe('no');
      expect(no.code).toBe(1);
    } finally {
      cluster.grant(undefined);
    }
  });

  it("gives kubectl's Forbidden error for a resource RBAC does not grant", async () => {
    cluster.grant([]);
    try {
      const result = await kubectl('get', 'widgets.example.com', '-A');
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        'Error from server (Forbidden): widgets.example.com is forbidden: User "system:serviceaccount:default:kubepoll" cannot list resource "widgets" in API group "example.com" at the cluster scope',
      );
    } finally {
      cluster.grant(undefined);
    }
  });
});
