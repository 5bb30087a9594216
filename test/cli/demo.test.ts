import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

describe('npm start (the embedded demo)', () => {
  it('runs every example job against a local fake cluster and prints a summary', async () => {
    const result = await runCli([], { bin: path.join(ROOT, 'dist', 'demo.js') });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = result.stdout.slice(result.stdout.indexOf('Summary'));
    const rows = summary.split('\n').slice(2, 6);
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['expiring-certificates', 'succeeded', '0'],
      ['stale-backups', 'succeeded', '0'],
      ['ttl-janitor --dry-run', 'succeeded', '0'],
      ['ttl-janitor', 'succeeded', '0'],
    ]);
    expect(result.stdout).toContain('would delete pipelineruns.tekton.dev "build-main-7f3a2"');
    expect(result.stdout).toContain('expired; deleted object=ci/build-main-7f3a2');
  });
});
