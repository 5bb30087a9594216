import { ApiError } from './api-error.js';
import { resourceName } from './api-path.js';
import {
  CLUSTER_OPTIONS,
  CLUSTER_USAGE,
  type CliIo,
  clusterConfig,
  parseCommand,
  parseOutput,
  parseSets,
  SET_OPTION,
  UsageError,
} from './cli-io.js';
import { systemClock } from './clock.js';
import type { ClusterConfig } from './cluster-config.js';
import { firstLine, InterruptedError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { forEach } from './for-each.js';
import type { LoadedJob, ResourceRef } from './job.js';
import { assertSetsDeclared, DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { createLogger } from './log.js';
import { createPipeline, type Pipeline } from './request-pipeline.js';
import { formatColumns } from './table.js';
import { createTransport } from './transport.js';
import { TlsError } from './transport-error.js';

/** A token closer to expiry than this is reported as a warning. */
export const TOKEN_WARN_SECONDS = 600;

const USAGE = `Usage: kubepoll check [job...] [options]

Preflight for a deployment: which config is used, whether the API server answers
(and its version), the token's expiry, that each declared resource is served and
each declared namespace exists, and for every declared verb whether it is allowed
(SelfSubjectAccessReview). Requests are retried like a run's.

Options:
${CLUSTER_USAGE}
  --as system:serviceaccount:NS:NAME
                          check what that service account may do (impersonation; your
                          kubeconfig's user needs the impersonate permission)
  -o, --output FORMAT     table or json (default table)

Exit codes: 0 all well, 1 the API server cannot be reached (or kept failing),
2 usage or configuration error, 3 something is missing: a permission, a resource
type (CRD), a namespace, or the token was rejected.`;

type Status = 'ok' | 'warn' | 'unknown' | 'missing' | 'error';

interface Finding {
  what: string;
  detail: string;
  status: Status;
}

interface Permission {
  job: string;
  verb: string;
  resource: string;
  /** Namespace, `*` for all namespaces, or undefined for cluster scope. */
  namespace: string | undefined;
  name?: string;
  status: 'allowed' | 'missing' | 'error';
  error?: string;
}

export interface CheckReport {
  config: { source: string; server: string; namespace: string; as?: string };
  api: { reachable: boolean; version?: string; error?: string; status: Status; tls?: boolean };
  token: { status: 'ok' | 'warn' | 'unknown' | 'missing'; expiresAt?: string; message: string };
  resources: Finding[];
  namespaces: Finding[];
  permissions: Permission[];
  ok: boolean;
}

const SA_USER = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/**
 * `kubepoll check [job...]`: preflight for a deployment. Every request goes
 * through the request pipeline (retries, classification), so a passing 500 is
 * not a missing permission and a rejected token says so.
 */
export async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      command: 'check',
      usage: USAGE,
      positionals: true,
      options: { ...CLUSTER_OPTIONS, ...SET_OPTION, as: { type: 'string' }, output: { type: 'string', short: 'o' } },
    },
    io,
  );
  if (!parsed) return ExitCode.Succeeded;
  const { values, positionals } = parsed;
  const output = parseOutput(values.output);
  if (values.as !== undefined && !SA_USER.test(values.as)) {
    throw new UsageError(`--as takes a service account as system:serviceaccount:NAMESPACE:NAME, got "${values.as}"`);
  }
  const set = parseSets(values.set);
  const jobs = await loadJobs(positionals, values.jobs ?? DEFAULT_JOBS_DIR, { set, env: io.env });
  assertSetsDeclared(set, jobs);
  const config = await clusterConfig(values, io);
  const report = await check(config, jobs, io, values.as);
  io.stdout.write(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  return exitCode(report);
}

function exitCode(report: CheckReport): number {
  if (report.api.tls) return ExitCode.Usage;
  if (!report.api.reachable) return report.api.status === 'missing' ? ExitCode.PermanentApiError : ExitCode.JobFailed;
  const findings = [...report.resources, ...report.namespaces];
  if (
    report.token.status === 'missing' ||
    findings.some((f) => f.status === 'missing') ||
    report.permissions.some((p) => p.status === 'missing')
  ) {
    return ExitCode.PermanentApiError;
  }
  if (findings.some((f) => f.status === 'error') || report.permissions.some((p) => p.status === 'error'))
    return ExitCode.JobFailed;
  return ExitCode.Succeeded;
}

