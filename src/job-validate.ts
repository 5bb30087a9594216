import { MAX_TIMER_SECONDS } from './clock.js';
import { firstLine, JobLoadError } from './errors.js';
import type { LoadedJob, ResourceDeclaration, SettingSpec } from './job.js';
import { isTimeZone, scheduleProblem } from './schedule.js';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERBS = new Set(['get', 'list', 'create', 'patch', 'delete']);
const SUBRESOURCES = new Set(['status']);
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Kubernetes' name limits for what `kubepoll manifests` makes of a job name: a
 * CronJob's name is at most 52 characters (the controller appends 11 to name
 * its Jobs), and a Job's (`<job>-once`) at most 63.
 */
export const MAX_SCHEDULED_NAME = 52;
export const MAX_JOB_NAME = 63 - '-once'.length;
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
  'settings',
  'limits',
  'rateLimit',
  'shards',
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
  } else if (job.schedule !== undefined && name.length > MAX_SCHEDULED_NAME) {
    problems.push(
      `name "${name}" is ${name.length} characters; a scheduled job's name makes its CronJob's, which Kubernetes allows at most ${MAX_SCHEDULED_NAME}`,
    );
  } else if (name.length > MAX_JOB_NAME) {
    problems.push(
      `name "${name}" is ${name.length} characters; its Job "<name>-once" would be over 63, so at most ${MAX_JOB_NAME}`,
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
  if (typeof job.timeoutSeconds === 'number' && job.timeoutSeconds > MAX_TIMER_SECONDS) {
    problems.push(`timeoutSeconds must be at most ${MAX_TIMER_SECONDS} (about 24 days: Node's timers hold no more)`);
  }
  positiveInteger(job, 'startingDeadlineSeconds', problems);
  positiveInteger(job, 'jitterSeconds', problems, true);
  if (job.concurrencyPolicy !== undefined && !CONCURRENCY.has(job.concurrencyPolicy as string)) {
    problems.push(`concurrencyPolicy ${JSON.stringify(job.concurrencyPolicy)} must be Allow, Forbid or Replace`);
  }
  if (job.retry !== undefined) retryProblems(job.retry, problems);
  positiveInteger(job, 'shards', problems);
  if (job.limits !== undefined) {
    if (typeof job.limits !== 'object' || job.limits === null) problems.push('limits must be an object { writes }');
    else {
      for (const key of Object.keys(job.limits)) if (key !== 'writes') problems.push(`limits has unknown field "${key}"`);
      positiveInteger(job.limits as Record<string, unknown>, 'writes', problems, true, 'limits.writes');
    }
  }
  if (job.rateLimit !== undefined) rateLimitProblems(job.rateLimit, problems);
  if (job.settings !== undefined) settingsProblems(job.settings, problems);
  if (job.resources !== undefined && typeof job.resources !== 'function') declarationsProblems(job.resources, problems);
  return problems;
}

/** Problems of a job's declarations (its `resources`, or what its `resources(settings)` returned). */
export function declarationsProblems(resources: unknown, problems: string[]): void {
  if (!Array.isArray(resources)) {
    problems.push('resources must be an array of declarations (or a function of the settings that returns one)');
    return;
  }
  for (const [i, r] of resources.entries()) declarationProblems(r, `resources[${i}]`, problems);
}

function rateLimitProblems(value: unknown, problems: string[]): void {
  if (typeof value !== 'object' || value === null) {
    problems.push('rateLimit must be an object { qps, burst }');
    return;
  }
  const { qps, burst, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest)) problems.push(`rateLimit has unknown field "${key}"`);
  if (typeof qps !== 'number' || !Number.isFinite(qps) || qps <= 0)
    problems.push(`rateLimit.qps must be a number > 0, got ${JSON.stringify(qps)}`);
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    problems.push(`rateLimit.burst must be a whole number >= 1, got ${JSON.stringify(burst)}`);
  }
}

function settingsProblems(value: unknown, problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('settings must be an object { NAME: { description, default?, required? } }');
    return;
  }
  for (const [name, spec] of Object.entries(value)) {
    if (!SETTING_NAME.test(name)) problems.push(`setting "${name}" is not an environment variable name (letters, digits and _)`);
    if (typeof spec !== 'object' || spec === null) {
      problems.push(`setting ${name} must be { description, default?, required? }`);
      continue;
    }
    const s = spec as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!['description', 'default', 'required'].includes(key)) problems.push(`setting ${name} has unknown field "${key}"`);
    }
    if (typeof s.description !== 'string' || s.description.trim() === '') problems.push(`setting ${name} needs a description`);
    if (s.default !== undefined && typeof s.default !== 'string') {
      problems.push(
        `setting ${name}: default must be a string (settings are environment variables), got ${JSON.stringify(s.default)}`,
      );
    }
    if (s.required !== undefined && typeof s.required !== 'boolean')
      problems.push(`setting ${name}: required must be true or false`);
  }
}

