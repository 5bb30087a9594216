import { ConfigError } from './errors.js';
import type { Shard } from './job.js';

/**
 * Which shard an object belongs to: FNV-1a (32 bit) of its `metadata.uid`,
 * modulo the shard count. Stable across runs, processes and machines (a uid
 * never changes), so N pods with indexes 0..N-1 partition a list exactly.
 */
export function shardOf(uid: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) {
    hash ^= uid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * This pod's shard from the environment the generated Indexed Job sets:
 * `JOB_COMPLETION_INDEX` (Kubernetes sets it) and `KUBEPOLL_SHARDS`; `{ 0, 1 }`
 * when neither is set.
 */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>): Shard {
  const countText = env.KUBEPOLL_SHARDS;
  const indexText = env.JOB_COMPLETION_INDEX;
  if (countText === undefined || countText === '') {
    return { index: 0, count: 1 };
  }
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1)
    throw new ConfigError(`KUBEPOLL_SHARDS must be a whole number >= 1, got "${countText}"`);
  const index = indexText === undefined || indexText === '' ? 0 : Number(indexText);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ConfigError(
      `JOB_COMPLETION_INDEX must be a whole number from 0 to ${count - 1} (KUBEPOLL_SHARDS=${count}), got "${indexText}"`,
    );
  }
  return { index, count };
}
