/**
 * `npm run bench` (build, then `node bench/run.ts`): kubepoll against what a
 * user would otherwise use, on three servers, in one run. Never part of
 * `npm test`; no figure here is asserted anywhere.
 *
 * Parts (BENCH_PARTS, comma-separated; default all):
 * - `lists`: a list of every widget (objects of about 1.3 KB, pages of 500),
 *   each client a process of its own from start to exit, clients alternating
 *   round by round (the order rotates each round), on
 *   (a) the project's fake API server, BENCH_N objects (default 100,000;
 *       BENCH_FAKE=0 leaves its lists out);
 *   (b) nginx (Debian's `nginx-light`) serving the fake's own pages as static
 *       files over TLS with tcp_nodelay: a server we did not write
 *       (BENCH_NGINX=0 skips it; without nginx the bench says how to install it),
 *       and the same nginx with gzip on as kube-apiserver has it (level 1, over
 *       128 KB) for the clients that ask for gzip (BENCH_NGINX_GZIP=0 skips it);
 *   (c) the real kube-apiserver + etcd of the test kit with BENCH_APISERVER_N
 *       widgets (default 20,000; the binaries are built once and cached, a cold
 *       build takes about 7 minutes), with the API server's own CPU per list
 *       (BENCH_APISERVER=0 skips it).
 *   Clients: `kubepoll run` of a list-all job (in-cluster style), the same with
 *   `metadataOnly: true`, a bare undici fetch loop, @kubernetes/client-node's
 *   paged listClusterCustomObject loop, kubectl when it is on the PATH
 *   (BENCH_KUBECTL=0 skips it; BENCH_KUBECTL_ROUNDS, default 3, since one
 *   kubectl list of 100,000 takes about 45 s), and a server floor that drains
 *   the pages unparsed. Where the server gzips (the fake and kube-apiserver;
 *   nginx serving files does not), also kubepoll with --disable-compression, the
 *   bare loop asking for identity, and the floor asking for gzip.
 *   BENCH_CLIENTS=kubepoll,bare,... keeps only the clients with those keys. Each reports its CPU time (and peak RSS and wire bytes,
 *   for the Node ones); the server's CPU, list requests and bytes are measured
 *   at the server. kubepoll must make exactly ⌈N/500⌉ requests, or the bench fails.
 * - `profile`: `node --cpu-prof` of the kubepoll run and of the bare loop
 *   against nginx (the fake without it), self time in buckets (bench/profile.ts).
 * - `memory`: peak RSS of the kubepoll list at BENCH_N_SMALL (10,000) and at BENCH_N.
 * - `shards`: a job with 1 ms of asynchronous work per object (BENCH_WORK_MS)
 *   over BENCH_SHARD_N widgets (default 10,000), as 1, 2 and 4 concurrent
 *   `kubepoll run` processes with JOB_COMPLETION_INDEX and KUBEPOLL_SHARDS.
 * - `cold`: cold start of a job doing one get, against a bare script.
 *
 * BENCH_ROUNDS (default 5) rounds of each; profiles and shards 3, cold start at
 * least 7. Raw figures go to bench/results.json, the tables (Markdown) to stdout,
 * progress to stderr. bench/README.md has the details and the setup (nginx).
 *
 * Examples:
 *   npm run bench
 *   BENCH_PARTS=lists BENCH_APISERVER=0 BENCH_KUBECTL=0 node bench/run.ts   # fake and nginx only, fast
 *   BENCH_PARTS=shards node bench/run.ts
 *
 * BENCH_BASELINE_CLI=/path/to/dist/cli.js adds another build of kubepoll to the
 * lists (e.g. a worktree of the commit before a change), to measure the change.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  bareIdentity,
  bareLoop,
  type Client,
  type ClientRun,
  clientNode,
  kubectl,
  kubectlVersion,
  kubepollBaseline,
  kubepollList,
  kubepollMetadata,
  kubepollUncompressed,
  PAGE_SIZE,
  rawFloor,
  rawFloorGzip,
  removeKubectlHome,
} from './clients.ts';
import { coldStart } from './cold-start.ts';
import { log, ROOT } from './measure.ts';
import { profileList } from './profile.ts';
import { startRealApiServer } from './server-apiserver.ts';
import { startFake } from './server-fake.ts';
import { findNginx, startNginx } from './server-nginx.ts';
import { shardSpeedUp } from './shards.ts';
import { printTable, type Results, type TargetResults } from './table.ts';
import type { Target } from './target.ts';

const env = process.env;
const N = Number(env.BENCH_N ?? 100_000);
const N_SMALL = Number(env.BENCH_N_SMALL ?? Math.min(10_000, N));
const N_REAL = Number(env.BENCH_APISERVER_N ?? 20_000);
const N_SHARD = Number(env.BENCH_SHARD_N ?? 10_000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const KUBECTL_ROUNDS = Number(env.BENCH_KUBECTL_ROUNDS ?? Math.min(3, ROUNDS));
const PARTS = new Set((env.BENCH_PARTS ?? 'lists,profile,memory,shards,cold').split(',').map((p) => p.trim()));
const PROFILE_ROUNDS = 3;

/** R rounds of every client on one target, the order rotating each round. */
async function listRounds(target: Target, clients: Client[], kubectlRounds: number): Promise<TargetResults> {
  const runs: Record<string, ClientRun[]> = Object.fromEntries(clients.map((c) => [c.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...clients.slice(round % clients.length), ...clients.slice(0, round % clients.length)];
    for (const client of order) {
      if (client.key === 'kubectl' && round >= kubectlRounds) continue;
      const run = await client.run(target);
      runs[client.key]?.push(run);
      log(
        `  ${target.key} round ${round + 1}/${ROUNDS} ${client.key}: ${Math.round(run.wallMs)} ms, client CPU ${Math.round(run.cpuMs)} ms, server CPU ${Math.round(run.server.cpuMs)} ms, ${run.server.listRequests} list requests`,
      );
    }
  }
  return {
    label: target.label,
    objects: target.objects,
    clients: Object.fromEntries(clients.map((c) => [c.key, { label: c.label, runs: runs[c.key] ?? [] }])),
  };
}

async function main() {
  const started = Date.now();
  const kubectlAt = env.BENCH_KUBECTL === '0' ? undefined : await kubectlVersion();
  const notes: string[] = [];
  if (env.BENCH_KUBECTL === '0') notes.push('kubectl skipped (BENCH_KUBECTL=0)');
  else if (!kubectlAt) notes.push('kubectl is not on the PATH: its rows are skipped');
  const results: Results = {
    date: new Date().toISOString(),
    command: `${Object.entries(env)
      .filter(([k]) => k.startsWith('BENCH_'))
      .map(([k, v]) => `${k}=${v} `)
      .join('')}npm run bench`,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      kubectl: kubectlAt,
    },
    pageSize: PAGE_SIZE,
    rounds: ROUNDS,
    kubectlRounds: KUBECTL_ROUNDS,
    lists: {},
    notes,
    load: { start: loadavg() },
  };
  // BENCH_CLIENTS=kubepoll,bare,... keeps only those clients (keys as in the table), for a quick look.
  const only = env.BENCH_CLIENTS ? new Set(env.BENCH_CLIENTS.split(',').map((c) => c.trim())) : undefined;
  const chosen = (clients: Client[]) => clients.filter((c) => !only || only.has(c.key));
  const withKubectl = (clients: Client[]) => chosen(kubectlAt ? [...clients, kubectl] : clients);
  const listClients = [kubepollList, kubepollMetadata, bareLoop, clientNode, rawFloor];
  if (env.BENCH_BASELINE_CLI) listClients.splice(1, 0, kubepollBaseline(path.resolve(env.BENCH_BASELINE_CLI)));
  // Where the server gzips (the fake and kube-apiserver do, as asked; nginx serving files does not), the same
  // clients without compression, and the floor with it.
  const compressingClients = [...listClients, kubepollUncompressed, bareIdentity, rawFloorGzip];

  if (PARTS.has('lists') || PARTS.has('memory') || PARTS.has('profile')) {
    log(`fake API server: seeding ${N} widgets`);
    const fake = await startFake(N);
    try {
      if (PARTS.has('lists') && env.BENCH_FAKE !== '0')
        results.lists.fake = await listRounds(fake, withKubectl(compressingClients), KUBECTL_ROUNDS);
      const nginx =
        !PARTS.has('lists') && !PARTS.has('profile')
          ? { missing: 'not needed' }
          : env.BENCH_NGINX === '0'
            ? { missing: 'skipped (BENCH_NGINX=0)' }
            : await findNginx();
      if ('missing' in nginx) {
        if (nginx.missing !== 'not needed') {
          notes.push(`nginx: ${nginx.missing}`);
          log(`nginx: ${nginx.missing}`);
        }
        if (PARTS.has('profile')) results.profile = await profileList(fake, PROFILE_ROUNDS);
      } else {
        log(`nginx: writing the fake's ${Math.ceil(N / PAGE_SIZE)} pages (full and metadata-only) as files`);
        const token = (await readFile(fake.tokenFile, 'utf8')).trim();
        const server = await startNginx(nginx.binary, nginx.version, { ...fake, token });
        try {
          if (PARTS.has('lists')) results.lists.nginx = await listRounds(server, withKubectl(listClients), KUBECTL_ROUNDS);
          if (PARTS.has('profile')) {
            log('profile: node --cpu-prof on kubepoll and the bare loop');
            results.profile = await profileList(server, PROFILE_ROUNDS);
          }
        } finally {
          await server.stop();
        }
        if (PARTS.has('lists') && env.BENCH_NGINX_GZIP !== '0') {
          // The same pages from nginx with gzip on as kube-apiserver has it (level 1, over 128 KB): an independent
          // server for the clients that ask for gzip. kubectl left out (its 45 s rounds say nothing new here).
          log('nginx with gzip: writing the pages again');
          const zipping = await startNginx(nginx.binary, nginx.version, { ...fake, token }, { gzip: true });
          try {
            results.lists.nginxGzip = await listRounds(zipping, chosen(compressingClients), KUBECTL_ROUNDS);
          } finally {
            await zipping.stop();
          }
        }
      }
      if (PARTS.has('memory')) {
        const large = results.lists.fake?.clients.kubepoll?.runs.map((r) => r.maxRssKiB ?? Number.NaN) ?? [];
        for (let round = large.length; round < ROUNDS; round++)
          large.push((await kubepollList.run(fake)).maxRssKiB ?? Number.NaN);
        results.memory = { n: N, nSmall: N_SMALL, large, small: [] };
      }
    } finally {
      await fake.stop();
    }
  }

  if (PARTS.has('memory') || PARTS.has('shards') || PARTS.has('cold')) {
    const n = PARTS.has('memory') ? N_SMALL : N_SHARD;
    log(`fake API server: seeding ${n} widgets`);
    let small = await startFake(n);
    try {
      if (results.memory) {
        for (let round = 0; round < ROUNDS; round++)
          results.memory.small.push((await kubepollList.run(small)).maxRssKiB ?? Number.NaN);
      }
      if (PARTS.has('shards')) {
        if (small.objects !== N_SHARD) {
          await small.stop();
          log(`fake API server: seeding ${N_SHARD} widgets`);
          small = await startFake(N_SHARD);
        }
        results.shards = await shardSpeedUp(small, Math.min(ROUNDS, 3), Number(env.BENCH_WORK_MS ?? 1));
      }
      if (PARTS.has('cold'))
        results.coldStart = await coldStart(
          small,
          Math.max(ROUNDS, 7),
          env.BENCH_BASELINE_CLI ? path.resolve(env.BENCH_BASELINE_CLI) : undefined,
        );
    } finally {
      await small.stop();
    }
  }

  if (PARTS.has('lists') && env.BENCH_APISERVER !== '0') {
    log(`kube-apiserver: starting, creating ${N_REAL} widgets`);
    const server = await startRealApiServer(N_REAL);
    try {
      results.apiserverIdleCpuMsPerSecond = server.idleCpuMsPerSecond;
      results.lists.apiserver = await listRounds(server, withKubectl(compressingClients), KUBECTL_ROUNDS);
    } finally {
      await server.stop();
    }
  } else if (PARTS.has('lists')) notes.push('kube-apiserver skipped (BENCH_APISERVER=0)');

  results.durationS = Math.round((Date.now() - started) / 1000);
  if (results.load) results.load.end = loadavg();
  const resultsFile = path.join(ROOT, 'bench', 'results.json');
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  // In the repository's format, so `npm test`'s Biome check passes with fresh figures committed.
  await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', resultsFile]).catch(() =>
    log('could not format bench/results.json with Biome: run `npx biome format --write bench/results.json`'),
  );
  printTable(results);
}

try {
  await main();
} finally {
  await removeKubectlHome();
}
