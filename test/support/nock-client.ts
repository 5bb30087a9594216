import { createApiClient } from '../../src/client.js';
import type { ClusterConfig } from '../../src/cluster-config.js';
import type { Credentials } from '../../src/credentials.js';
import type { ResourceDeclaration, RetryOptions } from '../../src/job.js';
import { createTransport } from '../../src/transport.js';
import { captureLogs } from './log-capture.js';

export const SERVER = 'https://k8s.test:6443';
export const TOKEN = 'sekret-token-value';

export const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };
export const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
export const clusterIssuers = { group: 'cert-manager.io', version: 'v1', plural: 'clusterissuers', namespaced: false };

export const ALL_VERBS: ResourceDeclaration['verbs'] = ['get', 'list', 'create', 'patch', 'delete'];

/** Credentials that hand out `tokens` in turn, one more on each refresh. */
export class TokenSequence implements Credentials {
  refreshes = 0;
  readonly tokens: string[];
  constructor(tokens: string[]) {
    this.tokens = tokens;
  }
  async authorization() {
    return `Bearer ${this.tokens[Math.min(this.refreshes, this.tokens.length - 1)]}`;
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
}

/** An API client over the real transport, aimed at a host that only nock answers. */
export function nockClient(setup: ClientSetup = {}) {
  const credentials = setup.credentials ?? new TokenSequence([TOKEN]);
  const config: ClusterConfig = {
    source: 'test',
    server: SERVER,
    tls: { rejectUnauthorized: true },
    namespace: 'team-a',
    credentials,
  };
  const transport = createTransport(config);
  const logs = captureLogs();
  const stats = { retries: 0 };
  const client = createApiClient({
    transport,
    credentials,
    declarations: setup.declarations ?? [
      { ...certificates, verbs: ALL_VERBS, namespaces: '*' },
      { ...configMaps, verbs: ALL_VERBS },
      { ...clusterIssuers, verbs: ALL_VERBS },
    ],
    namespace: 'team-a',
    dryRun: setup.dryRun ?? false,
    signal: setup.signal ?? new AbortController().signal,
    deadline: setup.deadline,
    retry: setup.retry,
    log: logs.logger,
    onRetry: () => stats.retries++,
  });
  return { client, transport, logs, stats, credentials };
}

/** `count` certificates named `cert-00000` ..., in namespaces ns-a / ns-b. */
export function certificateItems(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: `cert-${String(i).padStart(5, '0')}`, namespace: i % 2 ? 'ns-b' : 'ns-a' },
  })).sort((a, b) => (`${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
