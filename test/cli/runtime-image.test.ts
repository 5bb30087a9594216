import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ROOT, runCli } from '../support/cli.js';
import { dockerStage, execForm, replayStage } from '../support/dockerfile.js';

const exec = promisify(execFile);
const DOCKERFILE = path.join(ROOT, 'Dockerfile');

/**
 * The runtime stage replayed in a temporary folder: COPY from the build context
 * (or from the build stage, whose dist/ is ours), RUN with the same command.
 * A runtime import of a devDependency then fails, as it would in the image.
 */
function buildRuntimeLayout(dir: string): Promise<void> {
  return replayStage(DOCKERFILE, dir, {
    context: ROOT,
    stage: 'runtime',
    fromStage: (_stage, source) => path.join(ROOT, path.basename(source)),
  });
}

let cluster: TestCluster;
let dir: string;

describe('the runtime image layout', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-image-'));
    await buildRuntimeLayout(dir);
    cluster = await startTestCluster({ fixtures: path.join(ROOT, 'jobs/fixtures/cert-manager-*.yaml'), namespace: 'kubepoll' });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('has production dependencies only', async () => {
    const installed = (await exec('ls', [path.join(dir, 'node_modules')])).stdout.split('\n');
    expect(installed).toContain('pino');
    for (const dev of ['vitest', 'typescript', 'nock', 'node', 'kubernetes-models']) expect(installed).not.toContain(dev);
  });

  it('runs an example job against the fake cluster, in-cluster style, from /app', async () => {
    const result = await runCli(['run', 'expiring-certificates'], {
      cwd: dir,
      env: cluster.inClusterEnv,
      bin: path.join(dir, 'dist', 'cli.js'),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.lines.at(-1)).toMatchObject({ msg: 'run finished', outcome: 'succeeded', result: { checked: 4 } });
  });

  it('runs a job mounted outside /app (a ConfigMap) that imports kubepoll, with no node_modules near it', async () => {
    const mounted = path.join(dir, '..', `${path.basename(dir)}-configmap`);
    await mkdir(mounted);
    try {
      await writeFile(
        path.join(mounted, 'count-certificates.ts'),
        `import { defineJob, type RunContext } from 'kubepoll';
const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };
export default defineJob({
  resources: [{ ...certificates, verbs: ['list'], namespaces: '*' }],
  async run(ctx: RunContext) {
    let n = 0;
    for await (const _ of ctx.list(certificates, { allNamespaces: true })) n++;
    return { n };
  },
});
`,
      );
      const result = await runCli(['run', 'count-certificates', '--jobs', mounted], {
        cwd: dir,
        env: cluster.inClusterEnv,
        bin: path.join(dir, 'dist', 'cli.js'),
      });
      expect(result.stderr).toBe('');
      expect(result.lines.at(-1)).toMatchObject({ outcome: 'succeeded', result: { n: 4 } });
    } finally {
      await rm(mounted, { recursive: true, force: true });
    }
  });

  it('has the example jobs without their tests and fixtures (.dockerignore)', async () => {
    const jobs = await readdir(path.join(dir, 'jobs'));
    expect(jobs).toContain('expiring-certificates.ts');
    expect(jobs.filter((f) => f.includes('.test.') || f === 'fixtures')).toEqual([]);
  });

  it('runs as a numeric non-root user with node as the entrypoint', async () => {
    const stage = await dockerStage(DOCKERFILE, 'runtime');
    expect(stage.find((i) => i.instruction === 'USER')?.args).toMatch(/^\d+:\d+$/);
    expect(execForm(stage.find((i) => i.instruction === 'ENTRYPOINT')?.args ?? '[]')).toEqual(['node', '/app/dist/cli.js']);
  });
});
