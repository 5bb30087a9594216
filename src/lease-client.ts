import { AccessPolicy } from './access.js';
import { systemClock } from './clock.js';
import type { ClusterConfig } from './cluster-config.js';
import { type LeaderElectionTimings, leaderElectionDeclarations } from './leader-election.js';
import type { Logger } from './log.js';
import { createPipeline, type Pipeline } from './request-pipeline.js';
import { createTransport } from './transport.js';

/**
 * The request pipeline of leader election: its own connection pool, access
 * limited to the one Lease (`leaderElectionDeclarations`), no retries (the
 * elector retries every retry period itself) and a request timeout of half the
 * renew deadline, so a hung request cannot make a leader miss its deadline.
 * It outlives SIGTERM (`close()` ends it), so the leader can release the Lease.
 */
export function createLeaseClient(
  config: ClusterConfig,
  leaseName: string,
  timings: LeaderElectionTimings,
  log: Logger,
): { pipeline: Pipeline; close: () => Promise<void> } {
  const controller = new AbortController();
  const transport = createTransport(config, { requestTimeoutMs: Math.max(1000, timings.renewDeadlineMs / 2), connections: 1 });
  const pipeline = createPipeline({
    transport,
    credentials: config.credentials,
    access: new AccessPolicy(leaderElectionDeclarations(leaseName), config.namespace),
    retry: { retries: 0 },
    signal: controller.signal,
    clock: systemClock,
    log,
    secrets: config.secrets,
  });
  return {
    pipeline,
    close: async () => {
      controller.abort(new Error('leader election ended'));
      await transport.close().catch(() => {});
    },
  };
}
