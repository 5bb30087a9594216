/**
 * kubepoll as a user gets it: `npm pack` this checkout, `kubepoll init` a project
 * that depends on the tarball, `npm install` and `npm test` there, then the
 * installed CLI runs the scaffolded job, a job in a folder with no
 * node_modules (a mounted ConfigMap), and the scaffold's Dockerfile replayed.
 * About 20 s, most of it npm install from the warm npm cache (--prefer-offline):
 * part of `npm test`, which builds dist/ first.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { BIN, ROOT } from '../support/cli.js';
import { dockerStage, execForm, replayStage } from '../support/dockerfile.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

// npx runs the kubepoll bin through its `#!/usr/bin/env node`: put this Node (24) first.
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
// npm keeps its (warm) cache; kubepoll gets an empty home, so no real kubeconfig can be picked up.
const NPM_CACHE = process.env.npm_config_cache ?? path.join(homedir(), '.npm');
const EMPTY_HOME = path.join(ROOT, 'test', 'fixtures', 'empty-home');
// How this machine reaches the registry (a proxy, its CA, a mirror), as a user's shell would have it: without
// them, an npm install that misses the cache fails behind a TLS-intercepting proxy (SELF_SIGNED_CERT_IN_CHAIN).
const NETWORK_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined &&
      /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|npm_config_(registry|cafile|ca|proxy|https_proxy|noproxy|strict_ssl))$/i.test(
        entry[0],
      ),
  ),
);

/** Runs a command asynchronously (the fake cluster lives in this process). */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...NETWORK_ENV, PATH, HOME: EMPTY_HOME, npm_config_cache: NPM_CACHE, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like `run`, but a non-zero exit fails the test with the command's output. */
async function ok(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

function lastLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

let work: string;
let project: string;
let tarball: string;
let packed: string[];
let cluster: TestCluster;

/** The CLI as installed in the project, run by path (as the image does). */
const installedCli = () => path.join(project, 'node_modules', 'kubepoll', 'dist', 'cli.js');

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'kubepoll-package-'));
  project = path.join(work, 'my-jobs');
  // dist/ is built beforehand (npm run build), as for every CLI test: no prepare run here.
  const pack = await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${pack.stdout}`);
  tarball = path.join(work, info.filename);
  packed = info.files.map((f) => f.path);
  await ok(process.execPath, [BIN, 'init', project, '--kubepoll-spec', `file:${tarball}`], work);
  await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project);
  cluster = await startTestCluster({ fixtures: path.join(project, 'jobs/fixtures/*.yaml'), namespace: 'shop' });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the package', () => {
  it('ships the library, the test kit, the CLI, their sources, the init templates and the Go module files', () => {
    for (const file of [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/testing/index.js',
      'dist/cli.js',
      'dist/module-hooks.js',
      'src/index.ts',
      'templates/init/package.json.tmpl',
      'templates/init/jobs/failed-pods.ts.tmpl',
      'src/testing/go/kube-apiserver/go.mod',
      'src/testing/go/etcd/go.sum',
    ]) {
      expect(packed).toContain(file);
    }
  });

  it("ships no tests, fixtures, example jobs, demo, bench or deploy files of kubepoll's own", () => {
    const own = packed.filter((f) => !f.startsWith('templates/'));
    expect(own.filter((f) => /(^|\/)(test|jobs|bench|deploy|fixtures)\/|\.test\.|demo\./.test(f))).toEqual([]);
  });

  it('has source maps that point only at files it ships, and code that points only at maps it ships', async () => {
    const root = path.join(project, 'node_modules', 'kubepoll');
    const maps = packed.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const file of packed.filter((f) => f.endsWith('.js'))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(path.join(root, file), 'utf8'))?.[1];
      const map = url && path.posix.join(path.posix.dirname(file), url);
      if (map && !packed.includes(map)) missing.push(`${file} → ${map}`);
    }
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(path.join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const shipped = path.posix.join(path.posix.dirname(map), source);
        if (!packed.includes(shipped)) missing.push(`${map} → ${shipped}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('imports at run time nothing but its dependencies and Node built-ins', async () => {
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(manifest.dependencies), 'kubepoll']);
    const strays = new Set<string>();
    for (const file of packed.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      const text = await readFile(path.join(project, 'node_modules', 'kubepoll', file), 'utf8');
      for (const [, specifier = ''] of text.matchAll(
        /(?:(?:^|[\s}])from\s+|\bimport\s*\(\s*|^import\s+)['"]([^'"./][^'"]*)['"]/gm,
      )) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
        if (!specifier.startsWith('node:') && !builtinModules.includes(name) && !allowed.has(name))
          strays.add(`${file}: ${specifier}`);
      }
    }
    expect([...strays]).toEqual([]);
  });
});

