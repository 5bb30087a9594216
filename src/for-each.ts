import { toError } from './errors.js';
import type { ForEachOptions, ForEachResult } from './job.js';

/** `ctx.forEach` concurrency when the job does not set one. */
export const DEFAULT_CONCURRENCY = 8;

/**
 * Calls `fn` for each item of `items` with at most `concurrency` calls in
 * flight, pulling the next item only when a slot is free (so a list is still
 * read page by page, never all at once). `onError: 'abort'` (default): the
 * first failure stops taking new items, waits for those in flight and throws
 * it; `'collect'`: every item is tried and the failures are returned. A source
 * that fails is thrown once the calls in flight have settled, too. An abort of
 * `signal` (deadline, SIGTERM) stops taking items and throws its reason at once
 * (the calls in flight have the same signal). Stopping early closes the source
 * (`return()`), so a list stops reading pages.
 *
 * @example
 * ```ts
 * const { failures } = await ctx.forEach(ctx.list(widgets), (w) => ctx.patch(widgets, w.metadata.name, { spec: { paused: true } }),
 *   { concurrency: 10, onError: 'collect' });
 * ```
 */
export async function forEach<I>(
  items: AsyncIterable<I> | Iterable<I>,
  fn: (item: I, index: number) => unknown,
  options: ForEachOptions,
  signal: AbortSignal,
): Promise<ForEachResult<I>> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`forEach concurrency must be a whole number >= 1, got ${concurrency}`);
  }
  const onError = options.onError ?? 'abort';
  if (onError !== 'abort' && onError !== 'collect')
    throw new TypeError(`forEach onError must be 'abort' or 'collect', got ${onError}`);
  const iterator: AsyncIterator<I> | Iterator<I> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<I>)[Symbol.iterator]();
  const inFlight = new Set<Promise<void>>();
  const failures: { item: I; error: Error }[] = [];
  let processed = 0;
  let index = 0;
  let firstError: Error | undefined;
  let done = false;
  const call = async (item: I, i: number): Promise<void> => {
    try {
      await fn(item, i);
    } catch (error) {
      const err = toError(error);
      failures.push({ item, error: err });
      if (onError === 'abort') firstError ??= err;
    } finally {
      processed++;
    }
  };
  try {
    try {
      while (!done && firstError === undefined) {
        signal.throwIfAborted();
        if (inFlight.size >= concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        // Reading the next item takes time (a list page): a failure or an abort meanwhile starts nothing more.
        if (firstError !== undefined) break;
        signal.throwIfAborted();
        // `call` runs `fn` at once (so the item is not read ahead); the slot is freed when it settles,
        // even when `fn` throws synchronously.
        const task = call(next.value, index++);
        inFlight.add(task);
        void task.then(() => inFlight.delete(task));
      }
    } catch (error) {
      // A failing source: the calls in flight are real writes, so they finish first. An abort does not
      // wait: the calls in flight were given the same signal.
      if (!signal.aborted) await Promise.all(inFlight);
      throw error;
    }
    await Promise.all(inFlight);
    signal.throwIfAborted();
  } finally {
    if (!done) await iterator.return?.();
  }
  if (firstError !== undefined) throw firstError;
  return { processed, failures };
}
