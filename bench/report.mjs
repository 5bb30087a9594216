// Preloaded into every Node client with `--import`: when the process exits it writes one line to stderr,
//   BENCH_REPORT {"maxRssKiB":…,"cpuUserMs":…,"cpuSystemMs":…,"bytesIn":…,"bytesOut":…,"connections":…}
// peak RSS, the process's own CPU time, and the bytes its undici connections read and wrote on the wire (TLS
// records, so headers and handshakes included). kubepoll, the bare loop and @kubernetes/client-node all use
// undici, whose diagnostics channel hands over each new socket; the channel is global, whichever copy of undici.
import { subscribe } from 'node:diagnostics_channel';

const sockets = new Set();
subscribe('undici:client:connected', (message) => sockets.add(message.socket));

process.on('exit', () => {
  const cpu = process.cpuUsage();
  let bytesIn = 0;
  let bytesOut = 0;
  for (const socket of sockets) {
    bytesIn += socket.bytesRead ?? 0;
    bytesOut += socket.bytesWritten ?? 0;
  }
  const report = {
    maxRssKiB: process.resourceUsage().maxRSS,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    bytesIn,
    bytesOut,
    connections: sockets.size,
  };
  process.stderr.write(`BENCH_REPORT ${JSON.stringify(report)}\n`);
});
