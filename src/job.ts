/**
 * Glossary
 * - job: a module whose default export is a `JobDefinition`; one file in `jobs/`.
 * - run: one execution of a job, with its own run id, deadline and `run finished` line.
 * - ref: which resource type a call is about, `{ group, version, plural, namespaced }`;
 *   a typed ref (`ResourceRef<Certificate>`) also says what its objects look like.
 * - declaration: a ref plus the verbs (and namespaces, names, subresources) the job
 *   may use; drives RBAC and the client-side access check.
 * - setting: a value a job reads from its environment (`settings`), validated at load.
 * - shard: one of `shards` pods of an Indexed Job; each sees a disjoint part of a list.
 */
import type { Logger } from 'pino';

/** The verbs a job can declare; they are also the RBAC verbs granted. */
export type Verb = 'get' | 'list' | 'create' | 'patch' | 'delete';

/** Subresources a declaration may grant (`'<plural>/status'` in RBAC). */
export type Subresource = 'status';

/** The type a typed ref carries; never present at run time. */
declare const objectType: unique symbol;

/**
 * A resource type. The core group is `''`. `T` is the type of its objects: a
 * typed ref makes `ctx.list`, `ctx.get` and friends return `T` with no cast
 * (`kubepoll types` generates typed refs from CRDs).
 *
 * @example
 * ```ts
 * const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
 * const certificates: ResourceRef<Certificate> = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };
 * for await (const cert of ctx.list(certificates)) cert.spec?.secretName; // typed
 * ```
 */
export interface ResourceRef<T extends object = KubeObject> {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Type only: the objects' type. */
  readonly [objectType]?: T;
}

/**
 * Makes a typed ref: an identity function that only adds the object type.
 *
 * @example
 * ```ts
 * interface Widget { metadata?: ObjectMeta; spec?: { size?: number } }
 * const widgets = resource<Widget>({ group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true });
 * ```
 */
export function resource<T extends object>(ref: ResourceRef): ResourceRef<T> {
  return ref as ResourceRef<T>;
}

/**
 * What a job may touch. `namespaces` (namespaced resources only): omitted means
 * the run's own namespace; a list of names; or `'*'` for every namespace (needed
 * for `allNamespaces` lists, and granted by a ClusterRole). `names`: the verbs
 * apply to those object names only (RBAC `resourceNames`; a `list` or `create`
 * cannot be limited so). `subresources: ['status']` also grants the verbs on
 * `<plural>/status` (for `ctx.patch(..., { subresource: 'status' })`).
 *
 * @example
 * ```ts
 * { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true, verbs: ['list'], namespaces: '*' }
 * { group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['get', 'patch'], names: ['feature-flags'] }
 * ```
 */
export interface ResourceDeclaration<T extends object = object> extends ResourceRef<T> {
  verbs: readonly Verb[];
  namespaces?: readonly string[] | '*';
  names?: readonly string[];
  subresources?: readonly Subresource[];
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

/** Client-side rate limit over every request of a run: a token bucket, as client-go's. */
export interface RateLimit {
  /** Requests per second, sustained. */
  qps: number;
  /** Requests that may go at once before the rate applies. */
  burst: number;
}

/** Safety limits of one run. */
export interface Limits {
  /** At most this many writes (create, patch, apply, delete, record) per run; the next throws (exit 5). */
  writes?: number;
}

/** One setting a job reads from its environment (or `--set NAME=VALUE`). */
export interface SettingSpec {
  description: string;
  /** Used when the variable is not set. */
  default?: string;
  /** Without a value (and no default), loading the job fails with exit 2. */
  required?: boolean;
}

/** A job's settings, by environment variable name. */
export type SettingsSpec = Readonly<Record<string, SettingSpec>>;

/** The settings' values as the job sees them: a string, or `undefined` when optional and unset. */
export type SettingValues<S extends SettingsSpec> = {
  readonly [K in keyof S]: S[K] extends { default: string } | { required: true } ? string : string | undefined;
};

// ---------------------------------------------------------------------------
// Objects

/** An owner reference, as in `metadata.ownerReferences`. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** `metadata` of a Kubernetes object (ObjectMeta). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: { manager?: string; operation?: string; apiVersion?: string; time?: string; subresource?: string }[];
}

/** `metadata` of an object the API server returned: these fields are always there. */
export type StoredMeta = ObjectMeta & { name: string; uid: string; resourceVersion: string; creationTimestamp: string };

/** An object as the API server returns it: `T` with `apiVersion`, `kind` and `metadata` filled in. */
export type Stored<T extends object> = T & { apiVersion: string; kind: string; metadata: StoredMeta };

/** A Kubernetes object as JSON, for untyped refs: any field may be read (as `unknown`). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** What a `metadataOnly` list or get returns: the object's metadata and nothing else. */
export interface PartialObjectMetadata {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'PartialObjectMetadata';
  metadata: StoredMeta;
}

/** Every field optional, at every depth: what a merge patch or an apply configuration may hold. */
export type DeepPartial<T> = T extends readonly (infer E)[]
  ? DeepPartial<E>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;

/** A server-side apply configuration: the fields this job owns, with the object's identity. */
export type ApplyConfiguration<T extends object> = DeepPartial<T> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** One operation of a JSON patch (RFC 6902). */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** The Status the API server answers a delete with (or the deleted object, depending on the resource). */
export interface DeleteStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string };
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------
// Options of ctx calls

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
  /** Only this shard's objects (by a stable hash of `metadata.uid`): see `ctx.shard`. */
  shard?: boolean;
  /** `PartialObjectMetadata` instead of whole objects: less to transfer and parse. */
  metadataOnly?: boolean;
}

