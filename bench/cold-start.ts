/** Cold start: a job doing one get through `kubepoll run`, against a bare Node script doing the same request. */
import path from 'node:path';
import { expectOk, ROOT, type Stats, stats, timedNode } from './measure.ts';
import type { Target } from './target.ts';

export interface ColdStartResults {
  rounds: number;
  kubepollMs: Stats;
  bareScriptMs: Stats;
}

export async function coldStart(target: Target, rounds: number): Promise<ColdStartResults> {
  const kubepoll: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const k = await timedNode(
      [path.join(ROOT, 'dist', 'cli.js'), 'run', 'bench/jobs/get-one.mjs', '--namespace', 'ns-0'],
      target.inClusterEnv,
    );
    expectOk('kubepoll get', k, (r) => r.stdout.includes('"found":true'));
    kubepoll.push(k.ms);
    const b = await timedNode(['bench/bare-get.mjs', target.url, target.caFile, target.tokenFile]);
    expectOk('bare get', b, (r) => r.stdout.includes('"found":true'));
    bare.push(b.ms);
  }
  return { rounds, kubepollMs: stats(kubepoll), bareScriptMs: stats(bare) };
}
