/**
 * `npm run bench`: kubepoll's paging throughput, memory and cold start, side by
 * side with what a user would otherwise use, against the test kit's fake API
 * server over HTTPS on 127.0.0.1. Never part of `npm test`.
 *
 * Environment: BENCH_N (default 100000), BENCH_ROUNDS (default 3), BENCH_KUBECTL=0 to skip kubectl.
 * Writes bench/results.json and prints a table.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestCluster, type TestCluster } from '../dist/testing/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_N ?? 100_000);
const N_SMALL = Math.min(10_000, N);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LIMIT = 500;

/** About 1 KB of JSON each, shaped like a real custom resource. */
function widgets(count: number) {
  const objects: Record<string, unknown>[] = [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.bench.kubepoll.io' },
      spec: {
        group: 'bench.kubepoll.io',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    },
  ];
  for (let i = 0; i < count; i++) {
    objects.push({
      apiVersion: 'bench.kubepoll.io/v1',
      kind: 'Widget',
      metadata: {
        name: `widget-${String(i).padStart(7, '0')}`,
        namespace: `ns-${i % 20}`,
        labels: {
          'app.kubernetes.io/name': 'widget',
          'app.kubernetes.io/part-of': 'bench',
          tier: i % 2 ? 'backend' : 'frontend',
        },
        annotations: { 'bench.kubepoll.io/description': 'a widget for measuring list throughput'.padEnd(120, '.') },
        creationTimestamp: '2026-11-30T00:00:00Z',
      },
      spec: {
        size: i,
        colour: ['red', 'green', 'blue'][i % 3],
        owner: `team-${i % 7}`,
        replicas: 3,
        paused: false,
        notes: 'x'.repeat(300),
      },
      status: {
        phase: 'Ready',
        observedGeneration: 1,
        conditions: [{ type: 'Ready', status: 'True', reason: 'AsExpected', lastTransitionTime: '2026-11-30T00:00:00Z' }],
      },
    });
  }
  return objects;
}

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function timed(command: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, code, stdout, stderr }));
  });
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? (sorted[(sorted.length - 1) / 2] as number)
      : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, runs: values };
};

function expectOk(label: string, result: Timed, check: (r: Timed) => boolean) {
  if (result.code !== 0 || !check(result)) {
    throw new Error(`${label} failed (exit ${result.code}): ${result.stderr.slice(0, 500)} ${result.stdout.slice(-500)}`);
  }
}

const node = process.execPath;
const cli = path.join(root, 'dist', 'cli.js');
const tokenFile = (c: TestCluster) => path.join(c.serviceAccountDir, 'token');
const listRequests = (c: TestCluster) => c.requests.filter((r) => r.path === '/apis/bench.kubepoll.io/v1/widgets').length;

