import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which run the code now running belongs to. Every run executes its job inside
 * `withinRun`, and async context follows timers and promises the job starts, so
 * the CLI's process-level handlers (`uncaughtException`, `unhandledRejection`,
 * a trapped `process.exit`) can end the run that caused them as failed while
 * `kubepoll schedule` goes on with the others.
 */
export interface RunHandle {
  readonly job: string;
  readonly runId: string;
  /** Ends the run with `error` (as failed); a no-op once the run has finished. */
  fail(error: Error): void;
  /** True once the run has written its `run finished` line. */
  readonly finished: boolean;
}

const scope = new AsyncLocalStorage<RunHandle>();

/** The run the caller is part of, if any. */
export function currentRun(): RunHandle | undefined {
  return scope.getStore();
}

export function withinRun<T>(handle: RunHandle, fn: () => T): T {
  return scope.run(handle, fn);
}
