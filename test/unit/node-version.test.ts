import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../src/node-version.js';

const problem = (range: string, found: string) =>
  `kubepoll needs Node.js ${range}, but this is Node.js ${found}; install a newer Node (24 LTS recommended) and run it again`;

describe('nodeVersionProblem', () => {
  it.each([
    ['>=22', '21.7.3', 'v21.7.3'],
    ['>=22', 'v20.19.0', 'v20.19.0'],
    ['>=22.12.0', '22.11.9', 'v22.11.9'],
    ['>=22.12.0', 'v22.9.0', 'v22.9.0'], // 9 < 12 as numbers, though "9" > "12" as text
    ['>=22.12.1', 'v22.12.0', 'v22.12.0'],
  ])('%s with Node %s: one line naming both', (range, found, shown) => {
    expect(nodeVersionProblem(range, found)).toBe(problem(range, shown));
  });

  it.each([
    ['>=22', '22.0.0'],
    ['>=22', 'v22.0.0'],
    ['>=22', '24.1.0'],
    ['>=22', 'v100.0.0'],
    ['>=22.12.0', '22.12.0'],
    ['>=22.12.0', 'v22.12.0'],
    ['>=22.12.0', '22.12'], // a missing patch number is 0
    ['>=22.12.0', '22.12.1'],
    ['>=22.12.0', 'v22.100.0'],
    ['>=22.12.0', '23.0.0'],
    ['>=22.12.0', 'v24.11.1'],
    [' >= v22.12 ', '22.12.0'],
  ])('%s with Node %s: no problem', (range, found) => {
    expect(nodeVersionProblem(range, found)).toBeUndefined();
  });

  it('trims the range it names', () => {
    expect(nodeVersionProblem(' >=22 ', '20.0.0')).toBe(problem('>=22', 'v20.0.0'));
  });

  it.each([undefined, '', '^22.12.0', '~22', '22.x', '>=22 <26', '>22', '*', 'latest', '>=22.12.0 || >=24'])(
    'says nothing for a range form it does not read: %j',
    (range) => {
      expect(nodeVersionProblem(range, '10.0.0')).toBeUndefined();
    },
  );
});
