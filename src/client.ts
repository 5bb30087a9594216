import type { Logger } from 'pino';
import type { AccessPolicy, Scope } from './access.js';
import { ApiError, describeRequest } from './api-error.js';
import { assertPathSegment, resourceName } from './api-path.js';
import type { Clock } from './clock.js';
import { changedFields, printable, printableChanges } from './dry-run.js';
import { AccessError, ProtocolError } from './errors.js';
import { EVENTS_REF, eventFor, eventKey } from './events.js';
import type {
  ApplyOptions,
  EventNote,
  EventSubject,
  GetOptions,
  KubeObject,
  ListOptions,
  ObjectOptions,
  PatchOptions,
  ResourceRef,
  RetryOptions,
  Shard,
} from './job.js';
import { jsonErrorMessage, readListPage } from './list-page.js';
import { DEFAULT_PAGE_SIZE, listObjects } from './paging.js';
import type { SecretSet } from './redact.js';
import { type ApiCall, describeCall, type Pipeline } from './request-pipeline.js';
import { shardOf } from './shard.js';

/** `Accept` of a metadata-only list (with a fallback to whole objects for servers that cannot). */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
/** `Accept` of a metadata-only get. */
export const METADATA_GET_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface ClientOptions {
  pipeline: Pipeline;
  /** The job's declarations, to explain a refused apply; the pipeline enforces them. */
  access?: AccessPolicy | undefined;
  job: string;
  namespace: string;
  dryRun: boolean;
  signal: AbortSignal;
  log: Logger;
  clock: Clock;
  retry?: RetryOptions | undefined;
  shard: Shard;
  runId: string;
  /** The pod's name, for Events' `reportingInstance`, when known. */
  podName?: string | undefined;
  /** Credentials to scrub from what the server says (parse errors quote it). */
  secrets?: SecretSet | undefined;
}

/** The API verbs of `ctx` (typed in `RunContext`; here on plain objects). */
export interface ApiClient {
  list(ref: ResourceRef, options?: ListOptions): AsyncIterable<KubeObject>;
  get(ref: ResourceRef, name: string, options?: GetOptions): Promise<KubeObject | undefined>;
  create(ref: ResourceRef, object: KubeObject, options?: ObjectOptions): Promise<KubeObject>;
  patch(ref: ResourceRef, name: string, patch: unknown, options?: PatchOptions): Promise<KubeObject>;
  apply(ref: ResourceRef, object: KubeObject, options?: ApplyOptions): Promise<KubeObject>;
  delete(ref: ResourceRef, name: string, options?: ObjectOptions): Promise<KubeObject>;
  record(object: EventSubject, event: EventNote): Promise<void>;
}

const PATCH_TYPES = { merge: 'application/merge-patch+json', json: 'application/json-patch+json' } as const;
const APPLY_TYPE = 'application/apply-patch+yaml';

/**
 * The job's verbs on top of the request pipeline (`request-pipeline.ts`) and
 * paging (`paging.ts`): names and namespaces checked, dry run (`dryRun=All`
 * and a `would …` line that carries the change), metadata-only reads, shards,
 * server-side apply and Events.
 */
