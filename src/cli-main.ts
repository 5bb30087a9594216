/**
 * The `kubepoll` command. The only module that reads `process.argv` and
 * `process.env`, installs signal and process-level error handlers and sets
 * the exit code; commands get a `CliIo` and return their exit code.
 *
 * Errors found before a run starts (bad flag, unknown or invalid job, no
 * cluster config) are printed as one line on stderr and exit 2; once a run has
 * started, everything is in the JSON log and the `run finished` line is last.
 *
 * A job's own mistakes end its run, not the process: an exception thrown in a
 * timer, an unhandled rejection or a call to `process.exit()` inside a run is
 * attributed to that run (async context, `run-scope.ts`), which ends as
 * failed; `kubepoll schedule` goes on with the other jobs.
 */
import { homedir } from 'node:os';
import { type CliIo, closest, UsageError } from './cli-io.js';
import { InterruptedError, JobExitError, KubepollError, toError } from './errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { SecretSet } from './redact.js';
import { currentRun, handledOutsideRuns } from './run-scope.js';
import { VERSION } from './version.js';

const USAGE = `kubepoll ${VERSION}: scheduled polling jobs for Kubernetes

Usage:
  kubepoll run <job|path> [options]      run a job once
  kubepoll schedule [job...] [options]   run jobs on their schedules until SIGTERM (--health-port, --leader-elect)
  kubepoll jobs [--jobs DIR] [-o table|json]
                                         jobs, schedules, settings, resources and next run times
  kubepoll manifests [job...] --image IMG [--mode cronjob|job|schedule] [--set K=V] [-n NS]
                                         ServiceAccount, RBAC and CronJob, Job or Deployment YAML
  kubepoll check [job...] [--as system:serviceaccount:NS:NAME] [-o table|json]
                                         preflight: config, API, token expiry, permissions
  kubepoll types <crd.yaml...> [--out F] TypeScript types and typed refs from CRDs
  kubepoll init [DIR]                    scaffold a project that uses kubepoll
  kubepoll dev [--fixtures GLOB]         a fake cluster from fixture files, to try jobs on
  kubepoll <command> --help              the options of a command
  kubepoll --help | --version

Exit codes: 0 succeeded, 1 job failed, 2 usage or configuration error,
3 permanent API error (401, 403, unknown resource), 4 deadline exceeded,
5 write budget reached (limits.writes), 130 / 143 interrupted by SIGINT / SIGTERM.`;

// Each command is loaded when it runs, so `kubepoll run` does not pay for what
// only other commands use (yaml for manifests, prom-client for schedule).
const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  run: async (args, io) => (await import('./command-run.js')).runCommand(args, io),
  manifests: async (args, io) => (await import('./command-manifests.js')).manifestsCommand(args, io),
  check: async (args, io) => (await import('./command-check.js')).checkCommand(args, io),
  jobs: async (args, io) => (await import('./command-jobs.js')).jobsCommand(args, io),
  schedule: async (args, io) => (await import('./command-schedule.js')).scheduleCommand(args, io),
  types: async (args, io) => (await import('./command-types.js')).typesCommand(args, io),
  init: async (args, io) => (await import('./command-init.js')).initCommand(args, io),
  dev: async (args, io) => (await import('./command-dev.js')).devCommand(args, io),
};

const realExit = process.exit.bind(process);
const secrets = new SecretSet();

function installProcessHandlers(interrupt: AbortController): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal while the run winds down ends the process at once.
      if (interrupt.signal.aborted) realExit(signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm);
      interrupt.abort(new InterruptedError(signal));
    });
  }
  // Only the CLI ends the process: a job's process.exit() ends its run instead.
  process.exit = ((code?: number | string | null) => {
    const run = currentRun();
    if (run === undefined) return realExit(code);
    const error = new JobExitError(code);
    run.fail(error);
    throw error;
  }) as typeof process.exit;
  const onStray = (thrown: unknown) => {
    const error = toError(thrown);
    const run = currentRun();
    if (run !== undefined) {
      run.fail(error);
      return;
    }
    if (handledOutsideRuns(error)) return;
    process.stderr.write(`kubepoll: internal error: ${secrets.scrub(error.stack ?? error.message)}\n`);
    realExit(ExitCode.JobFailed);
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
}

async function main(argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  installProcessHandlers(interrupt);
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    homeDir: homedir(),
    interrupt: interrupt.signal,
    secrets,
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
    if (!handler) {
      const guess = closest(command, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${command}"${guess ? `; did you mean "${guess}"?` : ''} (see kubepoll --help)`);
    }
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
  if (error instanceof KubepollError) {
    process.stderr.write(`kubepoll: ${secrets.scrub(error.message.split('\n')[0] ?? '')}\n`);
    return exitCodeFor(error);
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`kubepoll: internal error: ${secrets.scrub(text)}\n`);
  return ExitCode.JobFailed;
}

process.exitCode = await main(process.argv.slice(2));
// Exit now rather than wait for timers or sockets a job may have left behind.
realExit();
