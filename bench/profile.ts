/**
 * Where a list's client CPU goes: `node --cpu-prof` on the kubepoll CLI run
 * and on the bare fetch loop, against the same server, with each sample's self
 * time put in one of a few buckets (the page scanner, JSON.parse, async
 * iteration, the request pipeline, undici, TLS and sockets, logging, start-up,
 * GC, idle). V8 does not show JSON.parse as a frame of its own: its time is in
 * the function that calls it (kubepoll's batch reader in list-page.js, undici's
 * parseJSONFromBytes for fetch's `.json()`).
 *
 * `node bench/profile-summary.mjs <file.cpuprofile>` prints one profile's top
 * functions, for a closer look.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectOk, NODE, ROOT, timed } from './measure.ts';
import type { Target } from './target.ts';
import { LIST_PATH } from './widgets.ts';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export const BUCKETS = [
  'page scanner',
  'JSON.parse of items or pages',
  'async iteration (generators, microtasks, the job)',
  'request pipeline and transport',
  'undici (HTTP parsing, body streams)',
  'TLS and sockets',
  'logging',
  'start-up (loading and compiling modules)',
  'garbage collection',
  'idle (waiting for the server)',
  'other (mostly V8 builtins without a name)',
] as const;
export type Bucket = (typeof BUCKETS)[number];

const SCANNER = /^(skipItem|skipStringFast|skipValue|skipString|skipWs|scan|scanListPage|decodeKey|end)$/;

/** The bucket of one profile node. */
export function bucketOf(functionName: string, url: string): Bucket {
  if (functionName === '(idle)') return 'idle (waiting for the server)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url.endsWith('/list-page.js')) return SCANNER.test(functionName) ? 'page scanner' : 'JSON.parse of items or pages';
  if (functionName === 'parseJSONFromBytes' || url === 'node:internal/encoding') return 'JSON.parse of items or pages';
  if (functionName === 'utf8Slice' || functionName === 'latin1Slice') return 'JSON.parse of items or pages'; // decoding the text it parses
  if (/\/dist\/(paging|client)\.js$/.test(url) || url.includes('/bench/jobs/')) {
    return 'async iteration (generators, microtasks, the job)';
  }
  if (functionName === 'runMicrotasks' || url === 'node:internal/process/task_queues') {
    return 'async iteration (generators, microtasks, the job)';
  }
  if (/\/dist\/(request-pipeline|retry-policy|rate-limit|credentials|transport|access|write-budget|api-path)\.js$/.test(url)) {
    return 'request pipeline and transport';
  }
  if (url === 'node:internal/abort_controller' || url === 'node:internal/event_target') return 'request pipeline and transport';
  if (
    url.includes('/node_modules/undici/') ||
    url.startsWith('node:internal/streams') ||
    url.startsWith('node:internal/webstreams')
  ) {
    return 'undici (HTTP parsing, body streams)';
  }
  if (functionName === 'concat' || url === 'node:buffer' || url.startsWith('wasm://'))
    return 'undici (HTTP parsing, body streams)';
  if (/^node:(net|tls|internal\/(net|tls|stream_base_commons|crypto))/.test(url) || functionName === 'writeLatin1String') {
    return 'TLS and sockets';
  }
  if (
    /\/node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers)\//.test(url) ||
    /\/dist\/(log|redact)\.js$/.test(url)
  ) {
    return 'logging';
  }
  if (/^(internalModuleStat|readFileSync|realpathSync|readFileUtf8|lstat|open|compileFunction)$/.test(functionName)) {
    return 'start-up (loading and compiling modules)';
  }
  if (url.startsWith('node:internal/modules') || url === 'node:internal/bootstrap/realm' || functionName === '(program)') {
    return 'start-up (loading and compiling modules)';
  }
  if (
    url.includes('/node_modules/') ||
    /\/dist\/(cli|cli-main|cli-io|command-run|job-loader|job-validate|schedule|module-hooks)/.test(url)
  ) {
    return 'start-up (loading and compiling modules)';
  }
  return 'other (mostly V8 builtins without a name)';
}

/** Self time per bucket of one profile, ms. */
export async function bucketsOf(file: string): Promise<Record<Bucket, number>> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i] as number);
    if (frame) out[bucketOf(frame.functionName, frame.url)] += (profile.timeDeltas[i] ?? 0) / 1000;
  }
  return out;
}

export interface ProfileResults {
  server: string;
  rounds: number;
  /** Median self time per bucket, ms, of each client. */
  kubepoll: Record<Bucket, number>;
  bare: Record<Bucket, number>;
}

/** `rounds` profiled runs of each client, alternating; the median of each bucket. */
export async function profileList(target: Target, rounds: number): Promise<ProfileResults> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-bench-profile-'));
  const runs: Record<'kubepoll' | 'bare', Record<Bucket, number>[]> = { kubepoll: [], bare: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const client of ['kubepoll', 'bare'] as const) {
        const out = path.join(dir, `${client}-${round}`);
        await mkdir(out);
        const args =
          client === 'kubepoll'
            ? [path.join(ROOT, 'dist', 'cli.js'), 'run', 'bench/jobs/list-all.mjs']
            : ['bench/bare-list.mjs', target.url, target.caFile, target.tokenFile, LIST_PATH];
        const result = await timed(
          NODE,
          ['--cpu-prof', `--cpu-prof-dir=${out}`, ...args],
          client === 'kubepoll' ? target.inClusterEnv : {},
        );
        expectOk(`profiled ${client}`, result, () => true);
        const [file] = await readdir(out);
        runs[client].push(await bucketsOf(path.join(out, file as string)));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const median = (list: Record<Bucket, number>[]) =>
    Object.fromEntries(
      BUCKETS.map((b) => {
        const v = list.map((r) => r[b]).sort((x, y) => x - y);
        return [b, v[Math.floor(v.length / 2)] ?? 0];
      }),
    ) as Record<Bucket, number>;
  return { server: target.key, rounds, kubepoll: median(runs.kubepoll), bare: median(runs.bare) };
}