async function kubepollList(c: TestCluster, rss = false) {
  const before = listRequests(c);
  const args = [
    ...(rss ? ['--import', path.join(root, 'bench', 'report-rss.mjs')] : []),
    cli,
    'run',
    'bench/jobs/list-all.mjs',
    '--log-level',
    'info',
  ];
  const result = await timed(node, args, c.inClusterEnv);
  const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { result?: { count?: number }; requests?: number };
  expectOk(
    'kubepoll list',
    result,
    () => last.result?.count === c.objects({ group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets' }).length,
  );
  const maxRssKiB = Number(/BENCH_MAXRSS_KIB (\d+)/.exec(result.stderr)?.[1] ?? Number.NaN);
  return { ms: result.ms, requests: listRequests(c) - before, reportedRequests: last.requests, maxRssKiB };
}

async function main() {
  const kubectlAvailable =
    process.env.BENCH_KUBECTL !== '0' &&
    (await promisify(execFile)('kubectl', ['version', '--client']).then(
      () => true,
      () => false,
    ));
  const home = await mkdtemp(path.join(tmpdir(), 'kubepoll-bench-home-'));
  process.stderr.write(`seeding ${N} widgets...\n`);
  const seedStart = performance.now();
  const large = await startTestCluster({ objects: widgets(N), namespace: 'bench' });
  process.stderr.write(`seeded in ${Math.round(performance.now() - seedStart)} ms\n`);
  const throughput: Record<string, number[]> = { kubepoll: [], bareFetch: [], rawServer: [], kubectl: [] };
  let requestsPerRun = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`throughput round ${round}/${ROUNDS}\n`);
      const k = await kubepollList(large);
      throughput.kubepoll?.push(k.ms);
      requestsPerRun = k.requests;
      const bare = await timed(node, ['bench/bare-list.mjs', large.url, large.caFile, tokenFile(large)]);
      expectOk('bare fetch loop', bare, (r) => JSON.parse(r.stdout).count === N);
      throughput.bareFetch?.push(bare.ms);
      const raw = await timed(node, ['bench/raw-list.mjs', large.url, large.caFile, tokenFile(large)]);
      expectOk('raw server floor', raw, (r) => JSON.parse(r.stdout).pages === Math.ceil(N / LIMIT));
      throughput.rawServer?.push(raw.ms);
      if (kubectlAvailable) {
        const kc = await timed(
          'kubectl',
          ['--kubeconfig', large.kubeconfigPath, 'get', 'widgets.bench.kubepoll.io', '-A', `--chunk-size=${LIMIT}`, '-o', 'name'],
          { HOME: home },
        );
        expectOk('kubectl', kc, (r) => r.stdout.trim().split('\n').length === N);
        throughput.kubectl?.push(kc.ms);
      }
    }
    process.stderr.write('memory at N\n');
    const rssLarge: number[] = [];
    for (let round = 0; round < ROUNDS; round++) rssLarge.push((await kubepollList(large, true)).maxRssKiB);
    await large.stop();

    const small = await startTestCluster({ objects: widgets(N_SMALL), namespace: 'bench' });
    const rssSmall: number[] = [];
    const cold: Record<string, number[]> = { kubepoll: [], bareScript: [] };
    try {
      process.stderr.write(`memory at ${N_SMALL}\n`);
      for (let round = 0; round < ROUNDS; round++) rssSmall.push((await kubepollList(small, true)).maxRssKiB);
      process.stderr.write('cold start\n');
      for (let round = 0; round < Math.max(ROUNDS, 7); round++) {
        const k = await timed(node, [cli, 'run', 'bench/jobs/get-one.mjs', '--namespace', 'ns-0'], small.inClusterEnv);
        expectOk('kubepoll get', k, (r) => r.stdout.includes('"found":true'));
        cold.kubepoll?.push(k.ms);
        const b = await timed(node, ['bench/bare-get.mjs', small.url, small.caFile, tokenFile(small)]);
        expectOk('bare get', b, (r) => r.stdout.includes('"found":true'));
        cold.bareScript?.push(b.ms);
      }
    } finally {
      await small.stop();
    }

    const results = {
      date: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
      n: N,
      nSmall: N_SMALL,
      pageSize: LIMIT,
      rounds: ROUNDS,
      throughputMs: Object.fromEntries(
        Object.entries(throughput)
          .filter(([, v]) => v.length)
          .map(([k, v]) => [k, stats(v)]),
      ),
      peakRssKiB: { [N_SMALL]: stats(rssSmall), [N]: stats(rssLarge) },
      coldStartMs: { kubepoll: stats(cold.kubepoll ?? []), bareScript: stats(cold.bareScript ?? []) },
      listRequestsPerRun: requestsPerRun,
      expectedListRequests: Math.ceil(N / LIMIT),
    };
    await writeFile(path.join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    printTable(results);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function printTable(r: {
  n: number;
  nSmall: number;
  machine: { cores: number; node: string };
  throughputMs: Record<string, { median: number; min: number; max: number }>;
  peakRssKiB: Record<string, { median: number; min: number; max: number }>;
  coldStartMs: Record<string, { median: number; min: number; max: number }>;
  listRequestsPerRun: number;
  expectedListRequests: number;
}) {
  const fmt = (s: { median: number; min: number; max: number }, unit: string, div = 1) =>
    `${(s.median / div).toFixed(div === 1 ? 0 : 1)} ${unit} (${(s.min / div).toFixed(div === 1 ? 0 : 1)}–${(s.max / div).toFixed(div === 1 ? 0 : 1)})`;
  const t = r.throughputMs;
  const base = t.bareFetch?.median ?? Number.NaN;
  const rows: string[][] = [
    ['measure', 'median (min–max)', 'vs baseline'],
    [
      `list ${r.n}: kubepoll run (CLI)`,
      fmt(t.kubepoll as never, 'ms'),
      `${(((t.kubepoll?.median ?? 0) / base - 1) * 100).toFixed(1)} % vs bare fetch`,
    ],
    [`list ${r.n}: bare undici fetch loop`, fmt(t.bareFetch as never, 'ms'), 'baseline'],
    [`list ${r.n}: server floor (no JSON parse)`, fmt(t.rawServer as never, 'ms'), ''],
  ];
  if (t.kubectl)
    rows.push([
      `list ${r.n}: kubectl get -A --chunk-size=500 -o name`,
      fmt(t.kubectl, 'ms'),
      `${((t.kubectl.median / base) * 1).toFixed(1)}× bare fetch`,
    ]);
  const small = r.peakRssKiB[r.nSmall] as { median: number; min: number; max: number };
  const large = r.peakRssKiB[r.n] as { median: number; min: number; max: number };
  rows.push([`peak RSS, list ${r.nSmall}`, fmt(small, 'MiB', 1024), '']);
  rows.push([
    `peak RSS, list ${r.n}`,
    fmt(large, 'MiB', 1024),
    `${(large.median / small.median).toFixed(2)}× the ${r.nSmall} run`,
  ]);
  const ck = r.coldStartMs.kubepoll as { median: number; min: number; max: number };
  const cb = r.coldStartMs.bareScript as { median: number; min: number; max: number };
  rows.push(['cold start, one get: kubepoll run', fmt(ck, 'ms'), `${(ck.median / cb.median).toFixed(2)}× bare script`]);
  rows.push(['cold start, one get: bare Node script', fmt(cb, 'ms'), 'baseline']);
  rows.push([`list requests per run (limit 500)`, String(r.listRequestsPerRun), `expected ${r.expectedListRequests}`]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  process.stdout.write(
    `\n${rows.map((row) => `| ${(row[0] ?? '').padEnd(widths[0] ?? 0)} | ${(row[1] ?? '').padEnd(widths[1] ?? 0)} | ${row[2]} |`).join('\n')}\n`,
  );
  process.stdout.write(`\n${r.machine.cores} cores, Node ${r.machine.node}. Raw figures: bench/results.json\n`);
}

await main();
