import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: compiles src/ to dist/ before any test runs, so the
 * CLI tests (which spawn dist/cli.js, as a user would) never run a stale build,
 * whether the suite was started with `npm test` or a bare `npx vitest` after an edit.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const out = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`the build (tsc -p tsconfig.build.json) failed, so dist/ would be stale:\n${out}`);
  }
}
