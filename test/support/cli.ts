import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built binary, as `npm ci` leaves it (package.json `bin`). */
export const BIN = path.join(ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (lines that are not JSON are skipped). */
  lines: Record<string, unknown>[];
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Called once with the child, e.g. to send it a signal when a log line appears. */
  onStdoutLine?: (line: string, child: ReturnType<typeof spawn>) => void;
  /** Another build of the CLI to run (default: this checkout's dist/cli.js). */
  bin?: string;
}

/**
 * Runs the built `kubepoll` as a user would, asynchronously (the fake API server
 * lives in the test's process, so a synchronous spawn would starve it).
 * The environment starts clean of any real cluster config.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: path.join(ROOT, 'test', 'fixtures', 'empty-home'),
    NO_COLOR: '1',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: env as NodeJS.ProcessEnv,
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) options.onStdoutLine?.(line, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout.split('\n').flatMap((l) => {
        try {
          return l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}
