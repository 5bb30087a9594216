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
