import path from 'node:path';
import { resourceName } from './api-path.js';
import { type CliIo, parseCommand, parseOutput, UsageError } from './cli-io.js';
import { JobLoadError } from './errors.js';
import { ExitCode } from './exit-codes.js';
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
  settings?: { name: string; description: string; default?: string; required?: boolean; value?: string }[];
  nextRuns?: string[];
  error?: string;
}

const USAGE = `Usage: kubepoll jobs [--jobs DIR] [-o table|json]

Lists every job module in the jobs folder (default ./jobs) with its schedule, time
zone, next three run times, settings (value from the environment, or default) and
declared resources. A module that does not load is listed as INVALID (exit 2).`;

/**
 * `kubepoll jobs [--jobs DIR] [--output table|json]`: every job module with its
 * schedule, time zone, settings, declared resources and next three run times;
 * invalid modules are listed with their error, and make the exit code 2.
 */
export async function jobsCommand(args: string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const parsed = parseCommand(
    args,
    { command: 'jobs', usage: USAGE, options: { jobs: { type: 'string' }, output: { type: 'string', short: 'o' } } },
    io,
  );
  if (!parsed) return ExitCode.Succeeded;
  const { values } = parsed;
  const output = parseOutput(values.output);
  const dir = path.resolve(values.jobs ?? DEFAULT_JOBS_DIR);
  const files = await listJobFiles(dir).catch(() => {
    throw new UsageError(`jobs folder ${dir} does not exist (set --jobs)`);
  });
  const rows: JobRow[] = [];
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    try {
      const job = await loadJobFile(file, { env: io.env, allowMissing: true });
      const row: JobRow = {
        name: job.name,
        file: shown,
        resources: job.missingSettings
          ? [`(depend on ${job.missingSettings.join(', ')}, which ${job.missingSettings.length > 1 ? 'are' : 'is'} not set)`]
          : job.resources.map(describe),
      };
      const specs = Object.entries(job.settings ?? {});
      if (specs.length > 0) {
        row.settings = specs.map(([name, spec]) => ({
          name,
          description: spec.description,
          ...(spec.default === undefined ? {} : { default: spec.default }),
          ...(spec.required ? { required: true } : {}),
          ...(job.settingValues[name] === undefined ? {} : { value: job.settingValues[name] }),
        }));
      }
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
  return rows.some((r) => r.error) ? ExitCode.Usage : ExitCode.Succeeded;
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
  const header = ['JOB', 'SCHEDULE', 'TIME ZONE', 'NEXT RUNS', 'SETTINGS', 'RESOURCES'];
  const body = rows.map((r) =>
    r.error
      ? [r.name, 'INVALID', '', '', '', r.error]
      : [
          r.name,
          r.schedule ?? '(one-off)',
          r.timeZone ?? '',
          (r.nextRuns ?? []).join(', '),
          (r.settings ?? []).map((s) => `${s.name}=${s.value ?? (s.required ? '(required)' : '(unset)')}`).join(' ') || '-',
          (r.resources ?? []).join('; ') || '(none)',
        ],
  );
  return formatColumns([header, ...body]);
}
