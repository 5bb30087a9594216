import { ApiError } from './api-error.js';
import { type ErrorCode, InterruptedError, KubepollError } from './errors.js';

/**
 * Exit codes: stable, documented in the README, and used by the generated
 * Job's podFailurePolicy (`FAIL_JOB_EXIT_CODES` fail the Job at once; 1 and 4
 * retry the pod).
 */
export const ExitCode = {
  Succeeded: 0,
  JobFailed: 1,
  Usage: 2,
  PermanentApiError: 3,
  DeadlineExceeded: 4,
  SafetyLimit: 5,
  SigInt: 130,
  SigTerm: 143,
} as const;

/** Exit codes after which retrying the pod cannot help: the generated podFailurePolicy fails the Job on them. */
export const FAIL_JOB_EXIT_CODES: readonly number[] = [ExitCode.Usage, ExitCode.PermanentApiError, ExitCode.SafetyLimit];

export type Outcome = 'succeeded' | 'failed' | 'timeout' | 'interrupted';

/** The one table from error code to exit code (API errors and signals are decided below). */
const EXIT_CODE_BY_ERROR: Readonly<Record<ErrorCode, number>> = {
  CONFIG: ExitCode.Usage,
  JOB_LOAD: ExitCode.Usage,
  ACCESS: ExitCode.Usage,
  TLS: ExitCode.Usage,
  API: ExitCode.JobFailed,
  TRANSPORT: ExitCode.JobFailed,
  PROTOCOL: ExitCode.JobFailed,
  JOB_EXIT: ExitCode.JobFailed,
  DEADLINE: ExitCode.DeadlineExceeded,
  SAFETY_LIMIT: ExitCode.SafetyLimit,
  INTERRUPTED: ExitCode.SigTerm,
};

/** The outcome named in the `run finished` line for a run that ended with `error` (or none). */
export function outcomeFor(error: unknown): Outcome {
  if (error === undefined) return 'succeeded';
  if (error instanceof KubepollError && error.code === 'DEADLINE') return 'timeout';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'failed';
}

/** The process exit code for a run (or command) that ended with `error` (or none). */
export function exitCodeFor(error: unknown): number {
  if (error === undefined) return ExitCode.Succeeded;
  if (error instanceof InterruptedError) return error.signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm;
  if (error instanceof ApiError) return error.permanent ? ExitCode.PermanentApiError : ExitCode.JobFailed;
  if (error instanceof KubepollError) return EXIT_CODE_BY_ERROR[error.code];
  return ExitCode.JobFailed;
}
