/**
 * Spawning a client and reading what it reports: wall time from spawn to exit,
 * and the `BENCH_REPORT` line of `report.mjs` (CPU, peak RSS, wire bytes), or,
 * for a program that is not Node (kubectl), its CPU from bash's `times`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NODE = process.execPath;
export const REPORT = path.join(ROOT, 'bench', 'report.mjs');

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  /** Lines written to stdout (kubectl's names are counted, not kept). */
  stdoutLines: number;
  stderr: string;
}

/** What a client process says about itself. */
export interface ClientReport {
  maxRssKiB?: number;
  /** User + system CPU of the process, ms. */
  cpuMs: number;
  /** Bytes its connections read on the wire (TLS records), when known. */
  bytesIn?: number;
  connections?: number;
}

/** Runs `command args` and resolves when it has exited. */
export function timed(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { keepStdout?: boolean } = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stdoutLines = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      for (let i = c.indexOf(0x0a); i !== -1; i = c.indexOf(0x0a, i + 1)) stdoutLines++;
      // kubectl prints 100,000 names: counted, and only the tail kept.
      stdout = options.keepStdout === false ? (stdout + c.toString()).slice(-4096) : stdout + c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, code, stdout, stdoutLines, stderr }));
  });
}

/** A Node client with the report preload. */
export function timedNode(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Timed> {
  return timed(NODE, ['--import', REPORT, ...args], env);
}

/**
 * A program that is not Node, under bash so its CPU is known: bash's `times`
 * prints the CPU of the children it waited for (the program and whatever it
 * ran and waited for), on stderr after the program's own output.
 */
export function timedWithCpu(command: string, args: readonly string[], env: Record<string, string | undefined> = {}) {
  const script = '"$@"; status=$?; echo BENCH_TIMES >&2; times >&2; exit $status';
  return timed('bash', ['-c', script, 'bash', command, ...args], env, { keepStdout: false });
}

/** The `BENCH_REPORT` line of a Node client, or bash's `times` for one run with `timedWithCpu`. */
export function clientReport(result: Timed): ClientReport {
  const line = /BENCH_REPORT (\{.*\})/.exec(result.stderr)?.[1];
  if (line) {
    const r = JSON.parse(line) as {
      maxRssKiB: number;
      cpuUserMs: number;
      cpuSystemMs: number;
      bytesIn: number;
      connections: number;
    };
    return { maxRssKiB: r.maxRssKiB, cpuMs: r.cpuUserMs + r.cpuSystemMs, bytesIn: r.bytesIn, connections: r.connections };
  }
  // `times`: the shell's own line, then the children's: "0m45.100s 0m2.300s".
  const children = result.stderr.split('BENCH_TIMES\n')[1]?.split('\n')[1];
  const parts = children?.match(/(\d+)m([\d.]+)s/g);
  if (parts?.length !== 2) throw new Error(`no CPU report in the client's stderr: ${result.stderr.slice(-300)}`);
  const ms = (p: string) => {
    const [, m, s] = /(\d+)m([\d.]+)s/.exec(p) as RegExpExecArray;
    return (Number(m) * 60 + Number(s)) * 1000;
  };
  return { cpuMs: ms(parts[0] as string) + ms(parts[1] as string) };
}

export function expectOk(label: string, result: Timed, check: (r: Timed) => boolean): void {
  if (result.code !== 0 || !check(result)) {
    throw new Error(`${label} failed (exit ${result.code}): ${result.stderr.slice(-800)} ${result.stdout.slice(-800)}`);
  }
}

/** The last JSON line of stdout (the `run finished` line of kubepoll, the count of a script). */
export function lastJsonLine<T>(result: Timed): T {
  const lines = result.stdout.trim().split('\n');
  try {
    return JSON.parse(lines.at(-1) ?? '{}') as T;
  } catch {
    return {} as T;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64 and arm64

/** utime + stime of a process, ms (from /proc/<pid>/stat; 10 ms resolution). */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 ? (sorted[Math.floor(mid)] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, runs: [...values] };
}

export const log = (line: string) => process.stderr.write(`${line}\n`);