/** Options of `ctx.get`, `ctx.create` and `ctx.delete`. */
export interface ObjectOptions {
  /** Namespace of the object; default the run's namespace (namespaced resources only). */
  namespace?: string;
}

/** Options of `ctx.get`. */
export interface GetOptions extends ObjectOptions {
  /** `PartialObjectMetadata` instead of the whole object. */
  metadataOnly?: boolean;
}

/** Options of `ctx.patch`. */
export interface PatchOptions extends ObjectOptions {
  /** `merge` (RFC 7386, default) or `json` (RFC 6902 operations). */
  type?: 'merge' | 'json';
  /** Patch the `status` subresource (declare `subresources: ['status']`). */
  subresource?: Subresource;
}

/** Options of `ctx.apply`. */
export interface ApplyOptions extends ObjectOptions {
  /** Take over fields another field manager owns, instead of failing with a conflict. */
  force?: boolean;
  subresource?: Subresource;
}

/** An event to record about an object with `ctx.record`. */
export interface EventNote {
  type: 'Normal' | 'Warning';
  /** Short, machine-readable, UpperCamelCase: `BackupStale`. */
  reason: string;
  /** Human-readable, at most 1 KB. */
  note: string;
  /** What the job did or found, UpperCamelCase. Default: the reason. */
  action?: string;
}

/** Options of `ctx.forEach`. */
export interface ForEachOptions {
  /** At most this many `fn` calls in flight. Default 8. */
  concurrency?: number;
  /**
   * `abort` (default): the first failure stops taking new items, waits for those
   * in flight, and throws it. `collect`: every item is tried; failures are returned.
   */
  onError?: 'abort' | 'collect';
}

/** What `ctx.forEach` did. */
export interface ForEachResult<I> {
  processed: number;
  failures: { item: I; error: Error }[];
}

/** Which shard of an Indexed Job this run is: `{ index: 0, count: 1 }` when not sharded. */
export interface Shard {
  index: number;
  count: number;
}

