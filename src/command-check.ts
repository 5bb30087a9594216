import { parseArgs } from 'node:util';
import { resourceName } from './api-path.js';
import { CLUSTER_OPTIONS, type CliIo, clusterConfig, parseOutput } from './cli-io.js';
import type { ClusterConfig } from './cluster-config.js';
import type { LoadedJob } from './job.js';
import { DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { formatColumns } from './table.js';
import { createTransport, type Transport } from './transport.js';

/** A token closer to expiry than this is reported as a warning. */
export const TOKEN_WARN_SECONDS = 600;

interface Permission {
  job: string;
  verb: string;
  resource: string;
  /** Namespace, `*` for all namespaces, or undefined for cluster scope. */
  namespace: string | undefined;
  allowed: boolean;
}

export interface CheckReport {
  config: { source: string; server: string; namespace: string };
  api: { reachable: boolean; version?: string; error?: string };
  token: { status: 'ok' | 'warn' | 'unknown'; expiresAt?: string; message: string };
  permissions: Permission[];
  ok: boolean;
}

/**
 * `kubepoll check [job...]`: preflight for a deployment. Exit 0 when all is
 * well, 3 when a permission is missing, 1 when the API server cannot be reached,
 * 2 on a config error.
 */
export async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      output: { type: 'string', short: 'o' },
    },
  });
  const output = parseOutput(values.output);
  const jobs = await loadJobs(positionals, values.jobs ?? DEFAULT_JOBS_DIR);
  const config = await clusterConfig(values, io);
  const transport = createTransport(config, { requestTimeoutMs: 10_000 });
  let report: CheckReport;
  try {
    report = await check(config, transport, jobs, io.interrupt);
  } finally {
    await transport.close();
  }
  io.stdout.write(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  if (!report.api.reachable) return 1;
  return report.permissions.every((p) => p.allowed) ? 0 : 3;
}

async function check(config: ClusterConfig, transport: Transport, jobs: LoadedJob[], signal: AbortSignal): Promise<CheckReport> {
  const report: CheckReport = {
    config: { source: config.source, server: config.server, namespace: config.namespace },
    api: { reachable: false },
    token: tokenExpiry(await config.credentials.authorization(), Date.now()),
    permissions: [],
    ok: false,
  };
  try {
    const response = await transport.send({
      method: 'GET',
      path: '/version',
      signal,
      description: { verb: 'get', resource: '/version' },
    });
    report.api =
      response.status === 200
        ? { reachable: true, version: String(JSON.parse(response.body.toString()).gitVersion) }
        : { reachable: false, error: `GET /version answered ${response.status}` };
  } catch (error) {
    report.api = { reachable: false, error: (error as Error).message };
  }
  if (report.api.reachable) {
    for (const job of jobs) {
      for (const d of job.resources) {
        const scopes = !d.namespaced ? [undefined] : d.namespaces === '*' ? ['*'] : (d.namespaces ?? [config.namespace]);
        for (const namespace of scopes) {
          for (const verb of d.verbs) {
            const allowed = await review(transport, signal, { verb, group: d.group, resource: d.plural, namespace });
            report.permissions.push({ job: job.name, verb, resource: resourceName(d), namespace, allowed });
          }
        }
      }
    }
  }
  report.ok = report.api.reachable && report.permissions.every((p) => p.allowed) && report.token.status !== 'warn';
  return report;
}

async function review(
  transport: Transport,
  signal: AbortSignal,
  a: { verb: string; group: string; resource: string; namespace: string | undefined },
): Promise<boolean> {
  const body = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: a.verb,
        group: a.group,
        resource: a.resource,
        ...(a.namespace && a.namespace !== '*' ? { namespace: a.namespace } : {}),
      },
    },
  };
  const response = await transport.send({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: JSON.stringify(body),
    contentType: 'application/json',
    signal,
    description: { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
  });
  if (response.status !== 201 && response.status !== 200) return false;
  return (JSON.parse(response.body.toString()) as { status?: { allowed?: boolean } }).status?.allowed === true;
}

/** Reads `exp` from a bearer JWT. Pure: `now` is passed in. */
export function tokenExpiry(authorization: string | undefined, now: number): CheckReport['token'] {
  if (!authorization?.startsWith('Bearer '))
    return { status: 'unknown', message: 'no bearer token (client certificate or other auth)' };
  const notJwt = { status: 'unknown', message: 'token is not a JWT; its expiry cannot be read' } as const;
  const parts = authorization.slice(7).split('.');
  if (parts.length !== 3) return notJwt;
  let exp: unknown;
  try {
    exp = (JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
  } catch {
    return notJwt;
  }
  if (typeof exp !== 'number')
    return { status: 'warn', message: 'token never expires: use a projected service-account token with expirationSeconds' };
  const expiresAt = new Date(exp * 1000).toISOString();
  const left = Math.round(exp - now / 1000);
  if (left < TOKEN_WARN_SECONDS) {
    return {
      status: 'warn',
      expiresAt,
      message:
        left <= 0 ? `token expired at ${expiresAt}` : `token expires in ${Math.max(0, Math.floor(left / 60))} min (${expiresAt})`,
    };
  }
  return { status: 'ok', expiresAt, message: `token expires in ${Math.floor(left / 60)} min (${expiresAt})` };
}

function table(report: CheckReport): string {
  const rows: [string, string, string][] = [
    ['config', report.config.source, 'ok'],
    ['namespace', report.config.namespace, 'ok'],
    [
      'api',
      report.api.reachable ? `${report.config.server} (${report.api.version})` : `${report.config.server}: ${report.api.error}`,
      report.api.reachable ? 'ok' : 'FAIL',
    ],
    ['token', report.token.message, report.token.status === 'warn' ? 'WARN' : report.token.status],
  ];
  for (const p of report.permissions) {
    const where =
      p.namespace === undefined ? 'cluster scope' : p.namespace === '*' ? 'all namespaces' : `namespace ${p.namespace}`;
    rows.push([`job ${p.job}`, `${p.verb} ${p.resource} in ${where}`, p.allowed ? 'allowed' : 'MISSING']);
  }
  return formatColumns(rows);
}
