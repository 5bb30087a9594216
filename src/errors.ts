/**
 * The error family. Every error kubepoll raises is a real `Error` with a stable
 * `code`, so the CLI can map it to an exit code and a log reader can group it.
 * Messages say what to fix; none of them ever carries a token.
 *
 * - `CONFIG`       no usable cluster config, bad flag value          → exit 2
 * - `JOB_LOAD`     unknown job, unreadable or invalid job module      → exit 2
 * - `ACCESS`       the job called something it did not declare        → exit 2
 * - `TLS`          the server's certificate does not verify            → exit 2
 * - `API`          the API server said no (see `ApiError`)            → exit 1 or 3
 * - `TRANSPORT`    the request never got a whole HTTP answer           → exit 1
 * - `PROTOCOL`     the answer is not what the Kubernetes API promises  → exit 1
 * - `JOB_EXIT`     the job called `process.exit`                       → exit 1
 * - `DEADLINE`     the run's deadline passed                          → exit 4
 * - `SAFETY_LIMIT` the run reached its write budget (`limits.writes`) → exit 5
 * - `INTERRUPTED`  SIGTERM / SIGINT                                   → exit 143 / 130
 */
export type ErrorCode =
  | 'CONFIG'
  | 'JOB_LOAD'
  | 'ACCESS'
  | 'TLS'
  | 'API'
  | 'TRANSPORT'
  | 'PROTOCOL'
  | 'JOB_EXIT'
  | 'DEADLINE'
  | 'SAFETY_LIMIT'
  | 'INTERRUPTED';

export abstract class KubepollError extends Error {
  abstract readonly code: ErrorCode;
}

/** No usable cluster config, or a bad option value. */
export class ConfigError extends KubepollError {
  override name = 'ConfigError';
  readonly code = 'CONFIG';
}

/** A job module could not be found, loaded or validated. */
export class JobLoadError extends KubepollError {
  override name = 'JobLoadError';
  readonly code = 'JOB_LOAD';
}

/** The job called a verb, resource or namespace its `resources` do not declare. */
export class AccessError extends KubepollError {
  override name = 'AccessError';
  readonly code = 'ACCESS';
}

/** The server's answer breaks the API's promises: a malformed list, a continue token that loops. */
export class ProtocolError extends KubepollError {
  override name = 'ProtocolError';
  readonly code = 'PROTOCOL';
}

/** The job called `process.exit()` during a run: the run ends as failed (and `kubepoll schedule` goes on). */
export class JobExitError extends KubepollError {
  override name = 'JobExitError';
  readonly code = 'JOB_EXIT';
  readonly exitCode: number | string | undefined;
  constructor(exitCode: number | string | null | undefined) {
    super(
      `the job called process.exit(${exitCode ?? ''}) during its run; return from run() (or throw) instead, so the run can end cleanly`,
    );
    this.exitCode = exitCode ?? undefined;
  }
}

/** The run reached a safety limit (`limits.writes`): the write was not sent. */
export class SafetyLimitError extends KubepollError {
  override name = 'SafetyLimitError';
  readonly code = 'SAFETY_LIMIT';
}

/** The run's deadline (`timeoutSeconds` or `--timeout`) passed. */
export class DeadlineError extends KubepollError {
  override name = 'DeadlineError';
  readonly code = 'DEADLINE';
}

/** The run was interrupted by a signal. */
export class InterruptedError extends KubepollError {
  override name = 'InterruptedError';
  readonly code = 'INTERRUPTED';
  readonly signal: 'SIGTERM' | 'SIGINT';
  constructor(signal: 'SIGTERM' | 'SIGINT', message = `interrupted by ${signal}`) {
    super(message);
    this.signal = signal;
  }
}

/** Turns anything thrown into an `Error`, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `non-error thrown: ${safeString(value)}`, { cause: value });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The first line of an error's message: for one-line errors that wrap another. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
