/**
 * `npm start`: kubepoll doing real work with no cluster at all. Starts the test
 * kit's fake cluster on 127.0.0.1, seeded with the example fixtures
 * (jobs/fixtures/*.yaml), runs each example job through the real CLI in-cluster
 * style (service-account directory and KUBERNETES_SERVICE_* variables), shows
 * the logs, then a summary of what each job found.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPretty } from './log.js';
import { formatColumns } from './table.js';
import { loadFixtures, startTestCluster } from './testing/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const colour = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
const bold = (text: string) => (colour ? `\x1b[1m${text}\x1b[0m` : text);

const STEPS: { job: string; args: string[]; note: string }[] = [
  { job: 'expiring-certificates', args: [], note: 'cert-manager Certificates that are not Ready or expire within 14 days' },
  { job: 'stale-backups', args: [], note: 'Velero schedules without a recent backup, and failed backups (records Events)' },
  { job: 'ttl-janitor', args: ['--dry-run'], note: 'Tekton PipelineRuns past their kubepoll.io/ttl, dry run first' },
  { job: 'ttl-janitor', args: [], note: 'the same, for real' },
];

function runStep(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; last: Record<string, unknown> | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'run', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last: Record<string, unknown> | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        process.stdout.write(`  ${formatPretty(line, colour)}`);
        try {
          last = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // not a log line
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, last }));
  });
}

/**
 * The fixtures describe a cluster as it was on this day; the demo moves every
 * timestamp in them by the time since, so the jobs find the same things
 * whatever today's date (a certificate that had 2 days left still has 2 days).
 */
const FIXTURES_DAY = Date.parse('2026-11-30T12:00:00Z');
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function shiftTimestamps(value: unknown, byMs: number): unknown {
  if (typeof value === 'string' && TIMESTAMP.test(value))
    return new Date(Date.parse(value) + byMs).toISOString().replace('.000Z', 'Z');
  if (Array.isArray(value)) return value.map((v) => shiftTimestamps(v, byMs));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimestamps(v, byMs)]));
  }
  return value;
}

const fixtures = await loadFixtures(path.join(root, 'jobs', 'fixtures', '*.yaml'));
const now = Date.now();
const cluster = await startTestCluster({
  objects: fixtures.map((o) => shiftTimestamps(o, now - FIXTURES_DAY) as typeof o),
  namespace: 'kubepoll',
});
// The cluster's folder holds a kubeconfig with a token: Ctrl-C must not leave it behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cluster.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
process.stdout.write(
  `${bold('kubepoll demo')}: a fake cluster at ${cluster.url} (files in ${cluster.dir}), seeded from jobs/fixtures/*.yaml, its dates moved to today\n`,
);
const summary: string[][] = [];
let failed = false;
try {
  for (const step of STEPS) {
    process.stdout.write(`\n${bold(`$ kubepoll run ${[step.job, ...step.args].join(' ')}`)}   # ${step.note}\n`);
    const { code, last } = await runStep([step.job, ...step.args], cluster.inClusterEnv);
    if (code !== 0) failed = true;
    summary.push([
      [step.job, ...step.args].join(' '),
      String(last?.outcome ?? 'no result'),
      String(code),
      `${last?.durationMs ?? '?'} ms`,
      String(last?.requests ?? '?'),
      JSON.stringify(last?.result ?? last?.err ?? null),
    ]);
  }
} finally {
  await cluster.stop();
}
const header = ['job', 'outcome', 'exit', 'took', 'requests', 'result'];
process.stdout.write(`\n${bold('Summary')}\n${formatColumns([header, ...summary])}`);
process.stdout.write(
  `\nNext: write your own job in jobs/, test it with kubepoll/testing, deploy with kubepoll manifests (see README.md).\n`,
);
process.exitCode = failed ? 1 : 0;
