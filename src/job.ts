/**
 * Glossary
 * - job: a module whose default export is a `JobDefinition`; one file in `jobs/`.
 * - run: one execution of a job, with its own run id, deadline and `run finished` line.
 * - ref: which resource type a call is about, `{ group, version, plural, namespaced }`.
 * - declaration: a ref plus the verbs (and namespaces) the job may use; drives RBAC.
 */
import type { Logger } from 'pino';

/** The verbs a job can use through `ctx`; they are also the RBAC verbs granted. */
export type Verb = 'get' | 'list' | 'create' | 'patch' | 'delete';

/**
 * A resource type. The core group is `''`.
 *
 * @example
 * ```ts
 * const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };
 * const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
 * ```
 */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

/**
 * What a job may touch. `namespaces` (namespaced resources only): omitted means
 * the run's own namespace; a list of names; or `'*'` for every namespace (needed
 * for `allNamespaces` lists, and granted by a ClusterRole).
 *
 * @example
 * ```ts
 * { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true, verbs: ['list'], namespaces: '*' }
 * ```
 */
export interface ResourceDeclaration extends ResourceRef {
  verbs: readonly Verb[];
  namespaces?: readonly string[] | '*';
}

/** Retry policy knobs; see `src/retry-policy.ts` for the defaults and the delay schedule. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** Delay before the first retry, in ms (randomised ×1–2). Default 500. */
  minTimeout?: number;
  /** Largest delay between two retries, in ms. Default 30000. */
  maxTimeout?: number;
}

/** Options of `ctx.list`. */
export interface ListOptions {
  /** Namespace to list in; default the run's namespace (namespaced resources only). */
  namespace?: string;
  /** List across every namespace (needs `namespaces: '*'` in the declaration). */
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size. Default 500. */
  limit?: number;
}

/** Options of `ctx.get`, `ctx.create`, `ctx.patch` and `ctx.delete`. */
export interface ObjectOptions {
  /** Namespace of the object; default the run's namespace (namespaced resources only). */
  namespace?: string;
}

/** A Kubernetes object as JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
};

/**
 * The run context handed to `run(ctx)`.
 *
 * @example
 * ```ts
 * async run(ctx) {
 *   let n = 0;
 *   for await (const cert of ctx.list(certificates, { allNamespaces: true })) n++;
 *   ctx.log.info({ n }, 'counted');
 *   return { n };
 * }
 * ```
 */
export interface RunContext {
  /** Every matching object, page by page; never the whole list in memory. */
  list(ref: ResourceRef, options?: ListOptions): AsyncIterable<KubeObject>;
  /** The object, or `undefined` when it does not exist. */
  get(ref: ResourceRef, name: string, options?: ObjectOptions): Promise<KubeObject | undefined>;
  /** Creates the object (server-side dry run under `--dry-run`); returns the server's answer. */
  create(ref: ResourceRef, object: KubeObject, options?: ObjectOptions): Promise<KubeObject>;
  /** Applies a JSON merge patch (RFC 7386); returns the server's answer. */
  patch(ref: ResourceRef, name: string, mergePatch: object, options?: ObjectOptions): Promise<KubeObject>;
  /** Deletes the object; returns the server's answer. */
  delete(ref: ResourceRef, name: string, options?: ObjectOptions): Promise<KubeObject>;
  /** pino logger bound to `job` and `runId`. */
  log: Logger;
  /** Aborts on the run's deadline or on SIGTERM / SIGINT. */
  signal: AbortSignal;
  /** The run's namespace (`--namespace`, the service account's, the context's, or `default`). */
  namespace: string;
  /** True under `--dry-run`: writes are sent with `dryRun=All` and change nothing. */
  dryRun: boolean;
  /** Unique id of this run, on every log line. */
  runId: string;
}

/** A job definition: the default export of a job module. */
export interface JobDefinition<Result = unknown> {
  /** DNS-1123 label; defaults to the module's file name. */
  name?: string;
  /** Cron expression, 5 fields (6 with seconds) or a macro such as `@hourly`; optional for one-off jobs. */
  schedule?: string;
  /** IANA time zone of the schedule. Default `Etc/UTC`. */
  timeZone?: string;
  /** Deadline of the whole run, in seconds. Default: none (`--timeout` may set one). */
  timeoutSeconds?: number;
  /** What the job may touch. Default `[]`. */
  resources?: readonly ResourceDeclaration[];
  retry?: RetryOptions;
  /** As in a CronJob. Default `Forbid`. */
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  /** Random delay of up to this many seconds before a scheduled run. Default 0. */
  jitterSeconds?: number;
  run(ctx: RunContext): Promise<Result> | Result;
}

/** A job after loading: name filled in and the module's file recorded. */
export interface LoadedJob extends JobDefinition {
  name: string;
  resources: readonly ResourceDeclaration[];
  /** Absolute path of the module, when it came from a file. */
  file?: string;
}

/**
 * Identity helper that only adds types: a plain object literal works the same.
 *
 * @example
 * ```ts
 * import { defineJob } from 'kubepoll';
 * export default defineJob({
 *   schedule: '*\/15 * * * *',
 *   resources: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['list'] }],
 *   async run(ctx) {
 *     let count = 0;
 *     for await (const _ of ctx.list({ group: '', version: 'v1', plural: 'configmaps', namespaced: true })) count++;
 *     return { count };
 *   },
 * });
 * ```
 */
export function defineJob<Result>(job: JobDefinition<Result>): JobDefinition<Result> {
  return job;
}
