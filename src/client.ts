import type { Logger } from 'pino';
import { assertDeclared, type Scope } from './access.js';
import { ApiError, apiErrorFromResponse, type RequestDescription } from './api-error.js';
import { apiPath, resourceName } from './api-path.js';
import type { Credentials } from './credentials.js';
import type { KubeObject, ListOptions, ObjectOptions, ResourceDeclaration, ResourceRef, RetryOptions, Verb } from './job.js';
import { scanListPage } from './list-page.js';
import { rbacPlan } from './rbac.js';
import { type RetryEvent, withRetry } from './retry-policy.js';
import type { HttpMethod, Transport } from './transport.js';
import { TransportError } from './transport-error.js';

/** Page size of `ctx.list` when the job does not set `limit`. */
export const DEFAULT_PAGE_SIZE = 500;

export interface ClientOptions {
  transport: Transport;
  credentials: Credentials;
  declarations: readonly ResourceDeclaration[];
  namespace: string;
  dryRun: boolean;
  signal: AbortSignal;
  deadline?: number | undefined;
  retry?: RetryOptions | undefined;
  log: Logger;
  /** Counts retries for the `run finished` line. */
  onRetry?: () => void;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The API verbs of `ctx`, with paging, retries, dry run and declared-access checks. */
export interface ApiClient {
  list(ref: ResourceRef, options?: ListOptions): AsyncIterable<KubeObject>;
  get(ref: ResourceRef, name: string, options?: ObjectOptions): Promise<KubeObject | undefined>;
  create(ref: ResourceRef, object: KubeObject, options?: ObjectOptions): Promise<KubeObject>;
  patch(ref: ResourceRef, name: string, mergePatch: object, options?: ObjectOptions): Promise<KubeObject>;
  delete(ref: ResourceRef, name: string, options?: ObjectOptions): Promise<KubeObject>;
}

interface Call {
  verb: Verb;
  method: HttpMethod;
  ref: ResourceRef;
  scope: Scope;
  name?: string;
  query?: Record<string, string | number | undefined>;
  body?: string;
  contentType?: string;
}

/** A list page whose items are parsed one at a time, as the job consumes them. */
interface ListPage {
  metadata: { continue?: string };
  count: number;
  item(index: number): KubeObject;
}

function parseJson<T>(body: Buffer): T {
  return JSON.parse(body.toString()) as T;
}

function readListPage(body: Buffer): ListPage {
  const scanned = scanListPage(body);
  if (scanned) {
    const ranges = scanned.items;
    return {
      metadata: scanned.metadata,
      count: ranges.length / 2,
      item: (i) => JSON.parse(body.toString('utf8', ranges[2 * i], ranges[2 * i + 1])) as KubeObject,
    };
  }
  // Not the shape the scanner expects: parse it whole (and let JSON.parse report what is wrong).
  const list = parseJson<{ items?: KubeObject[] | null; metadata?: { continue?: string } }>(body);
  const items = list.items ?? [];
  return { metadata: list.metadata ?? {}, count: items.length, item: (i) => items[i] as KubeObject };
}

export function createApiClient(options: ClientOptions): ApiClient {
  const { transport, log, signal } = options;
  const plan = rbacPlan(options.declarations, options.namespace);

  async function call<T>(c: Call, parse: (body: Buffer) => T = parseJson): Promise<T> {
    assertDeclared(options.declarations, plan, c.ref, c.verb, c.scope);
    const namespace = c.scope === '*' ? undefined : c.scope;
    const description: RequestDescription = { verb: c.verb, resource: resourceName(c.ref), namespace, name: c.name };
    let responseLost = false;
    return withRetry(
      async () => {
        let response: Awaited<ReturnType<Transport['send']>>;
        try {
          response = await transport.send({
            method: c.method,
            path: apiPath(c.ref, namespace, c.name),
            signal,
            description,
            ...(c.query ? { query: c.query } : {}),
            ...(c.body === undefined ? {} : { body: c.body }),
            ...(c.contentType ? { contentType: c.contentType } : {}),
          });
        } catch (error) {
          if (error instanceof TransportError && !error.notSent) responseLost = true;
          throw error;
        }
        if (response.status >= 200 && response.status < 300) {
          try {
            return parse(response.body);
          } catch (error) {
            throw new TypeError(
              `${c.verb} ${description.resource}: the server's answer is not valid JSON (${(error as Error).message})`,
              {
                cause: error,
              },
            );
          }
        }
        // A repeated DELETE whose first answer was lost finds the object gone: that is success.
        if (c.method === 'DELETE' && responseLost && response.status === 404) {
          return { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: c.name } } as T;
        }
        throw apiErrorFromResponse(response.status, response.retryAfter, response.body.toString(), description);
      },
      {
        method: c.method,
        retry: options.retry,
        signal,
        deadline: options.deadline,
        reauthenticate: () => options.credentials.refresh(),
        onRetry: (event) => {
          options.onRetry?.();
          log.warn(
            retryFields(event, description),
            event.reauth ? 'credentials rejected (401), re-read them; retrying' : 'request failed; retrying',
          );
        },
        ...(options.now ? { now: options.now } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
      },
    );
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
    return opts?.namespace ?? options.namespace;
  }

  function dryRunQuery(verb: Verb, ref: ResourceRef, scope: Scope, name: string | undefined) {
    if (!options.dryRun) return undefined;
    log.info(
      { dryRun: true, verb, resource: resourceName(ref), namespace: scope, name },
      `would ${verb} ${resourceName(ref)}${name ? ` "${name}"` : ''}${typeof scope === 'string' ? ` in namespace ${scope}` : ''}`,
    );
    return { dryRun: 'All' };
  }

  return {
    async *list(ref, opts) {
      const scope = scopeOf(ref, opts, true);
      const limit = opts?.limit ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`list limit must be a whole number >= 1, got ${limit}`);
      let continueToken: string | undefined;
      let lastKey: string | undefined;
      let skipThrough: string | undefined;
      for (;;) {
        let page: ListPage;
        try {
          page = await call<ListPage>(
            {
              verb: 'list',
              method: 'GET',
              ref,
              scope,
              query: { limit, continue: continueToken, labelSelector: opts?.labelSelector, fieldSelector: opts?.fieldSelector },
            },
            readListPage,
          );
        } catch (error) {
          if (!(isExpired(error) && continueToken !== undefined)) throw error;
          if (error.continueToken) {
            log.warn(
              { resource: resourceName(ref), after: lastKey },
              'continue token expired (410); resuming with the inconsistent-continue token',
            );
            continueToken = error.continueToken;
          } else {
            log.warn(
              { resource: resourceName(ref), after: lastKey },
              'continue token expired (410); restarting the list and skipping what was already seen',
            );
            continueToken = undefined;
            skipThrough = lastKey;
          }
          continue;
        }
        for (let i = 0; i < page.count; i++) {
          const item = page.item(i);
          const key = objectKey(item);
          if (skipThrough !== undefined && key <= skipThrough) continue;
          lastKey = key;
          yield item;
        }
        continueToken = page.metadata.continue || undefined;
        if (continueToken === undefined) return;
      }
    },

    async get(ref, name, opts) {
      const scope = scopeOf(ref, opts, false);
      try {
        return await call<KubeObject>({ verb: 'get', method: 'GET', ref, scope, name });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && !error.unknownResource) return undefined;
        throw error;
      }
    },

