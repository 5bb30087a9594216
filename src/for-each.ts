import { toError } from './errors.js';
import type { ForEachOptions, ForEachResult } from './job.js';

/** `ctx.forEach` concurrency when the job does not set one. */
export const DEFAULT_CONCURRENCY = 8;

/**
 * Calls `fn` for each item of `items` with at most `concurrency` calls in
 * flight, pulling the next item only when a slot is free (so a list is still
 * read page by page, never all at once). `onError: 'abort'` (default): the
 * first failure stops taking new items, waits for those in flight and throws
 * it; `'collect'`: every item is tried and the failures are returned. An abort
 * of `signal` (deadline, SIGTERM) stops taking items and throws its reason.
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
      const item = next.value;
      const i = index++;
      // biome-ignore lint/style/useConst: the task removes itself from inFlight when it settles
      let task: Promise<void> = Promise.resolve();
      task = (async () => {
        try {
          await fn(item, i);
        } catch (error) {
          const err = toError(error);
          failures.push({ item, error: err });
          if (onError === 'abort') firstError ??= err;
        } finally {
          processed++;
          inFlight.delete(task);
        }
      })();
      inFlight.add(task);
    }
    await Promise.all(inFlight);
    signal.throwIfAborted();
  } finally {
    if (!done) await iterator.return?.();
  }
  if (firstError !== undefined) throw firstError;
  return { processed, failures };
}