export function createApiClient(options: ClientOptions): ApiClient {
  const { pipeline, log } = options;
  const fieldManager = `kubepoll-${options.job}`;
  const recorded = new Set<string>();
  const scrub = (text: string) => options.secrets?.scrub(text) ?? text;

  async function json(call: ApiCall): Promise<KubeObject> {
    const response = await pipeline.send(call);
    return parseObject(response.body, describe(call), scrub);
  }

  function scopeOf(ref: ResourceRef, opts: ListOptions | ObjectOptions | undefined, list: boolean): Scope {
    const all = list && (opts as ListOptions | undefined)?.allNamespaces === true;
    if (!ref.namespaced) {
      if (opts?.namespace !== undefined || all) {
        throw new TypeError(`${resourceName(ref)} is cluster-scoped: do not pass namespace or allNamespaces`);
      }
      return undefined;
    }
    if (all) {
      if (opts?.namespace !== undefined) throw new TypeError('pass either namespace or allNamespaces, not both');
      return '*';
    }
    const namespace = opts?.namespace ?? options.namespace;
    assertPathSegment(namespace, 'namespace');
    return namespace;
  }

  function dryRunQuery(verb: string, ref: ResourceRef, scope: Scope, name: string | undefined, change?: Record<string, unknown>) {
    if (!options.dryRun) return undefined;
    log.info(
      { dryRun: true, verb, resource: resourceName(ref), namespace: scope, name, ...change },
      `would ${verb} ${resourceName(ref)}${name ? ` "${name}"` : ''}${typeof scope === 'string' ? ` in namespace ${scope}` : ''}`,
    );
    return { dryRun: 'All' };
  }

  /** Where an object is written: `opts.namespace`, else the object's own, else the run's. */
  const objectScope = (ref: ResourceRef, object: KubeObject, opts: ObjectOptions | undefined): Scope =>
    scopeOf(ref, opts ?? (object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}), false);

  const isSecret = (ref: ResourceRef) => ref.group === '' && ref.plural === 'secrets';

  function list(ref: ResourceRef, opts?: ListOptions): AsyncGenerator<KubeObject> {
    // The job iterates paging.ts's list itself (nothing wrapped around it costs per object); options are checked when iteration starts.
    return listObjects(
      () => {
        const scope = scopeOf(ref, opts, true);
        const limit = opts?.limit ?? DEFAULT_PAGE_SIZE;
        if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`list limit must be a whole number >= 1, got ${limit}`);
        const metadataOnly = opts?.metadataOnly === true;
        const call = (token: string | undefined, signal: AbortSignal): ApiCall => ({
          verb: 'list',
          method: 'GET',
          ref,
          scope,
          query: { limit, continue: token, labelSelector: opts?.labelSelector, fieldSelector: opts?.fieldSelector },
          accept: metadataOnly ? METADATA_LIST_ACCEPT : undefined,
          signal,
        });
        const what = describe(call(undefined, options.signal));
        const description = describeCall(call(undefined, options.signal));
        const { index, count } = options.shard;
        const sharded = opts?.shard === true && count > 1;
        const select =
          !sharded && !metadataOnly
            ? undefined
            : (item: KubeObject): KubeObject | undefined => {
                if (sharded) {
                  const uid = item.metadata?.uid;
                  if (typeof uid !== 'string' || uid === '')
                    throw new ProtocolError(`${what}: ${item.metadata?.name} has no metadata.uid to shard by`);
                  if (shardOf(uid, count) !== index) return undefined;
                }
                return metadataOnly ? asPartialMetadata(item) : item;
              };
        return {
          what,
          fetchPage: async (token, signal) => readListPage((await pipeline.send(call(token, signal))).body, description, scrub),
          select,
        };
      },
      { log, clock: options.clock, signal: options.signal, retry: options.retry },
    );
  }

  async function get(ref: ResourceRef, name: string, opts?: GetOptions): Promise<KubeObject | undefined> {
    assertPathSegment(name, 'resource name');
    const scope = scopeOf(ref, opts, false);
    try {
      const object = await json({
        verb: 'get',
        method: 'GET',
        ref,
        scope,
        name,
        accept: opts?.metadataOnly ? METADATA_GET_ACCEPT : undefined,
      });
      return opts?.metadataOnly ? asPartialMetadata(object) : object;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && !error.unknownResource) return undefined;
      throw error;
    }
  }

  async function create(ref: ResourceRef, object: KubeObject, opts?: ObjectOptions): Promise<KubeObject> {
    if (typeof object !== 'object' || object === null) throw new TypeError('ctx.create needs an object');
    const name = object.metadata?.name;
    if (name !== undefined) assertPathSegment(name, 'resource name');
    else if (!object.metadata?.generateName) throw new TypeError('ctx.create needs metadata.name (or metadata.generateName)');
    const scope = objectScope(ref, object, opts);
    const query = dryRunQuery('create', ref, scope, name ?? object.metadata?.generateName, {
      object: printable(object, isSecret(ref)),
    });
    return json({
      verb: 'create',
      method: 'POST',
      ref,
      scope,
      body: JSON.stringify(object),
      contentType: 'application/json',
      query,
      write: true,
    });
  }

  async function patch(ref: ResourceRef, name: string, change: unknown, opts?: PatchOptions): Promise<KubeObject> {
    assertPathSegment(name, 'resource name');
    const type = opts?.type ?? 'merge';
    if (type !== 'merge' && type !== 'json')
      throw new TypeError(`patch type must be 'merge' or 'json', got ${JSON.stringify(type)}`);
    if (type === 'json' ? !Array.isArray(change) : typeof change !== 'object' || change === null || Array.isArray(change)) {
      throw new TypeError(type === 'json' ? 'a JSON patch is an array of operations' : 'a merge patch is an object');
    }
    const scope = scopeOf(ref, opts, false);
    const query = dryRunQuery(opts?.subresource ? `patch ${opts.subresource} of` : 'patch', ref, scope, name, {
      patchType: type,
      patch: printable(change, isSecret(ref)),
    });
    return json({
      verb: 'patch',
      method: 'PATCH',
      ref,
      scope,
      name,
      subresource: opts?.subresource,
      body: JSON.stringify(change),
      contentType: PATCH_TYPES[type],
      query,
      write: true,
      // A merge patch applied twice is the same object; a JSON patch may not be (`add` to `/items/-`).
      ...(type === 'json' ? { idempotent: false } : {}),
    });
  }

  async function apply(ref: ResourceRef, object: KubeObject, opts?: ApplyOptions): Promise<KubeObject> {
    if (typeof object !== 'object' || object === null) throw new TypeError('ctx.apply needs an object');
    if (!object.apiVersion || !object.kind) throw new TypeError('ctx.apply needs apiVersion and kind in the object');
    const name = object.metadata?.name;
    assertPathSegment(name, 'resource name');
    const scope = objectScope(ref, object, opts);
    const call: ApiCall = {
      verb: 'patch',
      method: 'PATCH',
      ref,
      scope,
      name,
      subresource: opts?.subresource,
      body: JSON.stringify(object),
      contentType: APPLY_TYPE,
      query: { fieldManager, force: opts?.force ? true : undefined, dryRun: options.dryRun ? 'All' : undefined },
      write: true,
    };
    let result: KubeObject;
    try {
      result = await json(call);
    } catch (error) {
      throw explainApplyDenied(error, call);
    }
    if (options.dryRun) await logApplyChanges(call, object, result);
    return result;
  }

  /** Under dry run: the fields apply would change against the live object (read when `get` is declared). */
  async function logApplyChanges(call: ApiCall, applied: KubeObject, result: KubeObject): Promise<void> {
    const { ref, scope, name } = call;
    const getCall: ApiCall = { verb: 'get', method: 'GET', ref, scope, name, subresource: call.subresource };
    let change: Record<string, unknown>;
    if (options.access === undefined || options.access.allows(getCall)) {
      const live = await get(ref, name as string, typeof scope === 'string' ? { namespace: scope } : {});
      change =
        live === undefined
          ? { creates: true, object: printable(applied, isSecret(ref)) }
          : { changes: printableChanges(changedFields(live, result), isSecret(ref)) };
    } else {
      change = { apply: printable(applied, isSecret(ref)) };
    }
    dryRunQuery(call.subresource ? `apply ${call.subresource} of` : 'apply', ref, scope, name, change);
  }

  /** A 403 on apply when the object does not exist: apply would create it, which needs `create` too. */
  function explainApplyDenied(error: unknown, call: ApiCall): unknown {
    if (!(error instanceof ApiError && error.status === 403 && /\bcannot create\b/.test(error.serverMessage))) return error;
    if (options.access?.allows({ ...call, verb: 'create' })) return error;
    return new AccessError(
      `apply ${resourceName(call.ref)} "${call.name}": the object does not exist and apply would create it, which the job did not declare: add 'create' to that declaration's verbs`,
      { cause: error },
    );
  }

  async function del(ref: ResourceRef, name: string, opts?: ObjectOptions): Promise<KubeObject> {
    assertPathSegment(name, 'resource name');
    const scope = scopeOf(ref, opts, false);
    const query = dryRunQuery('delete', ref, scope, name);
    return json({ verb: 'delete', method: 'DELETE', ref, scope, name, query, write: true });
  }

  async function record(subject: EventSubject, note: EventNote): Promise<void> {
    const key = eventKey(subject, note);
    if (recorded.has(key)) return;
    const { namespace, event } = eventFor(subject, note, {
      reportingController: `kubepoll.dev/${options.job}`,
      reportingInstance: options.podName || `kubepoll-${options.job}-${options.runId}`,
      runId: options.runId,
      now: options.clock.now(),
    });
    assertPathSegment(namespace, 'namespace');
    recorded.add(key);
    const query = dryRunQuery('record event on', EVENTS_REF, namespace, event.metadata?.name, {
      regarding: `${subject.kind}/${subject.metadata?.name}`,
      type: note.type,
      reason: note.reason,
      note: event.note,
    });
    try {
      await pipeline.send({
        verb: 'create',
        method: 'POST',
        ref: EVENTS_REF,
        scope: namespace,
        body: JSON.stringify(event),
        contentType: 'application/json',
        query,
        write: true,
      });
    } catch (error) {
      // The name is a hash of the note and the run: AlreadyExists means a retried create was stored.
      if (error instanceof ApiError && error.status === 409 && error.reason === 'AlreadyExists') return;
      recorded.delete(key);
      throw error;
    }
  }

  return { list, get, create, patch, apply, delete: del, record };
}

/** `describeRequest` of the call, with a cluster-wide list said as such. */
function describe(call: ApiCall): string {
  const described = describeRequest(describeCall(call));
  return call.scope === '*' ? `${described} in all namespaces` : described;
}

function parseObject(body: Buffer, what: string, scrub: (text: string) => string): KubeObject {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ProtocolError(`${what}: the server's answer is not valid JSON (${scrub(jsonErrorMessage(error))})`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what}: the server's answer is not a JSON object`);
  }
  return value as KubeObject;
}

/** A server that cannot send PartialObjectMetadata sends the whole object (the Accept fallback): cut it down. */
function asPartialMetadata(object: KubeObject): KubeObject {
  if (object.kind === 'PartialObjectMetadata' && object.apiVersion === 'meta.k8s.io/v1') return object;
  return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: object.metadata ?? {} };
}