    async create(ref, object, opts) {
      const scope = scopeOf(
        ref,
        opts ?? { ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) },
        false,
      );
      const query = dryRunQuery('create', ref, scope, object.metadata?.name);
      return call<KubeObject>({
        verb: 'create',
        method: 'POST',
        ref,
        scope,
        body: JSON.stringify(object),
        contentType: 'application/json',
        ...(query ? { query } : {}),
      });
    },

    async patch(ref, name, mergePatch, opts) {
      const scope = scopeOf(ref, opts, false);
      const query = dryRunQuery('patch', ref, scope, name);
      return call<KubeObject>({
        verb: 'patch',
        method: 'PATCH',
        ref,
        scope,
        name,
        body: JSON.stringify(mergePatch),
        contentType: 'application/merge-patch+json',
        ...(query ? { query } : {}),
      });
    },

    async delete(ref, name, opts) {
      const scope = scopeOf(ref, opts, false);
      const query = dryRunQuery('delete', ref, scope, name);
      return call<KubeObject>({ verb: 'delete', method: 'DELETE', ref, scope, name, ...(query ? { query } : {}) });
    },
  };
}

function isExpired(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 410;
}

/**
 * The order key of a listed object, as the API server orders lists (by its
 * storage key, `<namespace>/<name>`): used to skip what was already yielded
 * when an expired list has to start again.
 */
export function objectKey(item: KubeObject): string {
  return `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
}

function retryFields(event: RetryEvent, request: RequestDescription): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    verb: request.verb,
    resource: request.resource,
    attempt: event.attempt,
    delayMs: event.delayMs,
  };
  if (request.namespace !== undefined) fields.namespace = request.namespace;
  if (request.name !== undefined) fields.name = request.name;
  if (event.error instanceof ApiError) {
    fields.status = event.error.status;
    fields.reason = event.error.reason;
  } else if (event.error instanceof TransportError) {
    fields.errno = event.error.errno;
  }
  return fields;
}
