/**
 * Shard speed-up: the sharded-work job (asynchronous per-object work) as 1, 2
 * and 4 concurrent `kubepoll run` processes, each with its JOB_COMPLETION_INDEX
 * and KUBEPOLL_SHARDS, as the pods of the generated Indexed Job. Wall time is
 * from the first spawn to the last exit; the shards' counts must add up to the
 * whole list.
 */
import path from 'node:path';
import { clientReport, expectOk, lastJsonLine, log, ROOT, type Stats, stats, timedNode } from './measure.ts';
import type { Target } from './target.ts';

export const SHARD_COUNTS = [1, 2, 4] as const;

export interface ShardResults {
  objects: number;
  workMsPerObject: number;
  rounds: number;
  byShards: Record<string, { wallMs: Stats; cpuMs: Stats; listRequests: number[] }>;
}

export async function shardSpeedUp(target: Target, rounds: number, workMs: number): Promise<ShardResults> {
  const byShards: Record<string, { wall: number[]; cpu: number[]; requests: number[] }> = {};
  for (const s of SHARD_COUNTS) byShards[s] = { wall: [], cpu: [], requests: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...SHARD_COUNTS].reverse() : [...SHARD_COUNTS];
    for (const shards of order) {
      const done = await target.mark();
      const start = performance.now();
      const results = await Promise.all(
        Array.from({ length: shards }, (_, index) =>
          timedNode([path.join(ROOT, 'dist', 'cli.js'), 'run', 'bench/jobs/sharded-work.mjs'], {
            ...target.inClusterEnv,
            KUBEPOLL_SHARDS: String(shards),
            JOB_COMPLETION_INDEX: String(index),
            BENCH_WORK_MS: String(workMs),
          }),
        ),
      );
      const wall = performance.now() - start;
      const server = await done();
      let total = 0;
      let cpu = 0;
      for (const [index, r] of results.entries()) {
        expectOk(`shard ${index} of ${shards}`, r, () => lastJsonLine<{ msg?: string }>(r).msg === 'run finished');
        total += lastJsonLine<{ result?: { count?: number } }>(r).result?.count ?? 0;
        cpu += clientReport(r).cpuMs;
      }
      if (total !== target.objects) throw new Error(`${shards} shards saw ${total} objects in all, not ${target.objects}`);
      const entry = byShards[shards] as { wall: number[]; cpu: number[]; requests: number[] };
      entry.wall.push(wall);
      entry.cpu.push(cpu);
      entry.requests.push(server.listRequests);
      log(
        `  shards round ${round + 1}/${rounds}, ${shards} shard(s): ${Math.round(wall)} ms, ${server.listRequests} list requests`,
      );
    }
  }
  return {
    objects: target.objects,
    workMsPerObject: workMs,
    rounds,
    byShards: Object.fromEntries(
      Object.entries(byShards).map(([k, v]) => [k, { wallMs: stats(v.wall), cpuMs: stats(v.cpu), listRequests: v.requests }]),
    ),
  };
}
