import { describe, expect, it } from 'vitest';
import { SafetyLimitError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { WriteBudget } from '../../src/write-budget.js';

const del = (name: string) => ({ verb: 'delete', resource: 'widgets.example.com', namespace: 'ns', name });

describe('WriteBudget', () => {
  it('lets `limit` writes through and throws before the next one is sent', () => {
    const budget = new WriteBudget(3, false);
    for (const name of ['a', 'b', 'c']) budget.take(del(name));
    expect(budget.used).toBe(3);
    expect(budget.report()).toEqual({ limit: 3, writes: 3, exceeded: false });
    let error: unknown;
    try {
      budget.take(del('d'));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SafetyLimitError);
    expect(exitCodeFor(error)).toBe(5);
    expect((error as Error).message).toBe(
      'write budget of 3 writes per run reached (limits.writes); not sent: delete widgets.example.com "d". Raise limits.writes if this many writes is expected',
    );
    // The refused write is not counted as made, but the run was stopped by the budget.
    expect(budget.used).toBe(3);
    expect(budget.report()).toEqual({ limit: 3, writes: 3, exceeded: true });
  });

  it('keeps refusing once the budget is spent', () => {
    const budget = new WriteBudget(1, false);
    budget.take(del('a'));
    expect(() => budget.take(del('b'))).toThrow(SafetyLimitError);
    expect(() => budget.take({ verb: 'create', resource: 'configmaps' })).toThrow(/not sent: create configmaps\. Raise/);
    expect(budget.used).toBe(1);
  });

  it('a limit of 0 refuses the first write', () => {
    const budget = new WriteBudget(0, false);
    expect(() => budget.take(del('a'))).toThrow(SafetyLimitError);
    expect(budget.used).toBe(0);
  });

  it('without a limit counts every write and never throws', () => {
    const budget = new WriteBudget(undefined, false);
    for (let i = 0; i < 1000; i++) budget.take(del(`w${i}`));
    expect(budget.used).toBe(1000);
    expect(budget.exceeded).toBe(false);
    expect(budget.report()).toBeUndefined();
  });

  it('under dry run never throws, counts what the real run would send and says the budget would stop it', () => {
    const budget = new WriteBudget(2, true);
    budget.take(del('a'));
    budget.take(del('b'));
    expect(budget.report()).toEqual({ limit: 2, writes: 2, exceeded: false });
    budget.take(del('c'));
    budget.take(del('d'));
    expect(budget.used).toBe(4);
    expect(budget.exceeded).toBe(true);
    expect(budget.report()).toEqual({ limit: 2, writes: 4, exceeded: true });
  });
});
