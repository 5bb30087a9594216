// kubepoll init through the built CLI. That the scaffold installs and passes its
// own tests is test/package/package.test.ts; here: where it writes, and when it refuses.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'kubepoll-init-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

const SCAFFOLD = [
  '.dockerignore',
  '.gitignore',
  'Dockerfile',
  'README.md',
  'jobs',
  'package.json',
  'tsconfig.json',
  'vitest.config.ts',
];

describe('kubepoll init', () => {
  it('fills the current folder by default, named after it, depending on this kubepoll and its dev tools', async () => {
    const dir = path.join(tmp, 'Team Jobs');
    await mkdir(dir);
    const result = await runCli(['init'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(SCAFFOLD);
    expect((await readdir(path.join(dir, 'jobs'), { recursive: true })).sort()).toEqual([
      'failed-pods.test.ts',
      'failed-pods.ts',
      'fixtures',
      'fixtures/pods.yaml',
    ]);
    const own = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    const made = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    expect(made.name).toBe('team-jobs');
    expect(made.dependencies).toEqual({ kubepoll: `^${own.version}` });
    for (const tool of ['typescript', 'vitest', '@types/node'])
      expect(made.devDependencies[tool]).toBe(own.devDependencies[tool]);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toMatch(/^# team-jobs\n/);
  });

  it('takes the kubepoll dependency from --kubepoll-spec', async () => {
    const result = await runCli(['init', 'p', '--kubepoll-spec', 'file:../kubepoll-9.9.9.tgz'], { cwd: tmp });
    expect(result.code).toBe(0);
    const made = JSON.parse(await readFile(path.join(tmp, 'p', 'package.json'), 'utf8'));
    expect(made.dependencies).toEqual({ kubepoll: 'file:../kubepoll-9.9.9.tgz' });
    expect(result.stdout).toContain('  cd p\n  npm install\n  npm test\n');
  });

  it('refuses a folder that is not empty: one line, exit 2, nothing written', async () => {
    await writeFile(path.join(tmp, 'notes.md'), 'mine');
    const result = await runCli(['init', tmp], { cwd: ROOT });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`kubepoll: ${tmp} is not empty; kubepoll init needs a new or empty folder\n`);
    expect(await readdir(tmp)).toEqual(['notes.md']);
  });

  it('refuses two folders', async () => {
    const result = await runCli(['init', 'a', 'b'], { cwd: tmp });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kubepoll: kubepoll init takes one folder, got 2\n');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('answers --help with exit 0 and writes nothing', async () => {
    const result = await runCli(['init', '--help'], { cwd: tmp });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: kubepoll init [DIR] [--kubepoll-spec SPEC]');
    expect(await readdir(tmp)).toEqual([]);
  });
});