/** The object an event is about: enough to name it. */
export interface EventSubject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

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
export interface RunContext<S extends SettingsSpec = SettingsSpec> {
  /** Every matching object, page by page (the next page fetched while the job works on this one). */
  list<T extends object = KubeObject>(
    ref: ResourceRef<T>,
    options: ListOptions & { metadataOnly: true },
  ): AsyncIterable<PartialObjectMetadata>;
  list<T extends object = KubeObject>(ref: ResourceRef<T>, options?: ListOptions): AsyncIterable<Stored<T>>;
  /** The object, or `undefined` when it does not exist (an unknown resource type throws). */
  get<T extends object = KubeObject>(
    ref: ResourceRef<T>,
    name: string,
    options: GetOptions & { metadataOnly: true },
  ): Promise<PartialObjectMetadata | undefined>;
  get<T extends object = KubeObject>(ref: ResourceRef<T>, name: string, options?: GetOptions): Promise<Stored<T> | undefined>;
  /** Creates the object (server-side dry run under `--dry-run`); returns the server's answer. */
  create<T extends object = KubeObject>(ref: ResourceRef<T>, object: T, options?: ObjectOptions): Promise<Stored<T>>;
  /** A JSON merge patch (default) or, with `{ type: 'json' }`, a JSON patch; returns the server's answer. */
  patch<T extends object = KubeObject>(
    ref: ResourceRef<T>,
    name: string,
    patch: readonly JsonPatchOperation[],
    options: PatchOptions & { type: 'json' },
  ): Promise<Stored<T>>;
  patch<T extends object = KubeObject>(
    ref: ResourceRef<T>,
    name: string,
    patch: DeepPartial<T>,
    options?: PatchOptions & { type?: 'merge' },
  ): Promise<Stored<T>>;
  /** Server-side apply with field manager `kubepoll-<job>`; needs `patch` (and `create` if it may not exist). */
  apply<T extends object = KubeObject>(
    ref: ResourceRef<T>,
    object: ApplyConfiguration<T>,
    options?: ApplyOptions,
  ): Promise<Stored<T>>;
  /** Deletes the object; returns the server's answer. */
  delete<T extends object = KubeObject>(ref: ResourceRef<T>, name: string, options?: ObjectOptions): Promise<DeleteStatus>;
  /** Records an `events.k8s.io/v1` Event about `object` (once per object, type, reason and note in a run). */
  record(object: EventSubject, event: EventNote): Promise<void>;
  /** Calls `fn` for each item with at most `concurrency` calls in flight. */
  forEach<I>(
    items: AsyncIterable<I> | Iterable<I>,
    fn: (item: I, index: number) => unknown,
    options?: ForEachOptions,
  ): Promise<ForEachResult<I>>;
  /** The job's settings (environment or `--set`), validated when the job loaded. */
  settings: SettingValues<S>;
  /** This run's shard: `{ index, count }` (`{ 0, 1 }` unless the job runs as an Indexed Job). */
  shard: Shard;
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
export interface JobDefinition<Result = unknown, S extends SettingsSpec = SettingsSpec> {
  /** DNS-1123 label; defaults to the module's file name. */
  name?: string;
  /** Cron expression, 5 fields (6 with seconds) or a macro such as `@hourly`; optional for one-off jobs. */
  schedule?: string;
  /** IANA time zone of the schedule. Default `Etc/UTC`. */
  timeZone?: string;
  /** Deadline of the whole run, in seconds. Default: none (`--timeout` may set one). */
  timeoutSeconds?: number;
  /** What the job reads from its environment; values reach the job as `ctx.settings`. */
  settings?: S;
  /** What the job may touch. Default `[]`. A function of the settings when a declaration depends on one. */
  resources?: readonly ResourceDeclaration[] | ((settings: SettingValues<S>) => readonly ResourceDeclaration[]);
  retry?: RetryOptions;
  /** Client-side rate limit of the run's requests. Default `{ qps: 50, burst: 300 }` (kubectl's). */
  rateLimit?: RateLimit;
  limits?: Limits;
  /** Run as an Indexed Job of this many pods; each lists its own part with `{ shard: true }`. Default 1. */
  shards?: number;
  /** As in a CronJob. Default `Forbid`. */
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  /** Random delay of up to this many seconds before a scheduled run. Default 0. */
  jitterSeconds?: number;
  run(ctx: RunContext<S>): Promise<Result> | Result;
}

/** A job after loading: name filled in, settings resolved, declarations computed. */
export interface LoadedJob extends Omit<JobDefinition, 'resources' | 'run'> {
  name: string;
  resources: readonly ResourceDeclaration[];
  /** Every setting's value (environment, `--set`, or default), by name; an unset optional one is absent. */
  settingValues: Readonly<Record<string, string>>;
  /** Absolute path of the module, when it came from a file. */
  file?: string;
  /** Required settings with no value (only when loaded for listing, `kubepoll jobs`). */
  missingSettings?: readonly string[];
  run(ctx: RunContext): unknown;
}

/**
 * Identity helper that only adds types: a plain object literal works the same.
 *
 * @example
 * ```ts
 * import { defineJob } from 'kubepoll';
 * export default defineJob({
 *   schedule: '*\/15 * * * *',
 *   settings: { MIN_COUNT: { description: 'warn below this many', default: '1' } },
 *   resources: [{ group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['list'] }],
 *   async run(ctx) {
 *     let count = 0;
 *     for await (const _ of ctx.list({ group: '', version: 'v1', plural: 'configmaps', namespaced: true })) count++;
 *     if (count < Number(ctx.settings.MIN_COUNT)) ctx.log.warn({ count }, 'few config maps');
 *     return { count };
 *   },
 * });
 * ```
 */
export function defineJob<Result, const S extends SettingsSpec = Record<never, SettingSpec>>(
  job: JobDefinition<Result, S>,
): JobDefinition<Result, S> {
  return job;
}
