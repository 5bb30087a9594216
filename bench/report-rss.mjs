// Preloaded with --import: reports the process's peak RSS (KiB) on stderr when it exits.
process.on('exit', () => {
  const m = process.memoryUsage();
  process.stderr.write(`BENCH_MAXRSS_KIB ${process.resourceUsage().maxRSS}\n`);
  if (process.env.BENCH_MEMORY_DETAIL)
    process.stderr.write(
      `BENCH_MEMORY ${JSON.stringify({ heapTotal: m.heapTotal >> 20, heapUsed: m.heapUsed >> 20, external: m.external >> 20, arrayBuffers: m.arrayBuffers >> 20 })}\n`,
    );
});
