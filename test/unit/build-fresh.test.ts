// vitest's global setup (test/support/build-dist.ts) compiles src/ before any test: the CLI tests
// spawn dist/, so a dist/ older than its source would test yesterday's code.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

it('every compiled file in dist/ is at least as new as its source in src/', async () => {
  const stale: string[] = [];
  for (const entry of await readdir(path.join(ROOT, 'src'), { recursive: true })) {
    if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
    const source = await stat(path.join(ROOT, 'src', entry));
    const built = await stat(path.join(ROOT, 'dist', entry.replace(/\.ts$/, '.js'))).catch(() => undefined);
    if (!built || built.mtimeMs < source.mtimeMs) stale.push(entry);
  }
  expect(stale).toEqual([]);
});
