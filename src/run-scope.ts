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

let outsideRuns: ((error: Error) => boolean) | undefined;

/**
 * `kubepoll schedule`: an error thrown outside any run (a timer a job module
 * set at its top level) is given to `handler`, which logs it; returning true
 * keeps the process going. Without a handler such an error ends the process.
 */
export function onErrorOutsideRuns(handler: ((error: Error) => boolean) | undefined): void {
  outsideRuns = handler;
}

/** Whether an error outside any run was handled (and the process should go on). */
export function handledOutsideRuns(error: Error): boolean {
  return outsideRuns?.(error) ?? false;
}
