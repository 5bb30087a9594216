import path from 'node:path';
import { parseArgs } from 'node:util';
import { resourceName } from './api-path.js';
import { type CliIo, parseOutput, UsageError } from './cli-io.js';
import { JobLoadError } from './errors.js';
import type { ResourceDeclaration } from './job.js';
import { DEFAULT_JOBS_DIR, jobNameFromFile, listJobFiles, loadJobFile } from './job-loader.js';
import { nextRuns } from './schedule.js';
import { formatColumns } from './table.js';

interface JobRow {
  name: string;
  file: string;
  schedule?: string;
  timeZone?: string;
  resources?: string[];
  nextRuns?: string[];
  error?: string;
}

/**
 * `kubepoll jobs [--jobs DIR] [--output table|json]`: every job module with its
 * schedule, time zone, declared resources and next three run times; invalid
 * modules are listed with their error, and make the exit code 2.
 */
export async function jobsCommand(args: string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const { values } = parseArgs({ args, options: { jobs: { type: 'string' }, output: { type: 'string', short: 'o' } } });
  const output = parseOutput(values.output);
  const dir = path.resolve(values.jobs ?? DEFAULT_JOBS_DIR);
  const files = await listJobFiles(dir).catch(() => {
    throw new UsageError(`jobs folder ${dir} does not exist (set --jobs)`);
  });
  const rows: JobRow[] = [];
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    try {
      const job = await loadJobFile(file);
      const row: JobRow = { name: job.name, file: shown, resources: job.resources.map(describe) };
      if (job.schedule !== undefined) {
        row.schedule = job.schedule;
        row.timeZone = job.timeZone ?? 'Etc/UTC';
        row.nextRuns = nextRuns(job.schedule, job.timeZone, now(), 3).map((d) => d.toISOString().replace('.000Z', 'Z'));
      }
      rows.push(row);
    } catch (error) {
      if (!(error instanceof JobLoadError)) throw error;
      rows.push({ name: jobNameFromFile(file), file: shown, error: error.message });
    }
  }
  io.stdout.write(output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
  return rows.some((r) => r.error) ? 2 : 0;
}

function describe(d: ResourceDeclaration): string {
  const where = !d.namespaced
    ? 'cluster'
    : d.namespaces === '*'
      ? 'all namespaces'
      : d.namespaces
        ? d.namespaces.join(',')
        : 'own namespace';
  return `${resourceName(d)} [${d.verbs.join(',')}] (${where})`;
}

function table(rows: JobRow[]): string {
  if (rows.length === 0) return 'no job modules found\n';
  const header = ['JOB', 'SCHEDULE', 'TIME ZONE', 'NEXT RUNS', 'RESOURCES'];
  const body = rows.map((r) =>
    r.error
      ? [r.name, 'INVALID', '', '', r.error]
      : [
          r.name,
          r.schedule ?? '(one-off)',
          r.timeZone ?? '',
          (r.nextRuns ?? []).join(', '),
          (r.resources ?? []).join('; ') || '(none)',
        ],
  );
  return formatColumns([header, ...body]);
}
