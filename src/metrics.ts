import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunReport } from './run.js';
import type { SkipReason } from './scheduler.js';

/**
 * Prometheus metrics of `kubepoll schedule`, in a registry of their own: runs,
 * skips, durations, requests, the last success of each job, who leads, and
 * the process's own (RSS, heap, event-loop lag, from prom-client's default
 * metrics), so a job that leaks in a long-running scheduler shows.
 */
export class SchedulerMetrics {
  readonly registry = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
  readonly #runs = new Counter({
    name: 'kubepoll_runs_total',
    help: 'Runs by job and outcome.',
    labelNames: ['job', 'outcome'],
    registers: [this.registry],
  });
  readonly #skipped = new Counter({
    name: 'kubepoll_skipped_runs_total',
    help: 'Ticks that started no run, by job and reason (missed, forbid).',
    labelNames: ['job', 'reason'],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'kubepoll_run_duration_seconds',
    help: 'Duration of runs.',
    labelNames: ['job'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly #requests = new Counter({
    name: 'kubepoll_api_requests_total',
    help: 'API requests sent, retries included.',
    labelNames: ['job'],
    registers: [this.registry],
  });
  readonly #retries = new Counter({
    name: 'kubepoll_api_retries_total',
    help: 'API requests retried.',
    labelNames: ['job'],
    registers: [this.registry],
  });
  readonly #lastSuccess = new Gauge({
    name: 'kubepoll_last_success_timestamp_seconds',
    help: 'Unix time of the last successful run of each job.',
    labelNames: ['job'],
    registers: [this.registry],
  });

  recordRun(report: RunReport, finishedAt: number): void {
    const job = report.job;
    this.#runs.inc({ job, outcome: report.outcome });
    this.#duration.observe({ job }, report.durationMs / 1000);
    this.#requests.inc({ job }, report.requests);
    this.#retries.inc({ job }, report.retries);
    if (report.outcome === 'succeeded') this.#lastSuccess.set({ job }, Math.floor(finishedAt / 1000));
  }

  readonly #leader = new Gauge({
    name: 'kubepoll_leader',
    help: 'Whether this replica holds the leader Lease (1) or not (0); `identity` is this replica.',
    labelNames: ['identity'],
    registers: [this.registry],
  });
  readonly #holder = new Gauge({
    name: 'kubepoll_leader_lease_holder',
    help: 'The holder of the leader Lease, as this replica last read it (value 1).',
    labelNames: ['holder'],
    registers: [this.registry],
  });

  recordLeader(identity: string, leading: boolean): void {
    this.#leader.set({ identity }, leading ? 1 : 0);
  }

  recordHolder(holder: string | undefined): void {
    this.#holder.reset();
    if (holder !== undefined) this.#holder.set({ holder }, 1);
  }

  recordSkip(job: string, reason: SkipReason): void {
    this.#skipped.inc({ job, reason });
  }

  /** Makes every job's series visible before its first run (so absent() alerts work from the start). */
  declareJobs(jobs: readonly string[]): void {
    for (const job of jobs) {
      this.#runs.inc({ job, outcome: 'succeeded' }, 0);
      this.#runs.inc({ job, outcome: 'failed' }, 0);
      this.#requests.inc({ job }, 0);
      this.#retries.inc({ job }, 0);
    }
  }
}

/** `/healthz` (200 while `alive()`, else 503) and `/metrics` on `port`. */
export async function startHealthServer(port: number, alive: () => boolean, metrics: SchedulerMetrics): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const ok = alive();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'scheduler loop is not running\n');
    } else if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /healthz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}
