import { parseArgs } from 'node:util';
import { CLUSTER_OPTIONS, type CliIo, clusterConfig, parseSeconds, UsageError } from './cli-io.js';
import { DEFAULT_JOBS_DIR, loadJob } from './job-loader.js';
import { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from './log.js';
import { runJob } from './run.js';

/** `kubepoll run <job|path>`: runs a job once; the exit code is the run's. */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CLUSTER_OPTIONS, ...RUN_OPTIONS, timeout: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one job name or path, e.g. "kubepoll run my-job"');
  const timeoutSeconds = parseSeconds(values.timeout, '--timeout');
  const { logger, dryRun, requestTimeoutMs } = runSettings(values, io);

  const job = await loadJob(positionals[0] as string, values.jobs ?? DEFAULT_JOBS_DIR);
  const config = await clusterConfig(values, io);
  const report = await runJob(job, {
    config,
    logger,
    dryRun,
    timeoutSeconds,
    signal: io.interrupt,
    requestTimeoutMs,
  });
  return report.exitCode;
}

/** The `parseArgs` options of every command that runs jobs (`run`, `schedule`). */
export const RUN_OPTIONS = {
  'dry-run': { type: 'boolean' },
  'request-timeout': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

/** Checks the run options and turns them into what every run takes: the logger, dry run and request timeout. */
export function runSettings(
  values: {
    'dry-run'?: boolean | undefined;
    'request-timeout'?: string | undefined;
    'log-level'?: string | undefined;
    'log-format'?: string | undefined;
  },
  io: CliIo,
): { logger: Logger; dryRun: boolean; requestTimeoutMs: number | undefined } {
  const requestTimeout = parseSeconds(values['request-timeout'], '--request-timeout');
  const { level, format, colour } = logOptions(values['log-level'], values['log-format'], io);
  return {
    logger: createLogger({ level, format, colour }),
    dryRun: values['dry-run'] ?? false,
    requestTimeoutMs: requestTimeout === undefined ? undefined : requestTimeout * 1000,
  };
}

/** Checks `--log-level` and `--log-format` (default: pretty on a terminal, else JSON). */
function logOptions(
  levelFlag: string | undefined,
  formatFlag: string | undefined,
  io: CliIo,
): { level: LogLevel; format: LogFormat; colour: boolean } {
  const level = levelFlag ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  const format = formatFlag ?? (io.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${format}"`);
  return { level: level as LogLevel, format, colour: io.stdout.isTTY === true && !('NO_COLOR' in io.env) };
}
