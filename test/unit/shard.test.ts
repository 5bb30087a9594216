import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { shardFromEnv, shardOf } from '../../src/shard.js';

describe('shardOf', () => {
  // Modulo 2^32 the shard is the hash itself: the FNV-1a 32-bit test vectors.
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['b', 0xe70c2de5],
    ['foobar', 0xbf9cf968],
  ])('is FNV-1a: %j hashes to %i', (uid, hash) => {
    expect(shardOf(uid, 2 ** 32)).toBe(hash);
  });

  it('is the hash modulo the shard count', () => {
    // 0x811c9dc5 = 2166136261 = 7 × 309448037 + 2;  0xe40c292c = 3826002220 = 7 × 546571745 + 5.
    expect(shardOf('', 7)).toBe(2);
    expect(shardOf('a', 7)).toBe(5);
    expect(shardOf('a', 5)).toBe(0);
    expect(shardOf('foobar', 7)).toBe(0); // 3214735720 = 7 × 459247960
    expect(shardOf('b', 2)).toBe(1); // 0xe70c2de5 is odd
    expect(shardOf('anything', 1)).toBe(0);
  });

  it('partitions 10,000 uids: each lands in exactly one shard, and no shard is far from its share', () => {
    const uids = Array.from({ length: 10_000 }, () => randomUUID());
    for (let count = 1; count <= 7; count++) {
      const sizes = new Array<number>(count).fill(0);
      for (const uid of uids) {
        const shard = shardOf(uid, count);
        // The pods with index 0..count-1 each keep the objects with shardOf(uid) === index: exactly one keeps this one.
        const keptBy = sizes.map((_, index) => index).filter((index) => shard === index);
        expect(keptBy).toHaveLength(1);
        sizes[shard] = (sizes[shard] ?? 0) + 1;
      }
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000);
      // Expected 10000/count each; a standard deviation is at most 50, the bound is ±20 % (≥ 5.7 sd at count 7).
      const share = 10_000 / count;
      for (const size of sizes) {
        expect(size).toBeGreaterThan(share * 0.8);
        expect(size).toBeLessThan(share * 1.2);
      }
    }
  });
});

describe('shardFromEnv', () => {
  it('is { 0, 1 } when the job is not sharded', () => {
    expect(shardFromEnv({})).toEqual({ index: 0, count: 1 });
    expect(shardFromEnv({ KUBEPOLL_SHARDS: '' })).toEqual({ index: 0, count: 1 });
    // An Indexed Job that kubepoll did not shard: the index alone does not shard the list.
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 0, count: 1 });
  });

  it('reads the index Kubernetes sets and the count the manifests set', () => {
    expect(shardFromEnv({ KUBEPOLL_SHARDS: '4', JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv({ KUBEPOLL_SHARDS: '4', JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 4 });
    expect(shardFromEnv({ KUBEPOLL_SHARDS: '4' })).toEqual({ index: 0, count: 4 });
  });

  it.each(['0', '-2', '2.5', 'three'])('refuses KUBEPOLL_SHARDS=%s with a ConfigError', (value) => {
    expect(() => shardFromEnv({ KUBEPOLL_SHARDS: value, JOB_COMPLETION_INDEX: '0' })).toThrow(ConfigError);
    expect(() => shardFromEnv({ KUBEPOLL_SHARDS: value })).toThrow(`KUBEPOLL_SHARDS must be a whole number >= 1, got "${value}"`);
  });

  it.each(['4', '7', '-1', '1.5', 'x'])('refuses JOB_COMPLETION_INDEX=%s outside 0..3 with a ConfigError', (value) => {
    expect(() => shardFromEnv({ KUBEPOLL_SHARDS: '4', JOB_COMPLETION_INDEX: value })).toThrow(ConfigError);
    expect(() => shardFromEnv({ KUBEPOLL_SHARDS: '4', JOB_COMPLETION_INDEX: value })).toThrow(
      `JOB_COMPLETION_INDEX must be a whole number from 0 to 3 (KUBEPOLL_SHARDS=4), got "${value}"`,
    );
  });
});
