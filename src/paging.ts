import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import type { Clock } from './clock.js';
import { ProtocolError } from './errors.js';
import type { KubeObject, RetryOptions } from './job.js';
import type { ListPage } from './list-page.js';
import { backoffDelay, DEFAULT_RETRY } from './retry-policy.js';

/** Page size of `ctx.list` when the job does not set `limit`. */
export const DEFAULT_PAGE_SIZE = 500;
/** 410s in a row without a new object yielded before the list gives up. */
export const MAX_EXPIRED_WITHOUT_PROGRESS = 5;
/** Empty pages in a row (each with a continue token) before the list gives up. */
export const MAX_EMPTY_PAGES_IN_A_ROW = 100;

export interface PagingOptions {
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  retry?: RetryOptions | undefined;
}

/** One list, as the caller opens it when the job starts iterating. */
export interface ListRequest {
  /** What the list is, for log lines and errors: `list widgets.example.com in namespace a`. */
  what: string;
  /** Sends one list request (through the request pipeline, so retries, rate limit and token refresh apply). */
  fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<ListPage>;
  /**
   * What the job gets for each object, or `undefined` to leave it out (another
   * shard's); called as the job consumes the list. Done here rather than in a
   * generator around this one: each async generator layer costs about a
   * microsecond per object (measured in bench/).
   */
  select?: ((item: KubeObject) => KubeObject | undefined) | undefined;
}

/**
 * Every object of a list, page by page (`limit` and `continue`), with the next
 * page fetched while the job works on this one (read-ahead: memory stays about
 * two pages, and the sequential wait for the server overlaps the job's work).
 *
 * `open()` is called when the job starts iterating (so a bad option is thrown
 * there, as from any async generator), and gives the list's `fetchPage` and `what`.
 *
 * `410 Expired` on a continued list: resume with the inconsistent-continue
 * token from the Status, or, without one, restart the list and skip what was
 * already yielded (lists are in storage-key order, `namespace/name`), so no
 * object is yielded twice. 410s that bring no new object are bounded
 * (`MAX_EXPIRED_WITHOUT_PROGRESS`) and backed off with the retry schedule.
 *
 * A server that loops is detected rather than followed: a continue token it
 * already gave, a page that starts at or before where the previous one ended,
 * and a long run of empty pages are `ProtocolError`s.
 */
export async function* listObjects(open: () => ListRequest, options: PagingOptions): AsyncGenerator<KubeObject, void, undefined> {
  const { what, fetchPage, select } = open();
  const { log, clock } = options;
  // Aborts the read-ahead request when the job stops iterating early.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const fetch = (token: string | undefined): Promise<ListPage> => {
    const page = fetchPage(token, signal);
    page.catch(() => {}); // awaited later; a read-ahead left behind must not be an unhandled rejection
    return page;
  };
  const seenTokens = new Set<string>();
  let requested: string | undefined; // the continue token of the request in flight
  let pending: Promise<ListPage> | undefined = fetch(undefined);
  // The last object read: its namespace and name, kept as read (its key, `objectKey`, is built only when needed).
  let seenAny = false;
  let lastNamespace: unknown;
  let lastName: unknown;
  const lastKey = () => (seenAny ? `${lastNamespace ?? ''}/${lastName ?? ''}` : undefined);
  let skipThrough: string | undefined; // after a restart: what was already yielded
  let expiredWithoutProgress = 0;
  let emptyInARow = 0;
  try {
    while (pending !== undefined) {
      let page: ListPage;
      try {
        page = await pending;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 410 && requested !== undefined)) throw error;
        expiredWithoutProgress++;
        if (expiredWithoutProgress > MAX_EXPIRED_WITHOUT_PROGRESS) {
          throw new ProtocolError(
            `${what}: the server answered 410 Expired ${expiredWithoutProgress} times in a row without a new object; giving up`,
            { cause: error },
          );
        }
        if (expiredWithoutProgress > 1) {
          await clock.sleep(
            backoffDelay(expiredWithoutProgress - 2, { ...DEFAULT_RETRY, ...options.retry }, clock.random()),
            signal,
          );
        }
        if (error.continueToken) {
          log.warn(
            { list: what, after: lastKey() },
            'continue token expired (410); resuming with the inconsistent-continue token',
          );
          requested = error.continueToken;
        } else {
          log.warn(
            { list: what, after: lastKey() },
            'continue token expired (410); restarting the list and skipping what was already seen',
          );
          requested = undefined;
          skipThrough = lastKey();
          seenTokens.clear();
        }
        pending = fetch(requested);
        continue;
      }
      const next = page.continueToken;
      if (next !== undefined) {
        if (seenTokens.has(next) || next === requested) {
          throw new ProtocolError(`${what}: the server returned a continue token it had already given (a paging loop)`);
        }
        seenTokens.add(next);
      }
      // Read ahead: the next page is on its way while the job works on this one.
      requested = next;
      pending = next === undefined ? undefined : fetch(next);
      // Let it go out before the job starts on this page. undici writes a request on a kept-alive connection
      // only after a turn of the event loop (it first checks the idle socket, in a setImmediate), and a job
      // that consumes items without waiting for I/O never gives it one: the request would leave only when
      // the page is done, and read-ahead would save nothing. Two turns: the first lets the request reach
      // undici, whose check runs after it; the second comes after that check. (Measured in bench/: the
      // request then leaves within 0.1 ms of being made, instead of after the page.)
      if (pending !== undefined) {
        await yieldToEventLoop();
        await yieldToEventLoop();
      }

      emptyInARow = page.count === 0 ? emptyInARow + 1 : 0;
      if (emptyInARow > MAX_EMPTY_PAGES_IN_A_ROW) {
        throw new ProtocolError(`${what}: the server returned ${emptyInARow} empty pages in a row, each with a continue token`);
      }
      const count = page.count;
      for (let i = 0; i < count; i++) {
        const item = page.item(i);
        if (skipThrough !== undefined || (i === 0 && seenAny)) {
          const key = objectKey(item);
          if (skipThrough !== undefined) {
            if (key <= skipThrough) continue;
            skipThrough = undefined;
          } else if (key <= (lastKey() as string)) {
            throw new ProtocolError(
              `${what}: the server's next page starts at ${key}, not after ${lastKey()} (lists are in key order; a paging loop?)`,
            );
          }
        }
        const metadata = item.metadata;
        lastNamespace = metadata?.namespace;
        lastName = metadata?.name;
        seenAny = true;
        expiredWithoutProgress = 0;
        if (select === undefined) yield item;
        else {
          const selected = select(item);
          if (selected !== undefined) yield selected;
        }
      }
    }
  } finally {
    stop.abort(new Error('list iteration ended'));
  }
}

/**
 * The order key of a listed object, as the API server orders lists (by its
 * storage key, `<namespace>/<name>`): used to skip what was already yielded
 * when an expired list has to start again, and to notice a page served twice.
 */
export function objectKey(item: KubeObject): string {
  return `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
}
