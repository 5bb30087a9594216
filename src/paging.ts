import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import type { Clock } from './clock.js';
import { ProtocolError } from './errors.js';
import type { KubeObject, RetryOptions } from './job.js';
import type { ListPage } from './list-page.js';
import { backoffDelay, DEFAULT_RETRY } from './retry-policy.js';

/** A continue token's SHA-1, base64: what the loop check keeps of it. */
function tokenDigest(token: string): string {
  return createHash('sha1').update(token).digest('base64');
}

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

/** What a generator's prototype chain gives its objects: `[Symbol.asyncIterator]` and `[Symbol.asyncDispose]`. */
const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype) as object;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * Every object of a list, page by page (`limit` and `continue`), with the next
 * page fetched while the job works on this one (read-ahead: memory stays about
 * two pages, and the sequential wait for the server overlaps the job's work).
 *
 * `open()` is called when the job starts iterating (so a bad option is thrown
 * there, as from an async generator), and gives the list's `fetchPage` and `what`.
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
 *
 * It behaves as an async generator would (`next`, `return`, `throw`, calls
 * queued in order, `await using`), but it is not one: an object of the page in
 * hand is handed out with one resolved promise, where a generator's `yield`
 * costs several microtask turns per object (measured in bench/: about 0.5 µs of
 * the 1 µs per object the generator took). Pages are awaited in `#nextPage`.
 */
export function listObjects(open: () => ListRequest, options: PagingOptions): AsyncGenerator<KubeObject, void, undefined> {
  const list = new PagedList(open, options);
  return Object.assign(Object.create(AsyncIteratorPrototype) as object, {
    next: () => list.next(),
    return: (value?: unknown) => list.return(value),
    throw: (error?: unknown) => list.throw(error),
  }) as AsyncGenerator<KubeObject, void, undefined>;
}

class PagedList {
  readonly #open: () => ListRequest;
  readonly #options: PagingOptions;
  #state: 'new' | 'open' | 'done' = 'new';
  // Set by #start:
  #what = '';
  #fetchPage: ListRequest['fetchPage'] = () => Promise.reject(new Error('not opened'));
  #select: ListRequest['select'];
  /** Aborts the read-ahead request when the job stops iterating early. */
  #stop: AbortController | undefined;
  #signal: AbortSignal | undefined;
  /** Digests of the continue tokens seen: a fixed 20 bytes each, however long a hostile server makes its tokens. */
  readonly #seenTokens = new Set<string>();
  /** The continue token of the request in flight. */
  #requested: string | undefined;
  #pending: Promise<ListPage> | undefined;
  /** The page being handed out, and the index of its next item. */
  #page: ListPage | undefined;
  #index = 0;
  // The last object read: its namespace and name, kept as read (its key, `objectKey`, is built only when needed).
  #seenAny = false;
  #lastNamespace: unknown;
  #lastName: unknown;
  /** After a restart: what was already yielded. */
  #skipThrough: string | undefined;
  #expiredWithoutProgress = 0;
  #emptyInARow = 0;
  /** The last call that had to wait (for a page), so calls made meanwhile run after it, in order. */
  #tail: Promise<unknown> | undefined;

  constructor(open: () => ListRequest, options: PagingOptions) {
    this.#open = open;
    this.#options = options;
  }

  next(): Promise<IteratorResult<KubeObject>> {
    return this.#queue(() => this.#step());
  }

  return(value?: unknown): Promise<IteratorResult<KubeObject>> {
    return this.#queue(() => {
      this.#finish();
      return Promise.resolve({ value, done: true } as IteratorReturnResult<undefined>);
    });
  }

  throw(error?: unknown): Promise<IteratorResult<KubeObject>> {
    return this.#queue(() => {
      this.#finish();
      return Promise.reject(error);
    });
  }

  /** Runs `call` now, or after the call that is waiting for a page. */
  #queue(call: () => Promise<IteratorResult<KubeObject>>): Promise<IteratorResult<KubeObject>> {
    const tail = this.#tail;
    if (tail === undefined) return call();
    const result = tail.then(call, call);
    this.#track(result);
    return result;
  }

  /** Calls made from now on wait for `result`. */
  #track<T>(result: Promise<T>): Promise<T> {
    this.#tail = result;
    const clear = () => {
      if (this.#tail === result) this.#tail = undefined;
    };
    result.then(clear, clear);
    return result;
  }

  #step(): Promise<IteratorResult<KubeObject>> {
    if (this.#state === 'done') return Promise.resolve(DONE);
    try {
      if (this.#state === 'new') this.#start();
      const item = this.#take();
      if (item !== undefined) return Promise.resolve({ value: item, done: false });
    } catch (error) {
      this.#finish();
      return Promise.reject(error);
    }
    return this.#track(this.#waitForItem());
  }

  async #waitForItem(): Promise<IteratorResult<KubeObject>> {
    try {
      for (;;) {
        if (!(await this.#nextPage())) {
          this.#finish();
          return DONE;
        }
        const item = this.#take();
        if (item !== undefined) return { value: item, done: false };
      }
    } catch (error) {
      this.#finish();
      throw error;
    }
  }

  #start(): void {
    const { what, fetchPage, select } = this.#open();
    this.#what = what;
    this.#fetchPage = fetchPage;
    this.#select = select;
    this.#stop = new AbortController();
    this.#signal = AbortSignal.any([this.#options.signal, this.#stop.signal]);
    this.#state = 'open';
    this.#pending = this.#fetch(undefined);
  }

  #finish(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#page = undefined;
    this.#pending = undefined;
    this.#stop?.abort(new Error('list iteration ended'));
  }

  #fetch(token: string | undefined): Promise<ListPage> {
    const page = this.#fetchPage(token, this.#signal as AbortSignal);
    page.catch(() => {}); // awaited later; a read-ahead left behind must not be an unhandled rejection
    return page;
  }

  #lastKey(): string | undefined {
    return this.#seenAny ? `${this.#lastNamespace ?? ''}/${this.#lastName ?? ''}` : undefined;
  }

  /** The next object of the page in hand that the job gets, or `undefined` when the page is used up. */
  #take(): KubeObject | undefined {
    const page = this.#page;
    if (page === undefined) return undefined;
    const count = page.count;
    while (this.#index < count) {
      const i = this.#index++;
      const item = page.item(i);
      if (this.#skipThrough !== undefined || (i === 0 && this.#seenAny)) {
        const key = objectKey(item);
        if (this.#skipThrough !== undefined) {
          if (key <= this.#skipThrough) continue;
          this.#skipThrough = undefined;
        } else if (key <= (this.#lastKey() as string)) {
          throw new ProtocolError(
            `${this.#what}: the server's next page starts at ${key}, not after ${this.#lastKey()} (lists are in key order; a paging loop?)`,
          );
        }
      }
      const metadata = item.metadata;
      this.#lastNamespace = metadata?.namespace;
      this.#lastName = metadata?.name;
      this.#seenAny = true;
      this.#expiredWithoutProgress = 0;
      const selected = this.#select === undefined ? item : this.#select(item);
      if (selected !== undefined) return selected;
    }
    this.#page = undefined;
    return undefined;
  }

  /** Waits for the next page and makes it the page in hand (starting the read-ahead); `false` at the end of the list. */
  async #nextPage(): Promise<boolean> {
    const { log, clock } = this.#options;
    const what = this.#what;
    while (this.#pending !== undefined) {
      let page: ListPage;
      try {
        page = await this.#pending;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 410 && this.#requested !== undefined)) throw error;
        this.#expiredWithoutProgress++;
        if (this.#expiredWithoutProgress > MAX_EXPIRED_WITHOUT_PROGRESS) {
          throw new ProtocolError(
            `${what}: the server answered 410 Expired ${this.#expiredWithoutProgress} times in a row without a new object; giving up`,
            { cause: error },
          );
        }
        if (this.#expiredWithoutProgress > 1) {
          await clock.sleep(
            backoffDelay(this.#expiredWithoutProgress - 2, { ...DEFAULT_RETRY, ...this.#options.retry }, clock.random()),
            this.#signal as AbortSignal,
          );
        }
        if (error.continueToken) {
          log.warn(
            { list: what, after: this.#lastKey() },
            'continue token expired (410); resuming with the inconsistent-continue token',
          );
          this.#requested = error.continueToken;
        } else {
          log.warn(
            { list: what, after: this.#lastKey() },
            'continue token expired (410); restarting the list and skipping what was already seen',
          );
          this.#requested = undefined;
          this.#skipThrough = this.#lastKey();
          this.#seenTokens.clear();
        }
        this.#pending = this.#fetch(this.#requested);
        continue;
      }
      if (this.#state === 'done') return false; // returned while the page was on its way
      const next = page.continueToken;
      if (next !== undefined) {
        const digest = tokenDigest(next);
        if (this.#seenTokens.has(digest) || next === this.#requested) {
          throw new ProtocolError(`${what}: the server returned a continue token it had already given (a paging loop)`);
        }
        this.#seenTokens.add(digest);
      }
      // Read ahead: the next page is on its way while the job works on this one.
      this.#requested = next;
      this.#pending = next === undefined ? undefined : this.#fetch(next);
      // Let it go out before the job starts on this page. undici writes a request on a kept-alive connection
      // only after a turn of the event loop (it first checks the idle socket, in a setImmediate), and a job
      // that consumes items without waiting for I/O never gives it one: the request would leave only when
      // the page is done, and read-ahead would save nothing. Two turns: the first lets the request reach
      // undici, whose check runs after it; the second comes after that check. (Measured in bench/: the
      // request then leaves within 0.1 ms of being made, instead of after the page.)
      if (this.#pending !== undefined) {
        await yieldToEventLoop();
        await yieldToEventLoop();
      }
      this.#emptyInARow = page.count === 0 ? this.#emptyInARow + 1 : 0;
      if (this.#emptyInARow > MAX_EMPTY_PAGES_IN_A_ROW) {
        throw new ProtocolError(
          `${what}: the server returned ${this.#emptyInARow} empty pages in a row, each with a continue token`,
        );
      }
      this.#page = page;
      this.#index = 0;
      return true;
    }
    return false;
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
