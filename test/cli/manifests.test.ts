import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT, runCli } from '../support/cli.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');

describe('kubepoll manifests', () => {
  it('deploy/ is what the generator prints today (run npm run deploy:generate after changing a job)', async () => {
    const result = await runCli(['manifests', '--image', 'ghcr.io/kubepoll/kubepoll:0.1.0', '--namespace', 'kubepoll']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(path.join(ROOT, 'deploy', 'kubepoll.yaml'), 'utf8'));
  });

  it('prints the same bytes twice, for the named jobs only', async () => {
    const args = ['manifests', 'plain-object', '--jobs', JOBS, '--image', 'img:1', '--once'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.stdout).toBe(b.stdout);
    const kinds = parseAllDocuments(a.stdout).map((d) => d.toJS().kind);
    expect(kinds).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Job']);
  });

  it.each([
    [['manifests'], 'kubepoll: manifests needs --image, the container image that runs kubepoll and your jobs'],
    [
      ['manifests', 'plain-object', '--jobs', JOBS, '--image', 'img'],
      'kubepoll: job "plain-object" has no schedule: give it one, or generate a one-off Job with --once',
    ],
    [['manifests', 'nope', '--jobs', JOBS, '--image', 'img'], expect.stringMatching(/^kubepoll: unknown job "nope"/)],
  ])('exit 2 with one line for %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd()).toEqual(message);
  });

  it('kustomize builds deploy/ (skipped without kubectl)', async () => {
    const kubectl = await promisify(execFile)('kubectl', ['kustomize', path.join(ROOT, 'deploy')]).catch(
      (e: unknown) => e as Error,
    );
    if (kubectl instanceof Error && 'code' in kubectl && (kubectl as { code: unknown }).code === 'ENOENT') {
      console.warn('kubectl not found: kustomize build not checked');
      return;
    }
    const { stdout } = kubectl as { stdout: string };
    const kinds = parseAllDocuments(stdout).map((d) => d.toJS().kind);
    expect(kinds).toContain('Namespace');
    expect(kinds).toContain('CronJob');
  });
});
