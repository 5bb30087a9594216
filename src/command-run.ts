import {
  CLUSTER_OPTIONS,
  CLUSTER_USAGE,
  type CliIo,
  clusterConfig,
  parseCommand,
  parseSeconds,
  parseSets,
  parseWhole,
  SET_OPTION,
  UsageError,
} from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import type { RateLimit } from './job.js';
import { assertSetsDeclared, DEFAULT_JOBS_DIR, loadJob } from './job-loader.js';
import { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from './log.js';
import { DEFAULT_RATE_LIMIT } from './rate-limit.js';
import { type RunOptions, runJob } from './run.js';
import { shardFromEnv } from './shard.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './transport.js';

/** The `parseArgs` options of every command that runs jobs (`run`, `schedule`). */
export const RUN_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...SET_OPTION,
  'dry-run': { type: 'boolean' },
  'request-timeout': { type: 'string' },
  'max-response-mb': { type: 'string' },
  qps: { type: 'string' },
  burst: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  pushgateway: { type: 'string' },
} as const;

export const RUN_USAGE = `${CLUSTER_USAGE}
  --dry-run               send writes with dryRun=All and log what they would change; nothing is changed
  --request-timeout S     whole-request timeout: connect, headers and body (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})
  --max-response-mb N     largest response body accepted (default ${DEFAULT_MAX_RESPONSE_BYTES / 1048576})
  --qps N, --burst N      client-side rate limit of the run's requests (default: the job's, else ${DEFAULT_RATE_LIMIT.qps} / ${DEFAULT_RATE_LIMIT.burst})
  --pushgateway URL       push the run's metrics to a Prometheus Pushgateway (or KUBEPOLL_PUSHGATEWAY)
  --log-level LEVEL       ${LOG_LEVELS.join(', ')} (default info; the run finished line is always written)
  --log-format FORMAT     json or pretty (default: pretty on a terminal, else json)`;

const USAGE = `Usage: kubepoll run <job|path> [options]

Runs a job once; the exit code is the run's (0 succeeded, 1 failed, 2 usage or
configuration error, 3 permanent API error, 4 deadline exceeded, 5 write budget
reached, 130/143 interrupted).

Options:
${RUN_USAGE}
  --timeout SECONDS       deadline of the whole run (overrides the job's timeoutSeconds)`;

/** `kubepoll run <job|path>`: runs a job once; the exit code is the run's. */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    args,
    { command: 'run', usage: USAGE, options: { ...RUN_OPTIONS, timeout: { type: 'string' } }, positionals: true },
    io,
  );
  if (!parsed) return ExitCode.Succeeded;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('run takes exactly one job name or path, e.g. "kubepoll run my-job"');
  const timeoutSeconds = parseSeconds(values.timeout, '--timeout');
  const settings = runSettings(values, io);
  const set = parseSets(values.set);
  const job = await loadJob(positionals[0] as string, values.jobs ?? DEFAULT_JOBS_DIR, { set, env: io.env });
  assertSetsDeclared(set, [job]);
  const config = await clusterConfig(values, io);
  const report = await runJob(job, { ...settings.runOptions, config, timeoutSeconds, signal: io.interrupt });
  if (settings.pushgateway) {
    const { pushRunMetrics } = await import('./pushgateway.js');
    await pushRunMetrics(settings.pushgateway, report, settings.logger.child({ job: job.name, runId: report.runId }));
  }
  return report.exitCode;
}

type RunFlagValues = {
  'dry-run'?: boolean | undefined;
  'request-timeout'?: string | undefined;
  'max-response-mb'?: string | undefined;
  qps?: string | undefined;
  burst?: string | undefined;
  'log-level'?: string | undefined;
  'log-format'?: string | undefined;
  pushgateway?: string | undefined;
};

/**
 * Checks the run flags and turns them, and the pod's environment (shard, pod
 * name), into what every run takes.
 */
export function runSettings(
  values: RunFlagValues,
  io: CliIo,
): {
  logger: Logger;
  runOptions: Omit<RunOptions, 'config'>;
  pushgateway: string | undefined;
} {
  const requestTimeout = parseSeconds(values['request-timeout'], '--request-timeout');
  const maxResponseMb = parseWhole(values['max-response-mb'], '--max-response-mb', 1, 'MiB');
  const { level, format, colour } = logOptions(values['log-level'], values['log-format'], io);
  const logger = createLogger({ level, format, colour, secrets: io.secrets });
  const rateLimit: Partial<RateLimit> = {};
  if (values.qps !== undefined) {
    const qps = Number(values.qps);
    if (!(qps > 0) || !Number.isFinite(qps)) throw new UsageError(`--qps must be a number > 0, got "${values.qps}"`);
    rateLimit.qps = qps;
  }
  const burst = parseWhole(values.burst, '--burst', 1);
  if (burst !== undefined) rateLimit.burst = burst;
  const pushgateway = values.pushgateway ?? (io.env.KUBEPOLL_PUSHGATEWAY || undefined);
  if (pushgateway !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(pushgateway);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol)) {
      throw new UsageError('--pushgateway must be an http(s) URL such as http://pushgateway:9091');
    }
    // A password in the URL is a credential like the token: never in a log line.
    if (parsed.password) io.secrets.add(decodeURIComponent(parsed.password));
  }
  return {
    logger,
    pushgateway,
    runOptions: {
      logger,
      dryRun: values['dry-run'] ?? false,
      requestTimeoutMs: requestTimeout === undefined ? undefined : requestTimeout * 1000,
      maxResponseBytes: maxResponseMb === undefined ? undefined : maxResponseMb * 1048576,
      rateLimit,
      shard: shardFromEnv(io.env),
      podName: io.env.POD_NAME || undefined,
    },
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