async function check(config: ClusterConfig, jobs: LoadedJob[], io: CliIo, as: string | undefined): Promise<CheckReport> {
  const log = createLogger({ level: 'silent', secrets: io.secrets });
  const open = (impersonate?: string) => {
    const transport = createTransport(config, {
      requestTimeoutMs: 10_000,
      ...(impersonate ? { impersonate: { user: impersonate, groups: [] } } : {}),
    });
    const pipeline = createPipeline({
      transport,
      credentials: config.credentials,
      retry: { retries: 3, minTimeout: 100, maxTimeout: 1000 },
      signal: io.interrupt,
      clock: systemClock,
      log,
      secrets: config.secrets,
    });
    return { transport, pipeline };
  };
  // What is served and what exists is read as yourself; what is allowed, as --as when given.
  const self = open();
  const subject = as ? open(as) : self;
  try {
    const report: CheckReport = {
      config: { source: config.source, server: config.server, namespace: config.namespace, ...(as ? { as } : {}) },
      api: { reachable: false, status: 'error' },
      token: tokenExpiry(await config.credentials.authorization(), Date.now()),
      resources: [],
      namespaces: [],
      permissions: [],
      ok: false,
    };
    try {
      const response = await self.pipeline.send({
        verb: 'get',
        method: 'GET',
        ref: VERSION_REF,
        scope: undefined,
        path: '/version',
      });
      const version = (JSON.parse(response.body.toString('utf8')) as { gitVersion?: unknown }).gitVersion;
      report.api = { reachable: true, status: 'ok', version: config.secrets.scrub(String(version ?? 'unknown')).slice(0, 100) };
    } catch (error) {
      rethrowInterrupt(error);
      const rejected = error instanceof ApiError && error.status === 401;
      if (rejected) report.token = { status: 'missing', message: 'the API server rejected the credentials (401 Unauthorized)' };
      report.api = { reachable: false, status: rejected ? 'missing' : 'error', error: config.secrets.scrub(firstLine(error)) };
      if (error instanceof TlsError) report.api.tls = true;
      report.ok = false;
      return report;
    }
    await checkServed(self.pipeline, jobs, config, report);
    await checkPermissions(subject.pipeline, jobs, config, report);
    report.ok = exitCode(report) === ExitCode.Succeeded && report.token.status !== 'warn';
    return report;
  } finally {
    await self.transport.close();
    if (subject !== self) await subject.transport.close();
  }
}

const VERSION_REF: ResourceRef = { group: '', version: 'v1', plural: 'version', namespaced: false };
const NAMESPACES_REF: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const ACCESS_REVIEWS_REF: ResourceRef = {
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'selfsubjectaccessreviews',
  namespaced: false,
};

/** Each declared resource type is served (discovery), each named namespace exists. */
async function checkServed(pipeline: Pipeline, jobs: LoadedJob[], config: ClusterConfig, report: CheckReport): Promise<void> {
  const groupVersions = new Map<string, Promise<Map<string, boolean> | 'missing' | Error>>();
  const discover = (group: string, version: string) => {
    const key = group ? `${group}/${version}` : version;
    let found = groupVersions.get(key);
    if (!found) {
      found = pipeline
        .send({
          verb: 'get',
          method: 'GET',
          ref: VERSION_REF,
          scope: undefined,
          path: group ? `/apis/${key}` : `/api/${version}`,
        })
        .then((r) => {
          const list = JSON.parse(r.body.toString('utf8')) as { resources?: { name?: string; namespaced?: boolean }[] };
          return new Map((list.resources ?? []).map((x) => [String(x.name), x.namespaced === true]));
        })
        .catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? 'missing' : (error as Error)));
      groupVersions.set(key, found);
    }
    return found;
  };
  const seen = new Set<string>();
  const namespaces = new Set<string>();
  for (const job of jobs) {
    for (const d of job.resources) {
      const id = `${resourceName(d)}/${d.version}`;
      if (d.namespaced && d.namespaces !== '*') for (const ns of d.namespaces ?? [config.namespace]) namespaces.add(ns);
      if (seen.has(id)) continue;
      seen.add(id);
      const served = await discover(d.group, d.version);
      if (served instanceof Error) rethrowInterrupt(served);
      report.resources.push(
        served === 'missing' || (served instanceof Map && !served.has(d.plural))
          ? {
              what: id,
              detail: `not served: is its CustomResourceDefinition installed, and the version right?`,
              status: 'missing',
            }
          : served instanceof Error
            ? { what: id, detail: config.secrets.scrub(firstLine(served)), status: 'error' }
            : served.get(d.plural) !== d.namespaced
              ? {
                  what: id,
                  detail: `declared namespaced: ${d.namespaced}, but the server serves it ${d.namespaced ? 'cluster-scoped' : 'namespaced'}: fix the declaration`,
                  status: 'missing',
                }
              : { what: id, detail: 'served', status: 'ok' },
      );
    }
  }
  for (const ns of [...namespaces].sort()) {
    try {
      await pipeline.send({ verb: 'get', method: 'GET', ref: NAMESPACES_REF, scope: undefined, name: ns });
      report.namespaces.push({ what: ns, detail: 'exists', status: 'ok' });
    } catch (error) {
      rethrowInterrupt(error);
      if (error instanceof ApiError && error.status === 404)
        report.namespaces.push({ what: ns, detail: 'does not exist', status: 'missing' });
      else if (error instanceof ApiError && error.status === 403) {
        report.namespaces.push({ what: ns, detail: 'cannot tell (not allowed to get namespaces)', status: 'unknown' });
      } else report.namespaces.push({ what: ns, detail: config.secrets.scrub(firstLine(error)), status: 'error' });
    }
  }
}

