/** results.json's shape, and the Markdown tables printed from it. */
import type { ClientRun } from './clients.ts';
import type { ColdStartResults } from './cold-start.ts';
import { type Stats, stats } from './measure.ts';
import { BUCKETS, type ProfileResults } from './profile.ts';
import type { ShardResults } from './shards.ts';

export interface TargetResults {
  label: string;
  objects: number;
  clients: Record<string, { label: string; runs: ClientRun[] }>;
}

export interface Results {
  date: string;
  command: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string; kubectl: string | undefined };
  pageSize: number;
  rounds: number;
  kubectlRounds: number;
  lists: Record<string, TargetResults>;
  apiserverIdleCpuMsPerSecond?: number;
  memory?: { n: number; nSmall: number; large: number[]; small: number[] };
  shards?: ShardResults;
  coldStart?: ColdStartResults;
  profile?: ProfileResults;
  /** os.loadavg() (1, 5, 15 min) when the bench started and ended: other work on the machine. */
  load?: { start: number[]; end?: number[] };
  notes: string[];
  durationS?: number;
}

const ms = (s: Stats) => `${Math.round(s.median)} ms (${Math.round(s.min)}–${Math.round(s.max)})`;
const x = (s: Stats) => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Per-round ratios a/b of two clients that ran in the same rounds (paired, so drift between rounds cancels). */
export function pairedRatio(a: readonly ClientRun[], b: readonly ClientRun[], of: (r: ClientRun) => number): Stats {
  const n = Math.min(a.length, b.length);
  return stats(Array.from({ length: n }, (_, i) => of(a[i] as ClientRun) / of(b[i] as ClientRun)));
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(rows[0] ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

const SERVER_NAMES: Record<string, string> = {
  fake: 'fake',
  nginx: 'nginx',
  nginxGzip: 'nginx, gzip on',
  apiserver: 'kube-apiserver',
};

const serverCpu = (run: ClientRun) => run.server.cpuMs + (run.server.etcdCpuMs ?? 0);

/** Median server CPU, with etcd's share when the server has one. */
function serverCpuCell(runs: readonly ClientRun[]): string {
  const all = Math.round(stats(runs.map(serverCpu)).median);
  if (runs[0]?.server.etcdCpuMs === undefined) return `${all} ms`;
  return `${all} ms (etcd ${Math.round(stats(runs.map((run) => run.server.etcdCpuMs ?? 0)).median)})`;
}

export function printTable(r: Results): void {
  const out: string[] = [];
  const listRows: string[][] = [
    [
      'server (objects)',
      'client',
      'rounds',
      'wall, median (min–max)',
      '× bare loop (paired)',
      'client CPU',
      'server CPU',
      'requests',
      'received',
    ],
  ];
  for (const [key, target] of Object.entries(r.lists)) {
    const bare = target.clients.bare?.runs ?? [];
    for (const [clientKey, client] of Object.entries(target.clients)) {
      const runs = client.runs;
      if (runs.length === 0) continue;
      const wall = stats(runs.map((run) => run.wallMs));
      // kubectl runs only in the first rounds: pair it with those rounds of the bare loop.
      const ratio = clientKey === 'bare' ? 'baseline' : x(pairedRatio(runs, bare, (run) => run.wallMs));
      const received = runs[0]?.bytesIn ?? runs[0]?.server.bytesSent;
      listRows.push([
        `${SERVER_NAMES[key] ?? key} (${target.objects.toLocaleString('en')})`,
        clientKey,
        String(runs.length),
        ms(wall),
        ratio,
        `${Math.round(stats(runs.map((run) => run.cpuMs)).median)} ms`,
        serverCpuCell(runs),
        String(runs[0]?.server.listRequests ?? ''),
        received === undefined ? '' : mib(received),
      ]);
    }
  }
  if (listRows.length > 1) out.push(table(listRows), '', 'Clients:');
  const seen = new Set<string>();
  for (const target of Object.values(r.lists)) {
    for (const [key, client] of Object.entries(target.clients)) {
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(`- ${key}: ${client.label}`);
    }
  }
  if (listRows.length > 1) out.push('Servers:');
  for (const [key, target] of Object.entries(r.lists)) out.push(`- ${SERVER_NAMES[key] ?? key}: ${target.label}`);
  if (r.apiserverIdleCpuMsPerSecond !== undefined)
    out.push(
      `kube-apiserver + etcd idle: ${r.apiserverIdleCpuMsPerSecond.toFixed(1)} ms CPU per second, included in its server CPU (a 2 s list carries about ${Math.round(r.apiserverIdleCpuMsPerSecond * 2)} ms of it).`,
    );

  const metaRows: string[][] = [
    ['server (objects)', 'list', 'wall, median (min–max)', 'received', 'bytes per object', 'server CPU'],
  ];
  for (const [key, target] of Object.entries(r.lists)) {
    for (const clientKey of ['kubepoll', 'kubepollMetadata']) {
      const runs = target.clients[clientKey]?.runs ?? [];
      if (runs.length === 0) continue;
      const bytes = runs[0]?.bytesIn ?? 0;
      metaRows.push([
        `${SERVER_NAMES[key] ?? key} (${target.objects.toLocaleString('en')})`,
        clientKey === 'kubepoll' ? 'whole objects' : 'metadataOnly: true',
        ms(stats(runs.map((run) => run.wallMs))),
        mib(bytes),
        String(Math.round(bytes / target.objects)),
        `${Math.round(stats(runs.map(serverCpu)).median)} ms`,
      ]);
    }
  }
  if (metaRows.length > 1) out.push('', 'Metadata-only lists (kubepoll):', '', table(metaRows));

  if (r.profile) {
    const p = r.profile;
    const rows = [['self time (node --cpu-prof)', 'kubepoll', 'bare loop', 'difference']];
    const total = { kubepoll: 0, bare: 0 };
    for (const bucket of BUCKETS) {
      const k = p.kubepoll[bucket];
      const b = p.bare[bucket];
      if (bucket !== 'idle (waiting for the server)') {
        total.kubepoll += k;
        total.bare += b;
      }
      rows.push([bucket, `${Math.round(k)} ms`, `${Math.round(b)} ms`, `${k - b >= 0 ? '+' : ''}${Math.round(k - b)} ms`]);
    }
    rows.push([
      'busy (all but idle)',
      `${Math.round(total.kubepoll)} ms`,
      `${Math.round(total.bare)} ms`,
      `${total.kubepoll - total.bare >= 0 ? '+' : ''}${Math.round(total.kubepoll - total.bare)} ms`,
    ]);
    out.push(
      '',
      `Where the client CPU goes (${SERVER_NAMES[p.server] ?? p.server}, median of ${p.rounds} profiled runs each; a profiled run is slower than a plain one):`,
      '',
      table(rows),
    );
  }

  if (r.memory?.small.length && r.memory.large.length) {
    const small = stats(r.memory.small);
    const large = stats(r.memory.large);
    const kib = (s: Stats) => `${(s.median / 1024).toFixed(1)} MiB (${(s.min / 1024).toFixed(1)}–${(s.max / 1024).toFixed(1)})`;
    out.push(
      '',
      'Peak RSS of the kubepoll list (fake server):',
      '',
      table([
        ['objects', 'rounds', 'peak RSS, median (min–max)', 'ratio'],
        [r.memory.nSmall.toLocaleString('en'), String(r.memory.small.length), kib(small), ''],
        [
          r.memory.n.toLocaleString('en'),
          String(r.memory.large.length),
          kib(large),
          `${(large.median / small.median).toFixed(2)}× (target ≤ 1.3×)`,
        ],
      ]),
    );
  }

  if (r.shards) {
    const s = r.shards;
    const one = s.byShards['1']?.wallMs.median ?? Number.NaN;
    const rows = [['shards', 'rounds', 'wall, median (min–max)', 'speed-up', 'CPU of all shards', 'list requests']];
    for (const [count, v] of Object.entries(s.byShards)) {
      rows.push([
        count,
        String(v.wallMs.runs.length),
        ms(v.wallMs),
        `${(one / v.wallMs.median).toFixed(2)}×`,
        `${Math.round(v.cpuMs.median)} ms`,
        String(v.listRequests[0] ?? ''),
      ]);
    }
    out.push(
      '',
      `Shards (fake server, ${s.objects.toLocaleString('en')} objects, ${s.workMsPerObject} ms of asynchronous work per object, concurrent processes):`,
      '',
      table(rows),
    );
  }

  if (r.coldStart) {
    const c = r.coldStart;
    out.push(
      '',
      `Cold start, one get (${c.rounds} rounds):`,
      '',
      table([
        ['client', 'wall, median (min–max)', 'ratio'],
        ['kubepoll run', ms(c.kubepollMs), `${(c.kubepollMs.median / c.bareScriptMs.median).toFixed(2)}× bare script`],
        ...(c.baselineMs
          ? [
              [
                `kubepoll run, ${c.baselineCli}`,
                ms(c.baselineMs),
                `${(c.baselineMs.median / c.bareScriptMs.median).toFixed(2)}× bare script`,
              ],
            ]
          : []),
        ['bare Node script', ms(c.bareScriptMs), 'baseline'],
      ]),
    );
  }
  out.push(
    '',
    `${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}; ` +
      `${r.rounds} rounds (kubectl ${r.kubectlRounds}), pages of ${r.pageSize}. Raw figures: bench/results.json`,
  );
  if (r.load) {
    const fmt = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '?');
    out.push(
      `Load average (1/5/15 min) at start ${fmt(r.load.start)}, at end ${fmt(r.load.end)} (other work on the machine shows here).`,
    );
  }
  for (const note of r.notes) out.push(`Note: ${note}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
}
