#!/usr/bin/env node
/**
 * The `kubepoll` command. The only module that reads `process.argv` and
 * `process.env`, installs signal handlers and sets the exit code.
 *
 * Errors found before a run starts (bad flag, unknown or invalid job, no
 * cluster config) are printed as one line on stderr and exit 2; once a run has
 * started, everything is in the JSON log and the `run finished` line is last.
 */
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { resolveClusterConfig } from './cluster-config.js';
import { ConfigError, InterruptedError, KubepollError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { DEFAULT_JOBS_DIR, loadJob } from './job-loader.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
import { runJob } from './run.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './transport.js';
import { VERSION } from './version.js';

const USAGE = `kubepoll ${VERSION}: scheduled polling jobs for Kubernetes

Usage:
  kubepoll run <job|path> [options]   run a job once

Options of run:
  --jobs DIR              folder of job modules (default ./${DEFAULT_JOBS_DIR})
  --kubeconfig PATH       use this kubeconfig instead of in-cluster config
  --context NAME          kubeconfig context (default: the current context)
  --namespace NAME        the run's namespace (default: service account's, context's, or "default")
  --dry-run               send writes with dryRun=All; nothing is changed
  --timeout SECONDS       deadline of the whole run (overrides the job's timeoutSeconds)
  --request-timeout SECONDS  per-request timeout (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})
  --log-level LEVEL       ${LOG_LEVELS.join(', ')} (default info)
  --log-format FORMAT     json or pretty (default: pretty on a terminal, else json)

  kubepoll --help | --version

Exit codes: 0 succeeded, 1 job failed, 2 usage or configuration error,
3 permanent API error (401, 403, unknown resource), 4 deadline exceeded,
130 / 143 interrupted by SIGINT / SIGTERM.`;

class UsageError extends ConfigError {
  override name = 'UsageError';
}

async function runCommand(args: string[], interrupt: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      jobs: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      'dry-run': { type: 'boolean' },
      timeout: { type: 'string' },
      'request-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one job name or path, e.g. "kubepoll run my-job"');
  const timeoutSeconds = seconds(values.timeout, '--timeout');
  const requestTimeout = seconds(values['request-timeout'], '--request-timeout');
  const level = values['log-level'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  const format = values['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${format}"`);

  const job = await loadJob(positionals[0] as string, values.jobs ?? DEFAULT_JOBS_DIR);
  const config = await resolveClusterConfig(
    { kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace },
    { env: process.env, homeDir: homedir() },
  );
  const logger = createLogger({ level: level as LogLevel, format: format as LogFormat });
  const report = await runJob(job, {
    config,
    logger,
    dryRun: values['dry-run'] ?? false,
    timeoutSeconds,
    signal: interrupt,
    requestTimeoutMs: requestTimeout === undefined ? undefined : requestTimeout * 1000,
  });
  return report.exitCode;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new UsageError(`${flag} must be a whole number of seconds >= 1, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal while the run winds down ends the process at once.
      if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm);
      interrupt.abort(new InterruptedError(signal));
    });
  }
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, interrupt.signal);
      case '--version':
      case '-v':
        process.stdout.write(`${VERSION}\n`);
        return ExitCode.Succeeded;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? ExitCode.Usage : ExitCode.Succeeded;
      default:
        throw new UsageError(`unknown command "${command}"; see kubepoll --help`);
    }
  } catch (error) {
    return reportStartupError(error, interrupt.signal);
  }
}

/** One line on stderr for anything that stops a run from starting; exit 2 (130/143 when interrupted). */
function reportStartupError(error: unknown, interrupt: AbortSignal): number {
  if (interrupt.aborted && interrupt.reason instanceof InterruptedError) {
    return interrupt.reason.signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm;
  }
  const code = (error as { code?: string }).code;
  if (error instanceof KubepollError) {
    process.stderr.write(`kubepoll: ${error.message}\n`);
    return ExitCode.Usage;
  }
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`kubepoll: ${(error as Error).message.split('\n')[0]}; see kubepoll --help\n`);
    return ExitCode.Usage;
  }
  process.stderr.write(`kubepoll: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.JobFailed;
}

process.exitCode = await main(process.argv.slice(2));
// Exit now rather than wait for timers or sockets a job may have left behind.
process.exit();
