import { JobLoadError } from './errors.js';
import type { LoadedJob, ResourceDeclaration } from './job.js';
import { isTimeZone, scheduleProblem } from './schedule.js';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERBS = new Set(['get', 'list', 'create', 'patch', 'delete']);
const CONCURRENCY = new Set(['Allow', 'Forbid', 'Replace']);
const KNOWN_FIELDS = new Set([
  'name',
  'schedule',
  'timeZone',
  'timeoutSeconds',
  'resources',
  'retry',
  'concurrencyPolicy',
  'startingDeadlineSeconds',
  'jitterSeconds',
  'run',
]);

/** True when `value` is a DNS-1123 label (Kubernetes object and job names). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

/**
 * Every problem of a job definition, as short phrases; empty when it is valid.
 * `fallbackName` is the module's file name, used when the job has no `name`.
 */
export function jobProblems(value: unknown, fallbackName: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['the default export must be a job object with a run(ctx) function'];
  }
  const job = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(job)) if (!KNOWN_FIELDS.has(key)) problems.push(`unknown field "${key}"`);

  const name = job.name ?? fallbackName;
  if (typeof name !== 'string' || !isDnsLabel(name)) {
    problems.push(
      `name ${JSON.stringify(name)} is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
    );
  }
  if (typeof job.run !== 'function') problems.push('run must be a function run(ctx)');
  if (job.timeZone !== undefined && (typeof job.timeZone !== 'string' || !isTimeZone(job.timeZone))) {
    problems.push(`timeZone ${JSON.stringify(job.timeZone)} is not an IANA time zone (for example "Europe/Berlin")`);
  }
  if (job.schedule !== undefined) {
    if (typeof job.schedule !== 'string') problems.push('schedule must be a string');
    else {
      const zone = typeof job.timeZone === 'string' && isTimeZone(job.timeZone) ? job.timeZone : undefined;
      const problem = scheduleProblem(job.schedule, zone);
      if (problem) problems.push(problem);
    }
  }
  positiveInteger(job, 'timeoutSeconds', problems);
  positiveInteger(job, 'startingDeadlineSeconds', problems);
  positiveInteger(job, 'jitterSeconds', problems, true);
  if (job.concurrencyPolicy !== undefined && !CONCURRENCY.has(job.concurrencyPolicy as string)) {
    problems.push(`concurrencyPolicy ${JSON.stringify(job.concurrencyPolicy)} must be Allow, Forbid or Replace`);
  }
  if (job.retry !== undefined) retryProblems(job.retry, problems);
  if (job.resources !== undefined) {
    if (!Array.isArray(job.resources)) problems.push('resources must be an array of declarations');
    else {
      for (const [i, r] of job.resources.entries()) declarationProblems(r, `resources[${i}]`, problems);
    }
  }
  return problems;
}

function positiveInteger(job: Record<string, unknown>, key: string, problems: string[], zeroOk = false): void {
  const v = job[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (zeroOk ? 0 : 1)) {
    problems.push(`${key} must be a whole number ${zeroOk ? '>= 0' : '>= 1'}, got ${JSON.stringify(v)}`);
  }
}

function retryProblems(retry: unknown, problems: string[]): void {
  if (typeof retry !== 'object' || retry === null) {
    problems.push('retry must be an object { retries, minTimeout, maxTimeout }');
    return;
  }
  for (const [key, v] of Object.entries(retry)) {
    if (!['retries', 'minTimeout', 'maxTimeout'].includes(key)) problems.push(`retry has unknown field "${key}"`);
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      problems.push(`retry.${key} must be a whole number >= 0, got ${JSON.stringify(v)}`);
    }
  }
}

function declarationProblems(value: unknown, where: string, problems: string[]): void {
  if (typeof value !== 'object' || value === null) {
    problems.push(`${where} must be an object { group, version, plural, namespaced, verbs }`);
    return;
  }
  const r = value as Partial<Record<keyof ResourceDeclaration, unknown>>;
  if (typeof r.group !== 'string' || (r.group !== '' && !DNS_1123_SUBDOMAIN.test(r.group))) {
    problems.push(`${where}.group must be an API group such as "cert-manager.io", or "" for the core group`);
  }
  if (typeof r.version !== 'string' || !/^v\d+((alpha|beta)\d+)?$/.test(r.version)) {
    problems.push(`${where}.version must be an API version such as "v1"`);
  }
  if (typeof r.plural !== 'string' || !isDnsLabel(r.plural)) {
    problems.push(`${where}.plural must be the lowercase plural resource name, such as "certificates"`);
  }
  if (typeof r.namespaced !== 'boolean') problems.push(`${where}.namespaced must be true or false`);
  if (!Array.isArray(r.verbs) || r.verbs.length === 0) {
    problems.push(`${where}.verbs must be a non-empty list of ${[...VERBS].join(', ')}`);
  } else {
    for (const verb of r.verbs) if (!VERBS.has(verb)) problems.push(`${where}.verbs has unknown verb ${JSON.stringify(verb)}`);
  }
  if (r.namespaces !== undefined) {
    if (r.namespaced === false) problems.push(`${where}.namespaces only applies to namespaced resources`);
    else if (r.namespaces !== '*') {
      if (!Array.isArray(r.namespaces) || r.namespaces.length === 0) {
        problems.push(`${where}.namespaces must be '*' or a non-empty list of namespace names`);
      } else {
        for (const ns of r.namespaces) {
          if (typeof ns !== 'string' || !isDnsLabel(ns)) {
            problems.push(`${where}.namespaces has invalid namespace ${JSON.stringify(ns)}`);
          }
        }
      }
    }
  }
}

/**
 * Validates a job definition and fills in its defaults. Every problem is
 * reported in one `JobLoadError`, prefixed with `where` (the module's path).
 */
export function validateJob(value: unknown, fallbackName: string, where?: string, file?: string): LoadedJob {
  const problems = jobProblems(value, fallbackName);
  if (problems.length > 0) throw new JobLoadError(`${where ? `${where}: ` : ''}invalid job: ${problems.join('; ')}`);
  return normaliseJob(value as Record<string, unknown>, fallbackName, file);
}

function normaliseJob(value: Record<string, unknown>, fallbackName: string, file?: string): LoadedJob {
  const job = { ...value } as unknown as LoadedJob;
  job.name = (value.name as string | undefined) ?? fallbackName;
  job.resources = (value.resources as ResourceDeclaration[] | undefined) ?? [];
  if (file !== undefined) job.file = file;
  return job;
}
