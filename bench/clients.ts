/**
 * The clients the bench compares, each run as its own process from start to
 * exit, and what one run of each measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientReport, expectOk, lastJsonLine, ROOT, type Timed, timed, timedNode, timedWithCpu } from './measure.ts';
import type { ServerUsage, Target } from './target.ts';
import { GROUP, LIST_PATH, PLURAL, VERSION } from './widgets.ts';

export const PAGE_SIZE = 500;
const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface ClientRun {
  wallMs: number;
  cpuMs: number;
  maxRssKiB?: number | undefined;
  bytesIn?: number | undefined;
  connections?: number | undefined;
  server: ServerUsage;
  /** Requests kubepoll says it sent (its `run finished` line). */
  reportedRequests?: number;
}

export interface Client {
  key: string;
  label: string;
  run(target: Target): Promise<ClientRun>;
}

interface FinishedLine {
  msg?: string;
  outcome?: string;
  requests?: number;
  result?: { count?: number; partial?: number };
}

/** Runs `start` with the target's server counters around it. */
async function measured(target: Target, start: () => Promise<Timed>, check: (r: Timed) => void): Promise<ClientRun> {
  const done = await target.mark();
  const result = await start();
  const server = await done();
  check(result);
  const report = clientReport(result);
  return {
    wallMs: result.ms,
    cpuMs: report.cpuMs,
    maxRssKiB: report.maxRssKiB,
    bytesIn: report.bytesIn,
    connections: report.connections,
    server,
  };
}

/** `kubepoll run <job>` in-cluster style, checked: every object counted, exactly ⌈N/limit⌉ requests. */
export function kubepoll(
  key: string,
  label: string,
  job: string,
  { metadataOnly = false, cli = CLI, args = [] }: { metadataOnly?: boolean; cli?: string; args?: string[] } = {},
): Client {
  return {
    key,
    label,
    async run(target) {
      let reportedRequests = 0;
      const run = await measured(
        target,
        () => timedNode([cli, 'run', job, '--log-level', 'info', ...args], target.inClusterEnv),
        (r) =>
          expectOk(label, r, () => {
            const last = lastJsonLine<FinishedLine>(r);
            reportedRequests = last.requests ?? 0;
            return (
              last.msg === 'run finished' &&
              last.result?.count === target.objects &&
              (!metadataOnly || last.result.partial === target.objects)
            );
          }),
      );
      const expected = Math.ceil(target.objects / PAGE_SIZE);
      if (run.server.listRequests !== expected || reportedRequests !== expected) {
        throw new Error(
          `${label} on ${target.key}: ${run.server.listRequests} list requests at the server (${reportedRequests} reported), expected exactly ${expected}`,
        );
      }
      return { ...run, reportedRequests };
    },
  };
}

export const kubepollList = kubepoll('kubepoll', 'kubepoll run (CLI), ctx.list (asks for gzip)', 'bench/jobs/list-all.mjs');
export const kubepollUncompressed = kubepoll(
  'kubepollUncompressed',
  'kubepoll run --disable-compression (CLI), ctx.list',
  'bench/jobs/list-all.mjs',
  { args: ['--disable-compression'] },
);
export const kubepollMetadata = kubepoll(
  'kubepollMetadata',
  'kubepoll run (CLI), ctx.list { metadataOnly: true }',
  'bench/jobs/list-metadata.mjs',
  { metadataOnly: true },
);

/**
 * Another build of kubepoll to compare with (BENCH_BASELINE_CLI=/path/to/dist/cli.js), e.g. a worktree of the
 * commit before a change: `git worktree add /tmp/before <commit> && cd /tmp/before && npm ci && npm run build`.
 */
export const kubepollBaseline = (cli: string) =>
  kubepoll('kubepollBaseline', `kubepoll run (CLI) built from ${cli}`, 'bench/jobs/list-all.mjs', { cli });

const countIs = (label: string, target: Target) => (r: Timed) =>
  expectOk(label, r, () => lastJsonLine<{ count?: number }>(r).count === target.objects);

export const bareLoop: Client = {
  key: 'bare',
  label: 'bare Node script: undici fetch, one pool (asks for gzip, as fetch does)',
  run: (target) =>
    measured(
      target,
      () => timedNode(['bench/bare-list.mjs', target.url, target.caFile, target.tokenFile, LIST_PATH]),
      countIs('bare fetch loop', target),
    ),
};

export const bareIdentity: Client = {
  key: 'bareIdentity',
  label: 'bare Node script, Accept-Encoding: identity (uncompressed, as kubepoll --disable-compression)',
  run: (target) =>
    measured(
      target,
      () => timedNode(['bench/bare-list.mjs', target.url, target.caFile, target.tokenFile, LIST_PATH, 'identity']),
      countIs('bare fetch loop (identity)', target),
    ),
};

export const clientNode: Client = {
  key: 'clientNode',
  label: '@kubernetes/client-node 2.0.1: listClusterCustomObject, limit + _continue',
  run: (target) =>
    measured(
      target,
      () => timedNode(['bench/client-node-list.mjs', target.url, target.caFile, target.tokenFile, GROUP, VERSION, PLURAL]),
      countIs('client-node loop', target),
    ),
};

const floor = (key: string, label: string, gzip: boolean): Client => ({
  key,
  label,
  run: (target) =>
    measured(
      target,
      () => timedNode(['bench/raw-list.mjs', target.url, target.caFile, target.tokenFile, LIST_PATH, ...(gzip ? ['gzip'] : [])]),
      (r) => expectOk(label, r, () => lastJsonLine<{ pages?: number }>(r).pages === Math.ceil(target.objects / PAGE_SIZE)),
    ),
});

export const rawFloor = floor('raw', 'server floor: undici.request, bodies drained, not parsed', false);
export const rawFloorGzip = floor('rawGzip', 'server floor, asks for gzip: undici.request, bodies inflated, not parsed', true);

let kubectlHome: string | undefined;

export const kubectl: Client = {
  key: 'kubectl',
  label: `kubectl get ${PLURAL}.${GROUP} -A --chunk-size=${PAGE_SIZE} -o name`,
  async run(target) {
    kubectlHome ??= await mkdtemp(path.join(tmpdir(), 'kubepoll-bench-kubectl-home-'));
    const args = ['--kubeconfig', target.kubeconfigPath ?? '', 'get', `${PLURAL}.${GROUP}`, '-A', `--chunk-size=${PAGE_SIZE}`];
    return measured(
      target,
      () => timedWithCpu('kubectl', [...args, '-o', 'name'], { HOME: kubectlHome }),
      (r) => expectOk('kubectl', r, () => r.stdoutLines === target.objects),
    );
  },
};

/** Removes kubectl's HOME (its discovery cache) once the bench is done. */
export async function removeKubectlHome(): Promise<void> {
  if (kubectlHome !== undefined) await rm(kubectlHome, { recursive: true, force: true });
  kubectlHome = undefined;
}

/** Whether kubectl is on the PATH (and answers). */
export async function kubectlVersion(): Promise<string | undefined> {
  const r = await timed('kubectl', ['version', '--client', '-o', 'json']).catch(() => undefined);
  if (r?.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
}