function positiveInteger(job: Record<string, unknown>, key: string, problems: string[], zeroOk = false, shown = key): void {
  const v = job[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (zeroOk ? 0 : 1)) {
    problems.push(`${shown} must be a whole number ${zeroOk ? '>= 0' : '>= 1'}, got ${JSON.stringify(v)}`);
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
  if (r.names !== undefined) {
    if (
      !Array.isArray(r.names) ||
      r.names.length === 0 ||
      r.names.some((n) => typeof n !== 'string' || n === '' || n.includes('/'))
    ) {
      problems.push(`${where}.names must be a non-empty list of object names`);
    } else if (Array.isArray(r.verbs) && r.verbs.some((v) => v === 'list' || v === 'create')) {
      problems.push(
        `${where}.names cannot limit 'list' or 'create' (RBAC resourceNames does not apply to them): declare those verbs in a declaration of their own`,
      );
    }
  }
  if (r.subresources !== undefined) {
    if (!Array.isArray(r.subresources)) problems.push(`${where}.subresources must be a list, e.g. ['status']`);
    else {
      for (const sub of r.subresources) {
        if (!SUBRESOURCES.has(sub))
          problems.push(`${where}.subresources has unknown subresource ${JSON.stringify(sub)} (known: status)`);
      }
    }
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

/** Where setting values come from: `--set NAME=VALUE` first, then the environment. */
export interface SettingSources {
  set?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Leave a missing required setting unset instead of failing (`kubepoll jobs` lists it). */
  allowMissing?: boolean;
}

/**
 * Validates a job definition, resolves its settings and declarations, and
 * fills in its defaults. Every problem is reported in one `JobLoadError`,
 * prefixed with `where` (the module's path); a missing required setting names
 * the setting and how to give it.
 */
export function validateJob(
  value: unknown,
  fallbackName: string,
  where?: string,
  file?: string,
  sources: SettingSources = {},
): LoadedJob {
  const prefix = where ? `${where}: ` : '';
  const problems = jobProblems(value, fallbackName);
  if (problems.length > 0) throw new JobLoadError(`${prefix}invalid job: ${problems.join('; ')}`);
  const job = value as Record<string, unknown>;
  const name = (job.name as string | undefined) ?? fallbackName;
  const { values: settingValues, missing } = resolveSettings(
    (job.settings ?? {}) as Record<string, SettingSpec>,
    sources,
    `${prefix}job "${name}"`,
  );
  let resources: unknown = job.resources ?? [];
  if (typeof resources === 'function') {
    if (missing.length > 0) {
      // Only when listing (allowMissing): the declarations cannot be known without those settings.
      resources = [];
    } else {
      try {
        resources = (resources as (settings: Record<string, string>) => unknown)(settingValues);
      } catch (error) {
        throw new JobLoadError(`${prefix}job "${name}": resources(settings) failed: ${firstLine(error)}`, { cause: error });
      }
      const more: string[] = [];
      declarationsProblems(resources, more);
      if (more.length > 0) throw new JobLoadError(`${prefix}invalid job: ${more.join('; ')}`);
    }
  }
  const loaded = { ...job, name, resources, settingValues } as unknown as LoadedJob;
  if (file !== undefined) loaded.file = file;
  if (missing.length > 0) loaded.missingSettings = missing;
  return loaded;
}

/** The settings' values: `--set`, else the environment, else the default; a missing required one throws. */
function resolveSettings(
  specs: Record<string, SettingSpec>,
  sources: SettingSources,
  who: string,
): { values: Readonly<Record<string, string>>; missing: string[] } {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    // Own properties only: a setting named toString must not find Object.prototype's.
    const given = (from: Readonly<Record<string, string | undefined>> | undefined) =>
      from !== undefined && Object.hasOwn(from, name) ? from[name] : undefined;
    const value = given(sources.set) ?? given(sources.env) ?? spec.default;
    if (value !== undefined) values[name] = value;
    else if (spec.required) missing.push(name);
  }
  if (missing.length > 0 && !sources.allowMissing) {
    const named = missing.map((name) => `${name} (${specs[name]?.description})`);
    throw new JobLoadError(
      `${who} needs setting${missing.length > 1 ? 's' : ''} ${named.join(', ')}: set the environment variable or pass --set NAME=VALUE`,
    );
  }
  return { values, missing };
}
