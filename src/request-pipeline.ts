import type { Logger } from 'pino';
import type { AccessPolicy, Scope } from './access.js';
import { ApiError, apiErrorFromResponse, type RequestDescription } from './api-error.js';
import { apiPath, resourceName } from './api-path.js';
import type { Clock } from './clock.js';
import type { Credentials } from './credentials.js';
import type { ResourceRef, RetryOptions, Subresource } from './job.js';
import type { TokenBucket } from './rate-limit.js';
import type { SecretSet } from './redact.js';
import { type RetryEvent, withRetry } from './retry-policy.js';
import type { HttpMethod, HttpResponse, Transport } from './transport.js';
import { TransportError } from './transport-error.js';
import type { WriteBudget } from './write-budget.js';

/** One API request, as a caller asks for it. */
export interface ApiCall {
  /** The RBAC verb: `get`, `list`, `create`, `patch`, `update`, `delete`. */
  verb: string;
  method: HttpMethod;
  ref: ResourceRef;
  scope: Scope;
  name?: string | undefined;
  subresource?: Subresource | undefined;
  /** A path of its own (`/version`); default: the ref's, scope's and name's. */
  path?: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  body?: string | undefined;
  contentType?: string | undefined;
  accept?: string | undefined;
  /** A write (create, patch, apply, delete, event): counted against the run's write budget. */
  write?: boolean;
  /**
   * Whether sending it twice is the same as once. `true` for a POST that stores
   * nothing (an access review): retried like a read. `false` for a write that
   * is not (a JSON patch: `add` to `/items/-` twice appends twice): retried only
   * when the server certainly did not act on it, as a create. Default: by method.
   */
  idempotent?: boolean;
  /** Aborts this call only (a list's read-ahead when the job stops early). */
  signal?: AbortSignal | undefined;
}

export interface PipelineOptions {
  transport: Transport;
  credentials: Credentials;
  /** The declared-access check; `undefined` for kubepoll's own requests that no job declares (`check`). */
  access?: AccessPolicy | undefined;
  rateLimiter?: TokenBucket | undefined;
  writeBudget?: WriteBudget | undefined;
  retry?: RetryOptions | undefined;
  /** The run's signal: deadline and SIGTERM / SIGINT. */
  signal: AbortSignal;
  /** Epoch ms after which no retry is started. */
  deadline?: number | undefined;
  clock: Clock;
  log: Logger;
  /** Credentials to scrub from what the server says. */
  secrets?: SecretSet | undefined;
}

/** The path every API request takes; `send` resolves to a 2xx response or throws. */
export interface Pipeline {
  send(call: ApiCall): Promise<HttpResponse>;
  /** Retries made so far (401 re-authentications included). */
  readonly retries: number;
}

/**
 * Every API request goes through here, top to bottom:
 *
 * 1. declared-access check (`access.ts`): refused before anything is sent;
 * 2. write budget (`write-budget.ts`): a write over `limits.writes` throws, unsent;
 * 3. for each attempt, under the retry policy (`retry-policy.ts`):
 *    rate limit (`rate-limit.ts`) → transport (`transport.ts`) → classify: a 2xx
 *    is the answer; anything else becomes an `ApiError` (`api-error.ts`, Status
 *    body parsed, credentials scrubbed) that the policy retries, re-authenticates
 *    (a 401 re-reads the token: `credentials.ts`) or throws.
 *
 * Paging (`paging.ts`) and the job's verbs (`client.ts`) sit on top of it.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { transport, log } = options;
  let retries = 0;

  async function send(call: ApiCall): Promise<HttpResponse> {
    options.access?.check(call);
    const namespace = call.scope === '*' ? undefined : call.scope;
    const description = describeCall(call);
    if (call.write) options.writeBudget?.take(description);
    const signal = call.signal ? AbortSignal.any([options.signal, call.signal]) : options.signal;
    const path = call.path ?? apiPath(call.ref, namespace, call.name, call.subresource);
    let answerLost = false;
    return withRetry(
      async () => {
        if (options.rateLimiter) await options.rateLimiter.take(signal);
        let response: HttpResponse;
        try {
          response = await transport.send({
            method: call.method,
            path,
            query: call.query,
            body: call.body,
            contentType: call.contentType,
            accept: call.accept,
            signal,
            description,
          });
        } catch (error) {
          if (error instanceof TransportError && !error.notSent) answerLost = true;
          throw error;
        }
        if (response.status >= 200 && response.status < 300) return response;
        // A repeated DELETE whose first answer was lost finds the object gone: that is success.
        if (call.method === 'DELETE' && answerLost && response.status === 404) {
          const gone = { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: call.name } };
          return { ...response, status: 200, body: Buffer.from(JSON.stringify(gone)) };
        }
        throw apiErrorFromResponse(
          {
            status: response.status,
            retryAfter: response.retryAfter,
            contentType: response.contentType,
            bodyText: response.body.toString('utf8'),
          },
          description,
          options.secrets,
        );
      },
      {
        method: call.idempotent === true ? 'GET' : call.idempotent === false ? 'POST' : call.method,
        retry: options.retry,
        signal,
        deadline: options.deadline,
        clock: options.clock,
        reauthenticate: () => options.credentials.refresh(),
        onRetry: (event) => {
          retries++;
          log.warn(
            retryFields(event, description),
            event.reauth ? 'credentials rejected (401), re-read them; retrying' : 'request failed; retrying',
          );
        },
      },
    );
  }

  return {
    send,
    get retries() {
      return retries;
    },
  };
}

/** What a call is about, for its errors and log lines: `patch status of widgets.example.com "a"` in namespace `x`. */
export function describeCall(call: ApiCall): RequestDescription {
  return {
    verb: call.subresource ? `${call.verb} ${call.subresource} of` : call.verb,
    resource: resourceName(call.ref),
    namespace: call.scope === '*' ? undefined : call.scope,
    name: call.name,
  };
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
