import type { RequestDescription } from './api-error.js';
import { SafetyLimitError } from './errors.js';

/**
 * `limits.writes`: at most that many writes (create, patch, apply, delete,
 * event) in one run. The write that would exceed it throws a
 * `SafetyLimitError` before it is sent (exit 5), so one wrong label selector
 * cannot delete everything. Under `--dry-run` nothing throws: every write is
 * counted, so the run can say how many the real run would make and whether the
 * budget would stop it.
 */
export class WriteBudget {
  readonly limit: number | undefined;
  readonly #dryRun: boolean;
  /** Writes made (or, under dry run, that the real run would make). */
  used = 0;
  /** The error of the first write refused: the budget stopped this (real) run, even if the job caught it. */
  refusal: SafetyLimitError | undefined;

  constructor(limit: number | undefined, dryRun: boolean) {
    this.limit = limit;
    this.#dryRun = dryRun;
  }

  /** Whether the budget stopped the run (or, under dry run, would stop the real one). */
  get exceeded(): boolean {
    return this.refusal !== undefined || (this.limit !== undefined && this.used > this.limit);
  }

  take(request: RequestDescription): void {
    if (this.limit !== undefined && this.used >= this.limit && !this.#dryRun) {
      const what = `${request.verb} ${request.resource}${request.name ? ` "${request.name}"` : ''}`;
      const error = new SafetyLimitError(
        `write budget of ${this.limit} writes per run reached (limits.writes); not sent: ${what}. Raise limits.writes if this many writes is expected`,
      );
      this.refusal ??= error;
      throw error;
    }
    this.used++;
  }

  /** The `writeBudget` field of the `run finished` line, when there is a limit. */
  report(): { limit: number; writes: number; exceeded: boolean } | undefined {
    return this.limit === undefined ? undefined : { limit: this.limit, writes: this.used, exceeded: this.exceeded };
  }
}
