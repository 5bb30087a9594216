// Where the fake claims kubectl compatibility, the real kubectl must see the
// same thing from both: the same commands against the fake and the real API
// server give the same output, errors and exit codes (create, short names,
// server-side apply, patch, delete, a namespace that does not exist, an
// unknown resource type).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { WIDGET_CRD } from './fidelity-scenarios.js';
import { useApiServer } from './support.js';

const run = promisify(execFile);
const kubectlFound = await run('kubectl', ['version', '--client']).then(
  () => true,
  () => false,
);

const server = useApiServer();
let fake: TestCluster;
let dir: string;
const NS = 'kubectl';

const WIDGET = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: k1
  namespace: ${NS}
spec:
  size: 1
`;

/** Every command, in order, run against each side with its own HOME (kubectl caches discovery there). */
const COMMANDS: string[][] = [
  ['create', '-f', 'widget.yaml'],
  ['create', '-f', 'widget.yaml'],
  ['get', 'wd', '-n', NS, '-o', 'name'],
  ['get', 'widgets.example.com', 'k1', '-n', NS, '-o', 'jsonpath={.spec.size}'],
  ['patch', 'wd', 'k1', '-n', NS, '--type=merge', '-p', '{"spec":{"size":2}}'],
  ['get', 'wd', 'k1', '-n', NS, '-o', 'jsonpath={.spec.size} {.metadata.generation}'],
  ['apply', '--server-side', '--field-manager=kubectl-test', '-f', 'widget.yaml'],
  ['apply', '--server-side', '--field-manager=other', '-f', 'widget-big.yaml'],
  ['create', 'configmap', 'c1', '-n', NS, '--from-literal=a=1'],
  ['get', 'cm', 'c1', '-n', NS, '-o', 'jsonpath={.data.a}'],
  ['create', 'configmap', 'c2', '-n', 'missing', '--from-literal=a=1'],
  ['create', 'namespace', 'kns'],
  ['get', 'ns', 'kns', '-o', 'jsonpath={.status.phase} {.spec.finalizers} {.metadata.labels}'],
  ['create', 'secret', 'generic', 's1', '-n', NS, '--from-literal=k=v'],
  ['get', 'secret', 's1', '-n', NS, '-o', 'jsonpath={.type} {.data.k}'],
  ['auth', 'can-i', 'list', 'wd', '-n', NS],
  ['get', 'wd', '-n', 'missing'],
  ['get', 'foos'],
  ['delete', 'wd', 'k1', '-n', NS],
  ['get', 'wd', 'k1', '-n', NS],
];

async function kubectlAll(kubeconfig: string, home: string): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const out: { code: number; stdout: string; stderr: string }[] = [];
  for (const args of COMMANDS) {
    try {
      const { stdout, stderr } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: home },
      });
      out.push({ code: 0, stdout, stderr });
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      out.push({ code: e.code, stdout: e.stdout, stderr: e.stderr });
    }
  }
  return out;
}

describe.skipIf(!kubectlFound)('kubectl against the fake and the real API server', () => {
  let answers: { fake: Awaited<ReturnType<typeof kubectlAll>>; real: Awaited<ReturnType<typeof kubectlAll>> };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-kubectl-'));
    await writeFile(path.join(dir, 'widget.yaml'), WIDGET);
    await writeFile(path.join(dir, 'widget-big.yaml'), WIDGET.replace('size: 1', 'size: 9'));
    fake = await startTestCluster({ objects: [WIDGET_CRD, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }] });
    await server().admin.installCrds([WIDGET_CRD]);
    await server().createNamespace(NS);
    const homes = [await mkdtemp(path.join(dir, 'home-fake-')), await mkdtemp(path.join(dir, 'home-real-'))] as const;
    answers = {
      fake: await kubectlAll(fake.kubeconfigPath, homes[0]),
      real: await kubectlAll(server().kubeconfigPath, homes[1]),
    };
  });
  afterAll(async () => {
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(COMMANDS.map((args, i) => [args.join(' '), i] as const))('kubectl %s', (_name, i) => {
    expect(answers.fake[i]).toEqual(answers.real[i]);
  });

  it('the real server did refuse what it should (so the comparison is not of two successes)', () => {
    const codes = answers.real.map((a) => a.code);
    expect(codes.filter((c) => c !== 0).length).toBeGreaterThanOrEqual(5);
  });
});
