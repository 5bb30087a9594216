import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { type Credentials, RefreshingCredentials, TokenFileCredentials } from './credentials.js';
import { ConfigError, firstLine } from './errors.js';
import { SecretSet } from './redact.js';

/** Where the in-cluster service-account files are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Everything a run needs to reach the API server. Holds no secret in a printable field. */
export interface ClusterConfig {
  /** Human description of the source, for `kubepoll check` and logs: never a credential. */
  source: string;
  /** Base URL of the API server, e.g. `https://10.0.0.1:443` (may carry a path prefix). */
  server: string;
  tls: TlsOptions;
  /** The run's namespace. */
  namespace: string;
  credentials: Credentials;
  /** Where the CA came from (a file, or a kubeconfig's data), for TLS error messages. */
  caSource?: string | undefined;
  /** Credentials this config has handed out, to scrub from every output. */
  secrets: SecretSet;
  /** Things the user should know, logged at the start of each run (e.g. TLS verification is off). */
  warnings: string[];
  /** Do not ask for gzip (`--disable-compression`, or the kubeconfig cluster's `disable-compression`). */
  disableCompression?: boolean | undefined;
}

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

/** The flags that choose a config. */
export interface ConfigFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  /** `--disable-compression`: never ask the server to gzip its answers. */
  disableCompression?: boolean | undefined;
}

/** The environment config is read from: passed in, so tests never touch the real one. */
export interface ConfigEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** Where the credentials read go, to be scrubbed from output (the CLI shares it with its logger). */
  secrets?: SecretSet;
}

/**
 * Resolves the cluster config of one run, afresh each time (so a rotated token
 * or CA is picked up), in the order of DESIGN.md:
 * 1. `--kubeconfig` / `--context` when given;
 * 2. in cluster: `KUBERNETES_SERVICE_HOST` + `KUBERNETES_SERVICE_PORT` and the
 *    service-account directory (`KUBEPOLL_SERVICEACCOUNT_DIR` overrides it);
 * 3. `KUBECONFIG` (a path list, merged as kubectl does) or `~/.kube/config`.
 * Namespace: `--namespace`, else the service account's, else the context's, else `default`.
 * Throws `ConfigError` naming every source tried when none is usable.
 */
export async function resolveClusterConfig(flags: ConfigFlags, environment: ConfigEnvironment): Promise<ClusterConfig> {
  const { env } = environment;
  const secrets = environment.secrets ?? new SecretSet();
  if (flags.kubeconfig !== undefined) return fromKubeconfig([flags.kubeconfig], '--kubeconfig', flags, secrets);

  const tried: string[] = [];
  if (flags.context === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    const dir = env.KUBEPOLL_SERVICEACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
    if (!host || !port) tried.push('in-cluster (KUBERNETES_SERVICE_HOST/PORT not set)');
    else if (!existsSync(path.join(dir, 'token'))) tried.push(`in-cluster (no token in ${dir})`);
    else return inCluster(host, port, dir, flags, secrets);
  } else {
    tried.push('in-cluster (skipped: --context names a kubeconfig context)');
  }

  const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (listed.length > 0) {
    const present = listed.filter((f) => existsSync(f));
    if (present.length > 0) return fromKubeconfig(present, 'KUBECONFIG', flags, secrets);
    tried.push(`KUBECONFIG (${listed.join(path.delimiter)}: no such file)`);
  } else {
    tried.push('KUBECONFIG (not set)');
  }
  const home = path.join(environment.homeDir, '.kube', 'config');
  if (existsSync(home)) return fromKubeconfig([home], '~/.kube/config', flags, secrets);
  tried.push(`${home} (no such file)`);
  throw new ConfigError(`no cluster config found; tried ${tried.join(', ')}. Pass --kubeconfig or run in a pod`);
}

async function inCluster(
  host: string,
  port: string,
  dir: string,
  flags: ConfigFlags,
  secrets: SecretSet,
): Promise<ClusterConfig> {
  const caFile = path.join(dir, 'ca.crt');
  let ca: string;
  try {
    ca = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`in-cluster config: cannot read CA ${caFile}: ${(error as NodeJS.ErrnoException).code}`, {
      cause: error,
    });
  }
  // An empty CA would mean the system trust store: the token would go to any server with a public certificate.
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(
      `in-cluster config: CA file ${caFile} holds no certificate; refusing to send the service-account token without verifying the server`,
    );
  }
  const credentials = new TokenFileCredentials(path.join(dir, 'token'), { secrets });
  await credentials.refresh(); // fail now, with a config error, when the token is unreadable
  const saNamespace = (await readFile(path.join(dir, 'namespace'), 'utf8').catch(() => '')).trim();
  return {
    source: `in-cluster (${dir})`,
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    tls: { ca, rejectUnauthorized: true },
    namespace: flags.namespace || saNamespace || 'default',
    credentials,
    caSource: caFile,
    secrets,
    warnings: [],
    disableCompression: flags.disableCompression,
  };
}