describe('a project made by kubepoll init, with the tarball installed', () => {
  it('passes its own npm test (type check, then the job test on kubepoll/testing) with no edits', async () => {
    const result = await run('npm', ['test'], project, { HOME: homedir() });
    expect(result.stderr + result.stdout).toMatch(/Tests\s+3 passed/);
    expect(result.code).toBe(0);
  });

  it('runs the scaffolded job with npx kubepoll run, in-cluster style', async () => {
    const result = await run('npx', ['kubepoll', 'run', 'failed-pods'], project, cluster.inClusterEnv);
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toMatchObject({
      msg: 'run finished',
      job: 'failed-pods',
      outcome: 'succeeded',
      result: { checked: 4, failed: ['import-orders-29001'], restarting: ['api-6d5f9c7b8-xk2lp'] },
    });
  });

  it('passes the job its setting from the environment of the run', async () => {
    const result = await run('npx', ['kubepoll', 'run', 'failed-pods'], project, { ...cluster.inClusterEnv, MAX_RESTARTS: '20' });
    expect(lastLine(result.stdout)).toMatchObject({ outcome: 'succeeded', result: { checked: 4, restarting: [] } });
  });

  it("lists only the user's job with npx kubepoll jobs, not kubepoll's examples", async () => {
    const result = await ok('npx', ['kubepoll', 'jobs', '--output', 'json'], project);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((j) => j.name)).toEqual(['failed-pods']);
  });
});

