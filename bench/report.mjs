// Preloaded into every Node client with `--import`: when the process exits it writes one line to stderr,
//   BENCH_REPORT {"maxRssKiB":…,"cpuUserMs":…,"cpuSystemMs":…,"bytesIn":…,"bytesOut":…,"connections":…}
// peak RSS (VmHWM of /proc/self/status: getrusage's maxRSS is not this process's alone on Linux, it keeps the
// high-water mark of the process before exec, i.e. of the forked copy of the parent, here the bench holding
// 100,000 objects), the process's own CPU time, and the bytes its undici connections read and wrote: HTTP, headers
// and bodies, as they are before TLS (they match nginx's $bytes_sent). kubepoll, the bare loop and client-node all use
// undici, whose diagnostics channel hands over each new socket; the channel is global, whichever copy of undici.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';

const sockets = new Set();
subscribe('undici:client:connected', (message) => sockets.add(message.socket));

function peakRssKiB() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  const cpu = process.cpuUsage();
  let bytesIn = 0;
  let bytesOut = 0;
  for (const socket of sockets) {
    bytesIn += socket.bytesRead ?? 0;
    bytesOut += socket.bytesWritten ?? 0;
  }
  const report = {
    maxRssKiB: peakRssKiB(),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    bytesIn,
    bytesOut,
    connections: sockets.size,
  };
  process.stderr.write(`BENCH_REPORT ${JSON.stringify(report)}\n`);
});