interface HttpsOptionsOut {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  auth?: string;
  headers?: Record<string, string>;
}

async function fromKubeconfig(files: string[], origin: string, flags: ConfigFlags, secrets: SecretSet): Promise<ClusterConfig> {
  // Loaded only here: client-node is large, and an in-cluster run does not need it.
  const { KubeConfig, loadYaml } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const shown = files.join(path.delimiter);
  for (const [i, file] of files.entries()) {
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code ? code : firstLine(error);
      throw new ConfigError(`kubeconfig ${file} (from ${origin}) cannot be read: ${why}`, { cause: error });
    }
  }
  if (flags.context !== undefined) {
    if (!kc.getContextObject(flags.context)) {
      const names = kc.getContexts().map((c) => c.name);
      throw new ConfigError(
        `context "${flags.context}" not found in kubeconfig ${shown}` +
          (names.length ? ` (contexts: ${names.join(', ')})` : ' (it has no contexts)'),
      );
    }
    kc.setCurrentContext(flags.context);
  }
  const contextName = kc.getCurrentContext();
  const context = contextName ? kc.getContextObject(contextName) : null;
  if (!context) {
    throw new ConfigError(
      `kubeconfig ${shown} has no current context; pass --context (contexts: ${
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none'
      })`,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new ConfigError(`kubeconfig ${shown}: context "${contextName}" names no cluster with a server`);

  const apply = async (): Promise<HttpsOptionsOut> => {
    const opts: HttpsOptionsOut = {};
    try {
      await kc.applyToHTTPSOptions(opts as never);
    } catch (error) {
      throw new ConfigError(`kubeconfig ${shown}: cannot get credentials for context "${contextName}": ${firstLine(error)}`, {
        cause: error,
      });
    }
    return opts;
  };
  const first = await apply();
  const tls: TlsOptions = { rejectUnauthorized: first.rejectUnauthorized ?? true };
  const warnings: string[] = [];
  if (cluster.server.startsWith('http://')) {
    warnings.push(
      `kubeconfig ${shown}, cluster "${cluster.name}": the server is plain http://, so the credentials travel unencrypted`,
    );
  }
  if (!tls.rejectUnauthorized) {
    warnings.push(
      `kubeconfig ${shown}, cluster "${cluster.name}": insecure-skip-tls-verify is set, so the server is not verified and the credentials go to whoever answers`,
    );
  }
  const namesCa = Boolean(cluster.caFile || cluster.caData);
  if (namesCa && tls.rejectUnauthorized && (!first.ca || first.ca.length === 0)) {
    throw new ConfigError(
      `kubeconfig ${shown}, cluster "${cluster.name}": its certificate authority is empty; refusing to fall back to the system trust store`,
    );
  }
  if (first.ca) tls.ca = first.ca;
  if (first.cert) tls.cert = first.cert;
  if (first.key) tls.key = first.key;
  if (first.servername) tls.servername = first.servername;
  const authorization = (o: HttpsOptionsOut): string | undefined =>
    o.headers?.Authorization ?? (o.auth ? `Basic ${Buffer.from(o.auth).toString('base64')}` : undefined);
  let pending: HttpsOptionsOut | undefined = first;
  const credentials = new RefreshingCredentials(
    async () => {
      const opts = pending ?? (await apply());
      pending = undefined;
      return authorization(opts);
    },
    { secrets },
  );
  return {
    source: `kubeconfig ${shown} (from ${origin}), context ${contextName}`,
    server: cluster.server.replace(/\/+$/, ''),
    tls,
    namespace: flags.namespace || context.namespace || 'default',
    credentials,
    caSource: cluster.caFile
      ? `CA file ${cluster.caFile}`
      : cluster.caData
        ? `the CA data of cluster "${cluster.name}" in ${shown}`
        : 'the system trust store',
    secrets,
    warnings,
    disableCompression: flags.disableCompression || kubeconfigDisablesCompression(files, cluster.name, loadYaml),
  };
}

/**
 * The cluster's `disable-compression` (kubectl and client-go read it; client-node drops it): from the first
 * file that defines the cluster, as kubectl merges a KUBECONFIG list.
 */
function kubeconfigDisablesCompression(files: string[], clusterName: string, loadYaml: (text: string) => unknown): boolean {
  for (const file of files) {
    let clusters: unknown;
    try {
      clusters = (loadYaml(readFileSync(file, 'utf8')) as { clusters?: unknown } | null)?.clusters;
    } catch {
      continue; // already read once by client-node, which said what was wrong with it
    }
    if (!Array.isArray(clusters)) continue;
    const entry = clusters.find((c) => (c as { name?: unknown } | null)?.name === clusterName) as
      | { cluster?: Record<string, unknown> }
      | undefined;
    if (entry) return entry.cluster?.['disable-compression'] === true;
  }
  return false;
}
