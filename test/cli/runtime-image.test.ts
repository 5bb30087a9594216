import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ROOT, runCli } from '../support/cli.js';

const exec = promisify(execFile);

/** The runtime stage of the Dockerfile: its instructions after `FROM ... AS runtime`. */
async function runtimeStage(): Promise<string[][]> {
  const text = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const start = lines.findIndex((l) => /^FROM .* AS runtime$/i.test(l));
  return lines.slice(start + 1).map((l) => {
    const [instruction = '', ...rest] = l.trim().split(/\s+/);
    return [instruction.toUpperCase(), rest.join(' ')];
  });
}

/**
 * Replays the runtime stage in a temporary folder: COPY from the build context
 * (or from the build stage, whose dist/ is ours), RUN with the same command.
 * A runtime import of a devDependency then fails, as it would in the image.
 */
async function buildRuntimeLayout(dir: string): Promise<void> {
  for (const [instruction, args = ''] of await runtimeStage()) {
    if (instruction === 'COPY') {
      const parts = args.split(/\s+/);
      const fromBuild = parts[0]?.startsWith('--from=');
      const sources = parts.slice(fromBuild ? 1 : 0, -1);
      const target = parts.at(-1) as string;
      for (const source of sources) {
        const from = fromBuild ? path.join(ROOT, path.basename(source)) : path.join(ROOT, source);
        const to = target.endsWith('/') ? path.join(dir, target, path.basename(source)) : path.join(dir, target);
        await cp(from, to, {
          recursive: true,
          filter: (src) => !/\.test\.[jt]s$/.test(src) && !src.includes(`${path.sep}fixtures`),
        });
      }
    } else if (instruction === 'RUN') {
      // --prefer-offline: the packages are in the npm cache after the project's own npm ci.
      await exec('sh', ['-c', args.replace('npm ci', 'npm ci --prefer-offline')], { cwd: dir });
    }
  }
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

  it('runs as a numeric non-root user with node as the entrypoint', async () => {
    const stage = await runtimeStage();
    expect(stage.find(([i]) => i === 'USER')?.[1]).toMatch(/^\d+:\d+$/);
    expect(stage.find(([i]) => i === 'ENTRYPOINT')?.[1]).toBe('["node", "/app/dist/cli.js"]');
  });
});
