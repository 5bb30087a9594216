import { ApiError } from './api-error.js';
import { AccessError, ConfigError, DeadlineError, InterruptedError, JobLoadError } from './errors.js';

/**
 * Exit codes: stable, documented in the README, and used by the generated
 * CronJob's podFailurePolicy (2 and 3 fail the Job at once, 1 and 4 retry the pod).
 */
export const ExitCode = {
  Succeeded: 0,
  JobFailed: 1,
  Usage: 2,
  PermanentApiError: 3,
  DeadlineExceeded: 4,
  SigInt: 130,
  SigTerm: 143,
} as const;

export type Outcome = 'succeeded' | 'failed' | 'timeout' | 'interrupted';

/** The outcome named in the `run finished` line for a run that ended with `error` (or none). */
export function outcomeFor(error: unknown): Outcome {
  if (error === undefined) return 'succeeded';
  if (error instanceof DeadlineError) return 'timeout';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'failed';
}

/** The process exit code for a run that ended with `error` (or none). */
export function exitCodeFor(error: unknown): number {
  if (error === undefined) return ExitCode.Succeeded;
  if (error instanceof DeadlineError) return ExitCode.DeadlineExceeded;
  if (error instanceof InterruptedError) return error.signal === 'SIGINT' ? ExitCode.SigInt : ExitCode.SigTerm;
  if (error instanceof ConfigError || error instanceof JobLoadError || error instanceof AccessError) return ExitCode.Usage;
  if (error instanceof ApiError && error.permanent) return ExitCode.PermanentApiError;
  return ExitCode.JobFailed;
}
