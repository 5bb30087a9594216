import { describe, expect, it } from 'vitest';
import { defineJob } from '../../src/job.js';
import { jobProblems } from '../../src/job-validate.js';
import { scheduleProblem } from '../../src/schedule.js';

const run = () => undefined;

describe('job validation', () => {
  it('accepts a minimal plain object and defineJob() returns its argument unchanged', () => {
    const job = { run };
    expect(jobProblems(job, 'file-name')).toEqual([]);
    expect(defineJob(job)).toBe(job);
  });

  it('accepts a full, valid definition', () => {
    expect(
      jobProblems(
        {
          name: 'expiring-certificates',
          schedule: '0 */6 * * *',
          timeZone: 'Europe/Berlin',
          timeoutSeconds: 300,
          retry: { retries: 3, minTimeout: 100, maxTimeout: 1000 },
          concurrencyPolicy: 'Replace',
          startingDeadlineSeconds: 60,
          jitterSeconds: 0,
          resources: [
            {
              group: 'cert-manager.io',
              version: 'v1',
              plural: 'certificates',
              namespaced: true,
              verbs: ['list'],
              namespaces: '*',
            },
            { group: '', version: 'v1', plural: 'events', namespaced: true, verbs: ['create'], namespaces: ['ops'] },
          ],
          run,
        },
        'x',
      ),
    ).toEqual([]);
  });

  it('checks the file name when the job has no name', () => {
    expect(jobProblems({ run }, 'My_Job')).toEqual([expect.stringContaining('name "My_Job" is not a DNS-1123 label')]);
  });

  it('rejects non-objects', () => {
    expect(jobProblems(() => 1, 'x')).toEqual(['the default export must be a job object with a run(ctx) function']);
    expect(jobProblems(null, 'x')).toHaveLength(1);
  });

  it('rejects namespaces on cluster-scoped resources and bad retry settings', () => {
    const problems = jobProblems(
      {
        run,
        retry: { retries: -1, backoff: 2 },
        resources: [{ group: '', version: 'v1', plural: 'namespaces', namespaced: false, verbs: ['get'], namespaces: ['a'] }],
      },
      'x',
    );
    expect(problems).toEqual([
      'retry.retries must be a whole number >= 0, got -1',
      'retry has unknown field "backoff"',
      'resources[0].namespaces only applies to namespaced resources',
    ]);
  });
});

describe('schedules', () => {
  it.each(['*/5 * * * *', '0 */6 * * *', '*/1 * * * * *', '@hourly', '@daily'])('accepts %s', (schedule) => {
    expect(scheduleProblem(schedule)).toBeUndefined();
  });

  it('names the bad field', () => {
    expect(scheduleProblem('0 25 * * *')).toMatch(/in the hour field "25"/);
    expect(scheduleProblem('0 0 * 13 *')).toMatch(/in the month field "13"/);
    expect(scheduleProblem('70 * * * * *')).toMatch(/in the second field "70"/);
  });

  it('requires 5 or 6 fields', () => {
    expect(scheduleProblem('* * *')).toMatch(/has 3 fields; expected 5/);
    expect(scheduleProblem('@sometimes')).toMatch(/schedule "@sometimes" is invalid/);
  });
});

