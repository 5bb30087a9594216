import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobLoadError } from '../../src/errors.js';
import { loadJob, resolveJobFile } from '../../src/job-loader.js';
import { ROOT } from '../support/cli.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');

describe('job loader', () => {
  it('finds a job by name in the jobs folder and defaults its name to the file name', async () => {
    const job = await loadJob('plain-object', JOBS);
    expect(job.name).toBe('plain-object');
    expect(job.file).toBe(path.join(JOBS, 'plain-object.mjs'));
    expect(job.resources).toHaveLength(1);
    expect(typeof job.run).toBe('function');
  });

  it('loads a TypeScript module by path, keeping its own name', async () => {
    const job = await loadJob(path.join(JOBS, 'typed.ts'), 'unused');
    expect(job.name).toBe('typed-job');
    expect(job.resources).toEqual([]);
    expect(await job.run({} as never)).toEqual({ greeting: 'hello' });
  });

  it('names the jobs that exist when a job is unknown', async () => {
    const error = await resolveJobFile('nope', JOBS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobLoadError);
    expect((error as Error).message).toMatch(/^unknown job "nope" in .*fixtures\/jobs \(jobs there: .*plain-object.*typed/);
  });

  it('says when the jobs folder does not exist', async () => {
    await expect(resolveJobFile('x', '/no/such/dir')).rejects.toThrow('jobs folder /no/such/dir does not exist (set --jobs)');
  });

  it('rejects a path that is not a job module', async () => {
    await expect(resolveJobFile('./README.md', JOBS)).rejects.toThrow(/must end with \.ts, \.mts, \.js, \.mjs/);
    await expect(resolveJobFile('./missing.ts', JOBS)).rejects.toThrow('job module ./missing.ts does not exist');
  });

  it('reports a syntax error in one line naming the file', async () => {
    const error = (await loadJob('syntax-error', JOBS).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(JobLoadError);
    expect(error.message).toMatch(/syntax-error\.mjs: cannot load job module: /);
    expect(error.message).not.toContain('\n');
  });

  it('reports a missing default export', async () => {
    await expect(loadJob('no-default', JOBS)).rejects.toThrow(/no-default\.mjs: no default export/);
  });

  it('reports every problem of an invalid module in one error', async () => {
    const error = (await loadJob('invalid', JOBS).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(JobLoadError);
    const message = error.message;
    expect(message).not.toContain('\n');
    for (const fragment of [
      'unknown field "colour"',
      'name "Not_A_Label" is not a DNS-1123 label',
      'run must be a function',
      'timeZone "Mars/Olympus" is not an IANA time zone',
      'schedule "61 * * * *" is invalid in the minute field "61"',
      'timeoutSeconds must be a whole number >= 1, got -1',
      'concurrencyPolicy "Sometimes" must be Allow, Forbid or Replace',
      'resources[0].plural must be the lowercase plural',
      'resources[0].namespaced must be true or false',
      'resources[0].verbs has unknown verb "watch"',
    ]) {
      expect(message).toContain(fragment);
    }
  });
});
