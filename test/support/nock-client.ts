import { AccessPolicy } from '../../src/access.js';
import { type ApiClient, createApiClient } from '../../src/client.js';
import type { ClusterConfig } from '../../src/cluster-config.js';
import type { Credentials } from '../../src/credentials.js';
import type { Limits, RateLimit, ResourceDeclaration, RetryOptions, Shard } from '../../src/job.js';
import { TokenBucket } from '../../src/rate-limit.js';
import { SecretSet } from '../../src/redact.js';
import { createPipeline, type Pipeline } from '../../src/request-pipeline.js';
import { createTransport, type Transport } from '../../src/transport.js';
import { WriteBudget } from '../../src/write-budget.js';
import { FakeClock } from './fake-clock.js';
import { captureLogs } from './log-capture.js';

export const SERVER = 'https://k8s.test:6443';
export const TOKEN = 'sekret-token-value';

export const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };
export const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
export const secrets = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
export const clusterIssuers = { group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', namespaced: false };

export const ALL_VERBS: ResourceDeclaration['verbs'] = ['get', 'list', 'create', 'patch', 'delete'];

/** Credentials that hand out `tokens` in turn, one more on each refresh. */
export class TokenSequence implements Credentials {
  refreshes = 0;
  readonly tokens: string[];
  readonly secrets: SecretSet | undefined;
  constructor(tokens: string[], secrets?: SecretSet) {
    this.tokens = tokens;
    this.secrets = secrets;
  }
  async authorization() {
    const value = `Bearer ${this.tokens[Math.min(this.refreshes, this.tokens.length - 1)]}`;
    this.secrets?.add(value);
    return value;
  }
  async refresh() {
    this.refreshes++;
  }
}

export interface ClientSetup {
  declarations?: ResourceDeclaration[];
  dryRun?: boolean;
  deadline?: number;
  retry?: RetryOptions;
  credentials?: Credentials;
  signal?: AbortSignal;
  rateLimit?: RateLimit;
  limits?: Limits;
  shard?: Shard;
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
}

export interface NockClient {
  client: ApiClient;
  pipeline: Pipeline;
  transport: Transport;
  logs: ReturnType<typeof captureLogs>;
  clock: FakeClock;
  budget: WriteBudget;
  limiter: TokenBucket;
  secrets: SecretSet;
  /** Retries made so far. */
  readonly retries: number;
}

/**
 * The job's API client over the real transport and request pipeline, aimed at
 * a host that only nock answers, with a fake clock (retry and rate-limit
 * waits advance virtual time and are recorded in `clock.sleeps`).
 */
export function nockClient(setup: ClientSetup = {}): NockClient {
  const secretSet = new SecretSet();
  const credentials = setup.credentials ?? new TokenSequence([TOKEN], secretSet);
  const config: ClusterConfig = {
    source: 'test',
    server: SERVER,
    tls: { rejectUnauthorized: true },
    namespace: 'team-a',
    credentials,
    secrets: secretSet,
    warnings: [],
  };
  const transport = createTransport(config, {
    requestTimeoutMs: setup.requestTimeoutMs,
    maxResponseBytes: setup.maxResponseBytes,
  });
  const logs = captureLogs(secretSet);
  const clock = new FakeClock();
  const signal = setup.signal ?? new AbortController().signal;
  const access = new AccessPolicy(
    setup.declarations ?? [
      { ...certificates, verbs: ALL_VERBS, namespaces: '*', subresources: ['status'] },
      { ...configMaps, verbs: ALL_VERBS },
      { ...secrets, verbs: ALL_VERBS },
      { ...clusterIssuers, verbs: ALL_VERBS },
      { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true, verbs: ['create'], namespaces: '*' },
    ],
    'team-a',
  );
  const budget = new WriteBudget(setup.limits?.writes, setup.dryRun ?? false);
  const limiter = new TokenBucket(setup.rateLimit ?? { qps: 1000, burst: 1000 }, clock);
  const pipeline = createPipeline({
    transport,
    credentials,
    access,
    rateLimiter: limiter,
    writeBudget: budget,
    retry: setup.retry,
    signal,
    deadline: setup.deadline,
    clock,
    log: logs.logger,
    secrets: secretSet,
  });
  const client = createApiClient({
    pipeline,
    access,
    job: 'test-job',
    namespace: 'team-a',
    dryRun: setup.dryRun ?? false,
    signal,
    log: logs.logger,
    clock,
    retry: setup.retry,
    shard: setup.shard ?? { index: 0, count: 1 },
    runId: 'run-1',
    secrets: secretSet,
  });
  return {
    client,
    pipeline,
    transport,
    logs,
    clock,
    budget,
    limiter,
    secrets: secretSet,
    get retries() {
      return pipeline.retries;
    },
  };
}

/** `count` certificates named `cert-00000` ..., in namespaces ns-a / ns-b, in list (key) order. */
export function certificateItems(count: number) {
  const items = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: `cert-${String(i).padStart(5, '0')}`,
      namespace: i < count / 2 ? 'ns-a' : 'ns-b',
      uid: `uid-${i}`,
      resourceVersion: '1',
      creationTimestamp: '2026-12-01T00:00:00Z',
    },
    spec: { secretName: `secret-${i}` },
  }));
  return items;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A Status body as the API server sends with an error. */
export function status(code: number, reason: string, message = 'boom') {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
}
