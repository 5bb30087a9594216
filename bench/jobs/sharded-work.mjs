// Bench job: per-object work (an asynchronous wait of BENCH_WORK_MS, default 1 ms, standing for a call to
// another service) over this shard's part of every widget: run as KUBEPOLL_SHARDS processes, one per
// JOB_COMPLETION_INDEX, as the pods of the generated Indexed Job are.
import { setTimeout as sleep } from 'node:timers/promises';

const workMs = Number(process.env.BENCH_WORK_MS ?? 1);
export default {
  shards: 4,
  resources: [
    { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['list'], namespaces: '*' },
  ],
  async run(ctx) {
    let count = 0;
    for await (const _ of ctx.list(
      { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true },
      { allNamespaces: true, shard: true },
    )) {
      await sleep(workMs);
      count++;
    }
    return { count, shard: ctx.shard };
  },
};