describe('second-round job fields', () => {
  const ref = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

  it('a scheduled job name over 52 characters (its CronJob), or any over 58 (its "-once" Job), is refused', () => {
    expect(jobProblems({ run, schedule: '@hourly', name: 'a'.repeat(52) }, 'x')).toEqual([]);
    expect(jobProblems({ run, schedule: '@hourly', name: 'a'.repeat(53) }, 'x')).toEqual([
      `name "${'a'.repeat(53)}" is 53 characters; a scheduled job's name makes its CronJob's, which Kubernetes allows at most 52`,
    ]);
    expect(jobProblems({ run, name: 'a'.repeat(58) }, 'x')).toEqual([]);
    expect(jobProblems({ run, name: 'a'.repeat(59) }, 'x')[0]).toMatch(/its Job "<name>-once" would be over 63, so at most 58$/);
  });

  it('settings: names, descriptions, string defaults', () => {
    expect(jobProblems({ run, settings: { MAX_AGE: { description: 'x', default: '3', required: false } } }, 'x')).toEqual([]);
    expect(
      jobProblems(
        { run, settings: { 'max-age': { description: 'x' }, B: { default: 3 }, C: { description: 'c', requird: true } } },
        'x',
      ),
    ).toEqual([
      'setting "max-age" is not an environment variable name (letters, digits and _)',
      'setting B needs a description',
      'setting B: default must be a string (settings are environment variables), got 3',
      'setting C has unknown field "requird"',
    ]);
  });

  it('limits, rateLimit and shards', () => {
    expect(jobProblems({ run, limits: { writes: 0 }, rateLimit: { qps: 0.5, burst: 1 }, shards: 4 }, 'x')).toEqual([]);
    expect(jobProblems({ run, limits: { writes: -1, deletes: 2 }, rateLimit: { qps: 0, burst: 1.5 }, shards: 0 }, 'x')).toEqual([
      'shards must be a whole number >= 1, got 0',
      'limits has unknown field "deletes"',
      'limits.writes must be a whole number >= 0, got -1',
      'rateLimit.qps must be a number > 0, got 0',
      'rateLimit.burst must be a whole number >= 1, got 1.5',
    ]);
  });

  it('names cannot limit list or create; subresources are status only', () => {
    expect(
      jobProblems({ run, resources: [{ ...ref, verbs: ['get', 'patch'], names: ['a'], subresources: ['status'] }] }, 'x'),
    ).toEqual([]);
    expect(jobProblems({ run, resources: [{ ...ref, verbs: ['list'], names: ['a'] }] }, 'x')).toEqual([
      "resources[0].names cannot limit 'list' or 'create' (RBAC resourceNames does not apply to them): declare those verbs in a declaration of their own",
    ]);
    expect(jobProblems({ run, resources: [{ ...ref, verbs: ['get'], names: [] }] }, 'x')).toEqual([
      'resources[0].names must be a non-empty list of object names',
    ]);
    expect(jobProblems({ run, resources: [{ ...ref, verbs: ['get'], subresources: ['scale'] }] }, 'x')).toEqual([
      'resources[0].subresources has unknown subresource "scale" (known: status)',
    ]);
  });

  it('resources may be a function of the settings: checked once called', async () => {
    const { validateJob } = await import('../../src/job-validate.js');
    const job = {
      run,
      settings: { NS: { description: 'namespace', default: 'a' } },
      resources: (s: { NS: string }) => [{ ...ref, verbs: ['list'], namespaces: [s.NS] }],
    };
    expect(validateJob(job, 'x', undefined, undefined, { set: { NS: 'team-b' } }).resources).toEqual([
      { ...ref, verbs: ['list'], namespaces: ['team-b'] },
    ]);
    expect(() => validateJob(job, 'x', 'jobs/x.ts', undefined, { set: { NS: 'Not A Namespace' } })).toThrow(
      'jobs/x.ts: invalid job: resources[0].namespaces has invalid namespace "Not A Namespace"',
    );
    const throwing = {
      ...job,
      resources: () => {
        throw new Error('bad resource');
      },
    };
    expect(() => validateJob(throwing, 'x', 'jobs/x.ts')).toThrow('jobs/x.ts: job "x": resources(settings) failed: bad resource');
  });
});

describe('timeouts Node can hold', () => {
  it('timeoutSeconds beyond about 24 days is refused (a longer timer fires at once)', () => {
    expect(jobProblems({ run, timeoutSeconds: 2_147_483 }, 'x')).toEqual([]);
    expect(jobProblems({ run, timeoutSeconds: 3_000_000 }, 'x')).toEqual([
      "timeoutSeconds must be at most 2147483 (about 24 days: Node's timers hold no more)",
    ]);
  });
});
