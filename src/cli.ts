#!/usr/bin/env node
/**
 * The `kubepoll` command. The only module that reads `process.argv` and
 * `process.env`, installs signal handlers and sets the exit code; commands get
 * a `CliIo` and return their exit code.
 *
 * Errors found before a run starts (bad flag, unknown or invalid job, no
 * cluster config) are printed as one line on stderr and exit 2; once a run has
 * started, everything is in the JSON log and the `run finished` line is last.
 */
import { homedir } from 'node:os';
import { type CliIo, UsageError } from './cli-io.js';
import { InterruptedError, KubepollError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { DEFAULT_JOBS_DIR } from './job-loader.js';
import { LOG_LEVELS } from './log.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './transport.js';
import { VERSION } from './version.js';

const USAGE = `kubepoll ${VERSION}: scheduled polling jobs for Kubernetes

Usage:
  kubepoll run <job|path> [options]      run a job once
  kubepoll manifests [job...] --image IMG [--namespace NS] [--once] [--jobs DIR]
                                         ServiceAccount, RBAC and CronJob (or Job) YAML
  kubepoll check [job...] [options] [--output table|json]
                                         preflight: config, API, token expiry, permissions
  kubepoll jobs [--jobs DIR] [--output table|json]
                                         jobs, schedules, resources and next run times
  kubepoll schedule [job...] [options] [--health-port PORT]
                                         run jobs on their schedules until SIGTERM
  kubepoll --help | --version

Options of run (schedule takes them too, but --timeout; check takes --jobs, --kubeconfig, --context, --namespace):
  --jobs DIR              folder of job modules (default ./${DEFAULT_JOBS_DIR})
  --kubeconfig PATH       use this kubeconfig instead of in-cluster config
  --context NAME          kubeconfig context (default: the current context)
  --namespace NAME        the run's namespace (default: service account's, context's, or "default")
  --dry-run               send writes with dryRun=All; nothing is changed
  --timeout SECONDS       deadline of the whole run (overrides the job's timeoutSeconds)
  --request-timeout SECONDS  per-request timeout (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})
  --log-level LEVEL       ${LOG_LEVELS.join(', ')} (default info)
  --log-format FORMAT     json or pretty (default: pretty on a terminal, else json)

Exit codes: 0 succeeded, 1 job failed, 2 usage or configuration error,
3 permanent API error (401, 403, unknown resource), 4 deadline exceeded,
130 / 143 interrupted by SIGINT / SIGTERM.`;

// Each command is loaded when it runs, so `kubepoll run` does not pay for what
// only other commands use (yaml for manifests, prom-client for schedule).
const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  run: async (args, io) => (await import('./command-run.js')).runCommand(args, io),
  manifests: async (args, io) => (await import('./command-manifests.js')).manifestsCommand(args, io),
  check: async (args, io) => (await import('./command-check.js')).checkCommand(args, io),
  jobs: async (args, io) => (await import('./command-jobs.js')).jobsCommand(args, io),
  schedule: async (args, io) => (await import('./command-schedule.js')).scheduleCommand(args, io),
};

async function main(argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal while the run winds down ends the process at once.
      if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm);
      interrupt.abort(new InterruptedError(signal));
    });
  }
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    homeDir: homedir(),
    interrupt: interrupt.signal,
  };
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return ExitCode.Succeeded;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? ExitCode.Usage : ExitCode.Succeeded;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command "${command}"; see kubepoll --help`);
    return await handler(rest, io);
  } catch (error) {
    return reportStartupError(error, interrupt.signal);
  }
}

/** One line on stderr for anything that stops a command before it runs; exit 2 (130/143 when interrupted). */
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
