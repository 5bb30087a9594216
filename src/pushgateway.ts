import { Gauge, Pushgateway, Registry } from 'prom-client';
import type { Logger } from './log.js';
import type { RunReport } from './run.js';

/** The whole push, answer included, must be done within this. */
export const PUSH_TIMEOUT_MS = 10_000;

/** The URL with any user and password taken out, for log lines. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * Pushes one run's metrics to a Prometheus Pushgateway: a CronJob pod exits
 * before Prometheus could scrape it. Grouped by `job` (the kubepoll job's
 * name), with prom-client's `pushAdd` (HTTP POST), which replaces only the
 * metrics it sends: a failed run leaves `kubepoll_last_success_timestamp_seconds`
 * of the last success in place, so "no success for two periods" can alert.
 * A push that fails is logged and does not change the run's exit code.
 */
export async function pushRunMetrics(url: string, report: RunReport, log: Logger): Promise<void> {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number, labels: Record<string, string> = {}) => {
    const g = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [registry] });
    g.set(labels, value);
  };
  const seconds = Math.floor(report.finishedAt / 1000);
  gauge('kubepoll_last_run_timestamp_seconds', 'Unix time the last run finished.', seconds);
  gauge('kubepoll_last_run_duration_seconds', 'Duration of the last run.', report.durationMs / 1000);
  gauge('kubepoll_last_run_exit_code', 'Exit code of the last run.', report.exitCode);
  const outcome = new Gauge({
    name: 'kubepoll_last_run_outcome',
    help: 'The last run ended with this outcome (1) or not (0).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const o of ['succeeded', 'failed', 'timeout', 'interrupted']) outcome.set({ outcome: o }, report.outcome === o ? 1 : 0);
  gauge('kubepoll_last_run_requests', 'API requests of the last run, retries included.', report.requests);
  gauge('kubepoll_last_run_retries', 'API requests the last run retried.', report.retries);
  if (report.outcome === 'succeeded') {
    gauge('kubepoll_last_success_timestamp_seconds', 'Unix time of the last successful run.', seconds);
  }
  const gateway = new Pushgateway(url.replace(/\/+$/, ''), { timeout: PUSH_TIMEOUT_MS }, registry);
  const shown = withoutCredentials(url);
  let timer: NodeJS.Timeout | undefined;
  // prom-client's timeout is an idle timeout: a gateway that trickles its answer could hold the run's exit forever.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PUSH_TIMEOUT_MS / 1000}s`)), PUSH_TIMEOUT_MS);
  });
  try {
    await Promise.race([gateway.pushAdd({ jobName: report.job }), deadline]);
    log.debug({ pushgateway: shown }, 'run metrics pushed');
  } catch (error) {
    log.warn({ pushgateway: shown, err: error }, 'could not push the run metrics to the Pushgateway');
  } finally {
    clearTimeout(timer);
  }
}
