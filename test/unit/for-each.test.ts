import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, forEach } from '../../src/for-each.js';

const open = () => new AbortController().signal;
/** Lets every pending promise callback run (no timer, no real waiting). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise the test resolves or rejects by hand. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An async source of 0..count-1 that counts what was pulled and whether it was closed early. */
function source(count: number, options: { nextTicks?: number } = {}) {
  const state = { pulled: 0, returned: false };
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]() {
      return {
        async next() {
          for (let t = 0; t < (options.nextTicks ?? 0); t++) await Promise.resolve();
          if (state.pulled >= count) return { done: true, value: undefined };
          return { done: false, value: state.pulled++ };
        },
        async return() {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

/** `fn` whose calls stay in flight until the test settles them; records calls in flight at most. */
function heldCalls() {
  const calls = new Map<number, ReturnType<typeof deferred>>();
  const started: number[] = [];
  const state = { active: 0, maxActive: 0, settled: 0 };
  const fn = async (item: number) => {
    started.push(item);
    state.active++;
    state.maxActive = Math.max(state.maxActive, state.active);
    const call = deferred();
    calls.set(item, call);
    try {
      await call.promise;
    } finally {
      state.active--;
      state.settled++;
    }
  };
  return { fn, calls, started, state };
}

describe('forEach', () => {
  it('never has more than `concurrency` calls in flight, and uses them all', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: [number, number][] = [];
    const result = await forEach(
      Array.from({ length: 20 }, (_, i) => `item-${i}`),
      async (item, index) => {
        active++;
        maxActive = Math.max(maxActive, active);
        seen.push([Number(item.slice(5)), index]);
        for (let t = 0; t < 10 + (index % 4); t++) await Promise.resolve(); // finish out of order
        active--;
      },
      { concurrency: 3 },
      open(),
    );
    expect(maxActive).toBe(3);
    expect(result).toEqual({ processed: 20, failures: [] });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => [i, i])); // started in order, each with its index
  });

  it(`runs at most ${DEFAULT_CONCURRENCY} at once by default`, async () => {
    const held = heldCalls();
    const { iterable } = source(20);
    const done = forEach(iterable, held.fn, {}, open());
    await settle();
    expect(held.state.active).toBe(DEFAULT_CONCURRENCY);
    for (let i = 0; i < 20; i++) {
      held.calls.get(i)?.resolve();
      await settle();
    }
    await expect(done).resolves.toEqual({ processed: 20, failures: [] });
    expect(held.state.maxActive).toBe(DEFAULT_CONCURRENCY);
  });

  it('pulls an item only when a slot is free', async () => {
    const { iterable, state } = source(100);
    const held = heldCalls();
    let pulledAtFirstCall = -1;
    const done = forEach(
      iterable,
      (item) => {
        if (item === 0) pulledAtFirstCall = state.pulled;
        return held.fn(item);
      },
      { concurrency: 2 },
      open(),
    );
    await settle();
    expect(pulledAtFirstCall).toBe(1);
    expect(state.pulled).toBe(2);
    held.calls.get(0)?.resolve();
    await settle();
    expect(state.pulled).toBe(3);
    expect(held.started).toEqual([0, 1, 2]);
    for (let i = 1; i < 100; i++) {
      held.calls.get(i)?.resolve();
      await settle();
    }
    await expect(done).resolves.toEqual({ processed: 100, failures: [] });
    expect(state.pulled).toBe(100);
  });

  it("'abort': the first failure stops pulling, the calls in flight settle, then it is thrown", async () => {
    const { iterable, state } = source(10);
    const held = heldCalls();
    let outcome: unknown = 'pending';
    const done = forEach(iterable, held.fn, { concurrency: 2 }, open()).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    void done.then((value) => {
      outcome = value;
    });
    await settle();
    const failure = new Error('patch of item 1 failed');
    held.calls.get(1)?.reject(failure);
    await settle();
    expect(outcome).toBe('pending'); // item 0 is still in flight
    expect(held.started).toEqual([0, 1]);
    held.calls.get(0)?.resolve();
    expect(await done).toBe(failure);
    expect(held.started).toEqual([0, 1]);
    expect(state.pulled).toBe(2);
    expect(state.returned).toBe(true);
  });

  it("'abort': a failure while the next item is being read starts no further call", async () => {
    // The source answers after a few ticks (a list page on its way); item 0 fails meanwhile.
    const { iterable, state } = source(10, { nextTicks: 5 });
    const started: number[] = [];
    const failure = new Error('item 0');
    const done = forEach(
      iterable,
      async (item) => {
        started.push(item);
        if (item === 0) throw failure;
      },
      { concurrency: 4 },
      open(),
    );
    await expect(done).rejects.toBe(failure);
    expect(started).toEqual([0]);
    expect(state.returned).toBe(true);
  });

  it("'collect': tries every item and returns the failures", async () => {
    const result = await forEach(
      [1, 2, 3, 4, 5, 6],
      async (n) => {
        await Promise.resolve();
        if (n % 2 === 0) throw new Error(`even ${n}`);
        if (n === 5) throw 'not an Error';
      },
      { concurrency: 2, onError: 'collect' },
      open(),
    );
    expect(result.processed).toBe(6);
    expect(result.failures.map((f) => [f.item, f.error.message])).toEqual([
      [2, 'even 2'],
      [4, 'even 4'],
      [5, 'not an Error'],
      [6, 'even 6'],
    ]);
    expect(result.failures.every((f) => f.error instanceof Error)).toBe(true);
  });

  it('a call that throws synchronously frees its slot', async () => {
    const calls: number[] = [];
    const result = await forEach(
      [0, 1, 2],
      (n) => {
        calls.push(n);
        if (n === 0) throw new Error('sync');
      },
      { concurrency: 1, onError: 'collect' },
      open(),
    );
    expect(calls).toEqual([0, 1, 2]);
    expect(result.processed).toBe(3);
    expect(result.failures.map((f) => f.error.message)).toEqual(['sync']);
    await expect(forEach([0, 1], () => Promise.reject(new Error('x')), { concurrency: 1 }, open())).rejects.toThrow('x');
  });

  it('a failing source is thrown after the calls in flight settle', async () => {
    const broken = new Error('list failed: 500');
    let pulls = 0;
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        async next() {
          if (pulls++ === 0) return { done: false, value: 0 };
          throw broken;
        },
      }),
    };
    const held = heldCalls();
    let outcome: unknown = 'pending';
    const done = forEach(iterable, held.fn, { concurrency: 2 }, open()).catch((error: unknown) => error);
    void done.then((value) => {
      outcome = value;
    });
    await settle();
    expect(outcome).toBe('pending');
    held.calls.get(0)?.resolve();
    expect(await done).toBe(broken);
    expect(held.state.settled).toBe(1);
  });

  it("an abort of the signal stops it with the signal's reason and closes the source", async () => {
    const { iterable, state } = source(10);
    const held = heldCalls();
    const controller = new AbortController();
    const done = forEach(iterable, held.fn, { concurrency: 1, onError: 'collect' }, controller.signal).catch(
      (error: unknown) => error,
    );
    await settle();
    const reason = new Error('run exceeded its deadline');
    controller.abort(reason);
    held.calls.get(0)?.resolve();
    expect(await done).toBe(reason);
    expect(held.started).toEqual([0]);
    expect(state.returned).toBe(true);
  });

  it('an already aborted signal calls nothing', async () => {
    const { iterable, state } = source(10);
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    controller.abort(reason);
    const calls: number[] = [];
    await expect(forEach(iterable, (n) => calls.push(n), {}, controller.signal)).rejects.toBe(reason);
    expect(calls).toEqual([]);
    expect(state.pulled).toBe(0);
    expect(state.returned).toBe(true);
  });

  it('does not close a source it read to the end', async () => {
    const { iterable, state } = source(3);
    await forEach(iterable, () => undefined, {}, open());
    expect(state.returned).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses concurrency %s with a TypeError', async (concurrency) => {
    const { iterable, state } = source(3);
    await expect(forEach(iterable, () => undefined, { concurrency }, open())).rejects.toThrow(
      new TypeError(`forEach concurrency must be a whole number >= 1, got ${concurrency}`),
    );
    expect(state.pulled).toBe(0);
  });

  it('refuses an unknown onError with a TypeError', async () => {
    await expect(forEach([1], () => undefined, { onError: 'ignore' as unknown as 'collect' }, open())).rejects.toThrow(
      new TypeError("forEach onError must be 'abort' or 'collect', got ignore"),
    );
  });
});
