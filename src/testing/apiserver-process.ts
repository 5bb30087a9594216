/**
 * A server process of the test API server (etcd, kube-apiserver) that never
 * outlives the test process. Each binary runs under a small `sh` watchdog
 * whose stdin is a pipe from this process: when this process ends in any way
 * (even SIGKILL), the pipe closes and the watchdog kills the server and removes
 * the temp folder. `stop()` ends it gracefully first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';

export interface ServerProcess {
  /** The binary's own pid (not the watchdog's): /proc/<pid>/stat is its CPU time. */
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /** Settles when the server has exited. */
  readonly exited: Promise<void>;
  /** Whether it has exited. */
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): Promise<string>;
}

// $0 is the binary; the server's output goes to $KUBEPOLL_LOG. The subshell is the watchdog:
// (an asynchronous list's stdin is /dev/null, hence fd 3). `cat` returns when our end of the pipe closes, then it kills the server and removes $KUBEPOLL_CLEANUP.
const WATCHDOG = `
exec 3<&0 2>>"$KUBEPOLL_LOG"
"$0" "$@" </dev/null >>"$KUBEPOLL_LOG" 2>&1 &
child=$!
echo "$child"
(
  cat <&3 >/dev/null
  kill -KILL "$child" 2>/dev/null
  if [ -n "$KUBEPOLL_CLEANUP" ]; then sleep 1; rm -rf "$KUBEPOLL_CLEANUP"; fi
) &
exec 3<&-
wait "$child"
`;

/** Starts `binary args` with its output in `logFile`; `cleanupDir` is removed if this process dies first. */
export async function startServerProcess(
  name: string,
  binary: string,
  args: readonly string[],
  options: { logFile: string; cleanupDir: string },
): Promise<ServerProcess> {
  const child: ChildProcess = spawn('/bin/sh', ['-c', WATCHDOG, binary, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, KUBEPOLL_LOG: options.logFile, KUBEPOLL_CLEANUP: options.cleanupDir },
  });
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\d+)\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.once('error', reject);
    exited.then(() => reject(new Error(`${name} did not start (${binary})`)));
  });
  // Our stdin stays open (it is the watchdog's lifeline) but must not keep the event loop alive.
  const stdin = child.stdin as Socket;
  stdin.unref();
  (child.stdout as Socket).unref();
  child.unref();
  live.add(pid);

  const stop = async (graceMs = 5000) => {
    if (running) {
      signal(pid, 'SIGTERM');
      const timer = setTimeout(() => signal(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    live.delete(pid);
    stdin.end(); // releases the watchdog
  };
  const logTail = async (lines = 30) => {
    const text = await readFile(options.logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  return {
    pid,
    name,
    logFile: options.logFile,
    exited,
    get running() {
      return running;
    },
    stop,
    logTail,
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Servers still running: killed on a normal exit too, before the watchdogs notice. */
const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) signal(pid, 'SIGKILL');
});

/** A TCP port on 127.0.0.1 that is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
