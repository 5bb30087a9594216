import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

const DEMO = path.join(ROOT, 'dist', 'demo.js');

/** The summary table's rows: job, outcome, exit and result (the timing columns vary). */
function summary(stdout: string): string[][] {
  const rows = stdout.slice(stdout.indexOf('Summary')).split('\n').slice(2, 6);
  return rows.map((r) => {
    const cells = r.split(/\s{2,}/);
    return [...cells.slice(0, 3), cells.at(-1) as string];
  });
}

describe('npm start (the embedded demo)', () => {
  it('runs every example job against a local fake cluster, with the same results whatever the date', async () => {
    const result = await runCli([], { bin: DEMO });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(summary(result.stdout)).toEqual([
      [
        'expiring-certificates',
        'succeeded',
        '0',
        '{"checked":4,"notReady":["monitoring/grafana-tls"],"expired":["legacy/legacy-tls"],"expiring":["shop/api-tls"],"thresholdDays":14}',
      ],
      [
        'stale-backups',
        'succeeded',
        '0',
        '{"schedulesChecked":3,"stale":["hourly-db"],"failed":["hourly-db-20261130110000","manual-before-upgrade"]}',
      ],
      [
        'ttl-janitor --dry-run',
        'succeeded',
        '0',
        '{"checked":5,"deleted":["ci/build-main-7f3a2","release/release-v2-1-0-q7w8e"],"invalid":["ci/debug-run-zz1"],"expiredLeft":0,"dryRun":true}',
      ],
      [
        'ttl-janitor',
        'succeeded',
        '0',
        '{"checked":5,"deleted":["ci/build-main-7f3a2","release/release-v2-1-0-q7w8e"],"invalid":["ci/debug-run-zz1"],"expiredLeft":0,"dryRun":false}',
      ],
    ]);
    expect(result.stdout).toContain('would delete pipelineruns.tekton.dev "build-main-7f3a2"');
    expect(result.stdout).toContain('certificate expired');
  });

  it('Ctrl-C removes its temporary folder (it holds a kubeconfig with a token)', async () => {
    let dir = '';
    const result = await runCli([], {
      bin: DEMO,
      onStdoutLine: (line, child) => {
        const m = /\(files in ([^)]+)\)/.exec(line);
        if (m) {
          dir = m[1] as string;
          child.kill('SIGINT');
        }
      },
    });
    expect(dir).not.toBe('');
    expect(result.code).toBe(130);
    expect(existsSync(dir)).toBe(false);
  });
});
