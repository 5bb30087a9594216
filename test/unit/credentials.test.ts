import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_MAX_AGE_MS, TokenFileCredentials } from '../../src/credentials.js';
import { ConfigError } from '../../src/errors.js';
import { writeServiceAccountDir } from '../../src/testing/cluster-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (token: string) => writeServiceAccountDir(dir, { token, caPem: 'ca', namespace: 'ns' });

describe('service-account token', () => {
  it('holds a token for at most a minute, then reads the rotated one', async () => {
    await write('first');
    let now = 1_000_000;
    const credentials = new TokenFileCredentials(path.join(dir, 'token'), { now: () => now });
    expect(await credentials.authorization()).toBe('Bearer first');
    await write('second'); // kubelet's atomic symlink swap
    now += TOKEN_MAX_AGE_MS - 1;
    expect(await credentials.authorization()).toBe('Bearer first');
    now += 1;
    expect(await credentials.authorization()).toBe('Bearer second');
  });

  it('refresh() bypasses the cache at once', async () => {
    await write('first');
    const credentials = new TokenFileCredentials(path.join(dir, 'token'), { now: () => 0 });
    await credentials.authorization();
    await write('second');
    await credentials.refresh();
    expect(await credentials.authorization()).toBe('Bearer second');
  });

  it('keeps the token it has when a re-read fails, and fails clearly when it has none', async () => {
    await write('first');
    const credentials = new TokenFileCredentials(path.join(dir, 'token'));
    await credentials.refresh();
    await rm(path.join(dir, 'token'));
    await credentials.refresh();
    expect(await credentials.authorization()).toBe('Bearer first');
    const fresh = new TokenFileCredentials(path.join(dir, 'token'));
    const error = await fresh.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`cannot read service-account token ${path.join(dir, 'token')}: ENOENT`);
  });
});
