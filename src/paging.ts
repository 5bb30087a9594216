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
  /** What the list is, for log lines and errors: `list widgets.example.com in namespace a`. */
  what: string;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  retry?: RetryOptions | undefined;
}

/**
 * Every object of a list, page by page (`limit` and `continue`), with the next
 * page fetched while the job works on this one (read-ahead: memory stays about
 * two pages, and the sequential wait for the server overlaps the job's work).
 *
 * `fetchPage(token, signal)` sends one list request through the request
 * pipeline (so retries, rate limit and token refresh apply to each page).
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
export async function* listObjects(
  fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<ListPage>,
  options: PagingOptions,
): AsyncGenerator<KubeObject, void, undefined> {
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
  let lastKey: string | undefined; // the last object yielded
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
            `${options.what}: the server answered 410 Expired ${expiredWithoutProgress} times in a row without a new object; giving up`,
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
            { list: options.what, after: lastKey },
            'continue token expired (410); resuming with the inconsistent-continue token',
          );
          requested = error.continueToken;
        } else {
          log.warn(
            { list: options.what, after: lastKey },
            'continue token expired (410); restarting the list and skipping what was already seen',
          );
          requested = undefined;
          skipThrough = lastKey;
          seenTokens.clear();
        }
        pending = fetch(requested);
        continue;
      }
      const next = page.continueToken;
      if (next !== undefined) {
        if (seenTokens.has(next) || next === requested) {
          throw new ProtocolError(`${options.what}: the server returned a continue token it had already given (a paging loop)`);
        }
        seenTokens.add(next);
      }
      // Read ahead: the next page is on its way while the job works on this one.
      requested = next;
      pending = next === undefined ? undefined : fetch(next);

      emptyInARow = page.count === 0 ? emptyInARow + 1 : 0;
      if (emptyInARow > MAX_EMPTY_PAGES_IN_A_ROW) {
        throw new ProtocolError(
          `${options.what}: the server returned ${emptyInARow} empty pages in a row, each with a continue token`,
        );
      }
      for (let i = 0; i < page.count; i++) {
        const item = page.item(i);
        const key = objectKey(item);
        if (skipThrough !== undefined) {
          if (key <= skipThrough) continue;
          skipThrough = undefined;
        } else if (i === 0 && lastKey !== undefined && key <= lastKey) {
          throw new ProtocolError(
            `${options.what}: the server's next page starts at ${key}, not after ${lastKey} (lists are in key order; a paging loop?)`,
          );
        }
        lastKey = key;
        expiredWithoutProgress = 0;
        yield item;
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