async function checkPermissions(
  pipeline: Pipeline,
  jobs: LoadedJob[],
  config: ClusterConfig,
  report: CheckReport,
): Promise<void> {
  const reviews: (() => Promise<void>)[] = [];
  for (const job of jobs) {
    for (const d of job.resources) {
      const scopes = !d.namespaced ? [undefined] : d.namespaces === '*' ? ['*'] : (d.namespaces ?? [config.namespace]);
      const subresources = [undefined, ...(d.subresources ?? [])];
      for (const namespace of scopes) {
        for (const subresource of subresources) {
          for (const verb of d.verbs) {
            if (subresource !== undefined && !['get', 'patch'].includes(verb)) continue;
            for (const name of d.names ?? [undefined]) {
              const permission: Permission = {
                job: job.name,
                verb,
                resource: subresource ? `${resourceName(d)}/${subresource}` : resourceName(d),
                namespace,
                status: 'error',
                ...(name ? { name } : {}),
              };
              report.permissions.push(permission);
              const attributes = { verb, group: d.group, resource: d.plural, subresource, namespace, name };
              reviews.push(async () => {
                try {
                  permission.status = (await review(pipeline, attributes)) ? 'allowed' : 'missing';
                } catch (error) {
                  rethrowInterrupt(error);
                  permission.error = config.secrets.scrub(firstLine(error));
                }
              });
            }
          }
        }
      }
    }
  }
  // Several reviews at a time; the report keeps the declarations' order.
  await forEach(reviews, (next) => next(), { concurrency: 8 }, new AbortController().signal);
}

async function review(
  pipeline: Pipeline,
  a: {
    verb: string;
    group: string;
    resource: string;
    subresource?: string | undefined;
    namespace: string | undefined;
    name?: string | undefined;
  },
): Promise<boolean> {
  const body = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: a.verb,
        group: a.group,
        resource: a.resource,
        ...(a.subresource ? { subresource: a.subresource } : {}),
        ...(a.name ? { name: a.name } : {}),
        ...(a.namespace && a.namespace !== '*' ? { namespace: a.namespace } : {}),
      },
    },
  };
  const response = await pipeline.send({
    verb: 'create',
    method: 'POST',
    ref: ACCESS_REVIEWS_REF,
    scope: undefined,
    body: JSON.stringify(body),
    contentType: 'application/json',
    idempotent: true,
  });
  return (JSON.parse(response.body.toString('utf8')) as { status?: { allowed?: boolean } }).status?.allowed === true;
}

function rethrowInterrupt(error: unknown): void {
  if (error instanceof InterruptedError) throw error;
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

const SHOWN: Record<Status, string> = { ok: 'ok', warn: 'WARN', unknown: 'unknown', missing: 'MISSING', error: 'ERROR' };

function table(report: CheckReport): string {
  const rows: [string, string, string][] = [
    ['config', report.config.source, 'ok'],
    ['namespace', report.config.namespace, 'ok'],
  ];
  if (report.config.as) rows.push(['as', report.config.as, 'ok']);
  rows.push(
    [
      'api',
      report.api.reachable ? `${report.config.server} (${report.api.version})` : `${report.config.server}: ${report.api.error}`,
      SHOWN[report.api.status],
    ],
    ['token', report.token.message, SHOWN[report.token.status]],
  );
  for (const r of report.resources) rows.push(['resource', `${r.what}: ${r.detail}`, SHOWN[r.status]]);
  for (const n of report.namespaces) rows.push(['namespace', `${n.what}: ${n.detail}`, SHOWN[n.status]]);
  for (const p of report.permissions) {
    const where =
      p.namespace === undefined ? 'cluster scope' : p.namespace === '*' ? 'all namespaces' : `namespace ${p.namespace}`;
    const object = p.name ? ` "${p.name}"` : '';
    const status = p.status === 'allowed' ? 'allowed' : p.status === 'missing' ? 'MISSING' : `ERROR: ${p.error}`;
    rows.push([`job ${p.job}`, `${p.verb} ${p.resource}${object} in ${where}`, status]);
  }
  return formatColumns(rows);
}