describe('a job in a folder with no node_modules (a mounted ConfigMap)', () => {
  // All three specifiers a job may use: kubepoll, kubepoll/package.json and kubepoll/testing.
  const job = (ext: string) => `import { defineJob${ext === '.ts' ? ', type RunContext' : ''} } from 'kubepoll';
import kubepoll from 'kubepoll/package.json' with { type: 'json' };
import { parseFixtures } from 'kubepoll/testing';
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export default defineJob({
  resources: [{ ...pods, verbs: ['list'] }],
  async run(ctx${ext === '.ts' ? ': RunContext' : ''}) {
    let pods_ = 0;
    for await (const _ of ctx.list(pods)) pods_++;
    return { pods: pods_, kubepoll: kubepoll.version, testKit: typeof parseFixtures };
  },
});
`;

  it.each(['.mjs', '.ts'])('imports kubepoll and runs with the installed CLI (%s)', async (ext) => {
    const dir = path.join(work, `configmap${ext}`);
    await mkdir(dir);
    await writeFile(path.join(dir, `pod-count${ext}`), job(ext));
    const result = await run(
      process.execPath,
      [installedCli(), 'run', path.join(dir, `pod-count${ext}`)],
      dir,
      cluster.inClusterEnv,
    );
    expect(result.stderr).toBe('');
    expect(lastLine(result.stdout)).toMatchObject({
      outcome: 'succeeded',
      result: { pods: 4, kubepoll: expect.any(String), testKit: 'function' },
    });
  });

  /** The installed CLI with registerKubepollResolution() preloaded (twice), independent of the job loader calling it. */
  async function runPreloaded(job: string, cwd: string): Promise<Result> {
    const hooks = pathToFileURL(path.join(project, 'node_modules', 'kubepoll', 'dist', 'module-hooks.js')).href;
    const preload = path.join(work, 'register.mjs');
    await writeFile(preload, `import { registerKubepollResolution as r } from '${hooks}';\nr();\nr();\n`);
    return run(
      process.execPath,
      ['--import', pathToFileURL(preload).href, installedCli(), 'run', job],
      cwd,
      cluster.inClusterEnv,
    );
  }

  it('imports kubepoll once registerKubepollResolution() ran (twice)', async () => {
    const dir = path.join(work, 'configmap-preloaded');
    await mkdir(dir);
    await writeFile(path.join(dir, 'pod-count.ts'), job('.ts'));
    const result = await runPreloaded(path.join(dir, 'pod-count.ts'), dir);
    expect(result.stderr).toBe('');
    expect(lastLine(result.stdout)).toMatchObject({
      outcome: 'succeeded',
      result: { pods: 4, kubepoll: expect.any(String), testKit: 'function' },
    });
  });

  it('fails to import kubepoll without it: what the hooks are for', async () => {
    const dir = path.join(work, 'configmap-plain-node');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'job.mjs'),
      "import { defineJob } from 'kubepoll';\nexport default defineJob({ run: () => 1 });\n",
    );
    const result = await run(
      process.execPath,
      ['-e', `await import(${JSON.stringify(pathToFileURL(path.join(dir, 'job.mjs')).href)})`, '--input-type=module'],
      dir,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Cannot find package 'kubepoll'");
  });

  it('still gets a kubepoll installed next to it, when there is one', async () => {
    const dir = path.join(work, 'with-own-kubepoll');
    const own = path.join(dir, 'node_modules', 'kubepoll');
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, 'package.json'), '{ "name": "kubepoll", "type": "module", "exports": "./index.js" }');
    await writeFile(path.join(own, 'index.js'), "export const defineJob = (job) => ({ ...job, name: 'from-own-kubepoll' });\n");
    await writeFile(
      path.join(dir, 'job.mjs'),
      "import { defineJob } from 'kubepoll';\nexport default defineJob({ run: () => 'ran' });\n",
    );
    const result = await runPreloaded(path.join(dir, 'job.mjs'), dir);
    expect(lastLine(result.stdout)).toMatchObject({ job: 'from-own-kubepoll', outcome: 'succeeded' });
  });
});

describe("the scaffold's Dockerfile, replayed", () => {
  let image: string;
  beforeAll(async () => {
    image = path.join(work, 'image');
    await mkdir(image);
    await replayStage(path.join(project, 'Dockerfile'), image, { context: project });
  }, 120_000);

  it('holds the jobs without their tests and fixtures, and production dependencies only', async () => {
    expect(await readdir(path.join(image, 'jobs'))).toEqual(['failed-pods.ts']);
    const installed = await readdir(path.join(image, 'node_modules'));
    expect(installed).toContain('kubepoll');
    for (const dev of ['vitest', 'typescript', 'vite']) expect(installed).not.toContain(dev);
  });

  it('runs the job through its ENTRYPOINT as a numeric non-root user', async () => {
    const stage = await dockerStage(path.join(project, 'Dockerfile'));
    expect(stage.find((i) => i.instruction === 'USER')?.args).toMatch(/^\d+:\d+$/);
    const workdir = stage.find((i) => i.instruction === 'WORKDIR')?.args ?? '';
    const [command, ...entry] = execForm(stage.find((i) => i.instruction === 'ENTRYPOINT')?.args ?? '[]');
    expect(command).toBe('node');
    const args = entry.map((a) => (a.startsWith(`${workdir}/`) ? path.join(image, a.slice(workdir.length + 1)) : a));
    const result = await run(process.execPath, [...args, 'run', 'failed-pods'], image, cluster.inClusterEnv);
    expect(lastLine(result.stdout)).toMatchObject({ outcome: 'succeeded', result: { checked: 4 } });
  });
});
