/**
 * Cold start: a job doing one get through `kubepoll run`, against a bare Node
 * script doing the same request (and another build of kubepoll, with
 * BENCH_BASELINE_CLI), alternating.
 */
import path from 'node:path';
import { expectOk, ROOT, type Stats, stats, timedNode } from './measure.ts';
import type { Target } from './target.ts';

export interface ColdStartResults {
  rounds: number;
  kubepollMs: Stats;
  bareScriptMs: Stats;
  baselineMs?: Stats;
  baselineCli?: string;
}

export async function coldStart(target: Target, rounds: number, baselineCli?: string): Promise<ColdStartResults> {
  const clis: [string, number[]][] = [[path.join(ROOT, 'dist', 'cli.js'), []]];
  if (baselineCli) clis.push([baselineCli, []]);
  const bare: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [cli, times] of clis) {
      const k = await timedNode([cli, 'run', 'bench/jobs/get-one.mjs', '--namespace', 'ns-0'], target.inClusterEnv);
      expectOk(`kubepoll get (${cli})`, k, (r) => r.stdout.includes('"found":true'));
      times.push(k.ms);
    }
    const b = await timedNode(['bench/bare-get.mjs', target.url, target.caFile, target.tokenFile]);
    expectOk('bare get', b, (r) => r.stdout.includes('"found":true'));
    bare.push(b.ms);
  }
  const result: ColdStartResults = { rounds, kubepollMs: stats(clis[0]?.[1] ?? []), bareScriptMs: stats(bare) };
  if (baselineCli && clis[1]) {
    result.baselineMs = stats(clis[1][1]);
    result.baselineCli = baselineCli;
  }
  return result;
}
