import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { describeRequest, type RequestDescription } from './api-error.js';
import type { ClusterConfig } from './cluster-config.js';
import { Gunzipper, tooLargeError } from './gunzip.js';
import { TlsError, TransportError } from './transport-error.js';
import { VERSION } from './version.js';

/**
 * undici's Pool and its `request` alone. `import { Pool } from 'undici'` loads
 * the whole index (fetch, WebSocket, caches, mocks): about 65 ms of every cold
 * start on a 2-core machine (measured: 100–115 ms for the index, 35–50 ms for
 * these two modules). The index's `Pool` is the same class, and its
 * `pool.request` is this same function; should a later undici move them, the
 * index is loaded instead.
 */
const { Pool, poolRequest } = ((): {
  Pool: typeof UndiciPool;
  poolRequest: (pool: UndiciPool, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
} => {
  const require = createRequire(import.meta.url);
  try {
    const pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
    const request = require('undici/lib/api/api-request.js') as (
      this: UndiciPool,
      options: Dispatcher.RequestOptions,
    ) => Promise<Dispatcher.ResponseData>;
    if (typeof pool !== 'function' || typeof request !== 'function') throw new Error('undici has moved its pool');
    return { Pool: pool, poolRequest: (p, options) => request.call(p, options) };
  } catch {
    const undici = require('undici') as typeof import('undici');
    return { Pool: undici.Pool, poolRequest: (p, options) => p.request(options) };
  }
})();

/** Default whole-request timeout: connect, headers and the whole body must be done within it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default cap on one response body (a page of 500 objects is about half a megabyte). */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the server URL, starting with `/`. */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  body?: string | undefined;
  contentType?: string | undefined;
  /** Default `application/json`. */
  accept?: string | undefined;
  signal: AbortSignal;
  description: RequestDescription;
}

export interface HttpResponse {
  status: number;
  retryAfter: string | undefined;
  contentType: string | undefined;
  /** The raw body: bytes, so a list page can be read without one large string (see list-page.ts). */
  body: Buffer;
}

/**
 * The run's HTTP transport: one undici connection pool to the API server for
 * the whole run (client-node 2.0 builds a new agent for every call), the
 * Authorization header from the run's credentials, a whole-request timeout
 * (a body trickling a byte a second, or endless `102 Processing`, cannot hold
 * a request open past it) and a cap on the size of a response.
 */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Requests sent so far (every attempt counts). */
  readonly requests: number;
  /** Response body bytes received so far. */
  readonly bytesReceived: number;
  /** Cancels whatever is in flight and closes the connections. */
  close(): Promise<void>;
}

export interface TransportOptions {
  requestTimeoutMs?: number | undefined;
  maxResponseBytes?: number | undefined;
  /** Parallel connections to the API server. Default 4. */
  connections?: number;
  /** Send every request as this user (`Impersonate-User`), with these groups: `kubepoll check --as`. */
  impersonate?: { user: string; groups: readonly string[] } | undefined;
}

export function createTransport(config: ClusterConfig, options: TransportOptions = {}): Transport {
  const url = new URL(config.server);
  const prefix = url.pathname.replace(/\/+$/, '');
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 4,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    maxResponseSize: maxResponseBytes,
    connect: { ...config.tls, timeout },
  });
  const fixedHeaders: Record<string, string | string[]> = { 'user-agent': `kubepoll/${VERSION}` };
  // As client-go and kubectl do by default: kube-apiserver then gzips answers over 128 KB (at level 1). Measured
  // on a real kube-apiserver (README, Benchmarks), that costs the server less CPU per list than writing the
  // uncompressed page, not more. `--disable-compression` or the kubeconfig's `disable-compression` turn it off.
  if (!config.disableCompression) fixedHeaders['accept-encoding'] = 'gzip';
  if (options.impersonate) {
    fixedHeaders['impersonate-user'] = options.impersonate.user;
    if (options.impersonate.groups.length > 0) fixedHeaders['impersonate-group'] = [...options.impersonate.groups];
  }
  let requests = 0;
  let bytesReceived = 0;
  const gunzipper = new Gunzipper();

  return {
    get requests() {
      return requests;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    async send(request) {
      const headers: Record<string, string | string[]> = { ...fixedHeaders, accept: request.accept ?? 'application/json' };
      const authorization = await config.credentials.authorization();
      if (authorization !== undefined) headers.authorization = authorization;
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      request.signal.throwIfAborted();
      const deadline = AbortSignal.timeout(timeout);
      const signal = AbortSignal.any([request.signal, deadline]);
      requests++;
      try {
        const response = await poolRequest(pool, {
          path: prefix + request.path + queryString(request.query),
          method: request.method,
          headers,
          body: request.body ?? null,
          signal,
        });
        const declared = Number(header(response.headers['content-length']) ?? Number.NaN);
        if (declared > maxResponseBytes) {
          discard(response.body);
          throw tooLargeError('declared content-length over the cap');
        }
        // Repeated header lines are one list (RFC 9110): `gzip` twice is not `gzip`, and is refused below.
        const encodingHeader = response.headers['content-encoding'];
        const encoding = (Array.isArray(encodingHeader) ? encodingHeader.join(', ') : (encodingHeader ?? ''))
          .trim()
          .toLowerCase();
        const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
        if (!gzipped && encoding !== '' && encoding !== 'identity') {
          discard(response.body);
          // The server's text goes into the message only when it looks like an encoding's name (never, say, a token).
          const named = /^[a-z0-9._-]{1,20}$/.test(encoding) ? `"${encoding}"` : 'that it names';
          throw Object.assign(new Error(`an answer in a content-encoding ${named}, which kubepoll does not read`), {
            code: 'KUBEPOLL_UNKNOWN_ENCODING',
          });
        }
        const chunks: Buffer[] = [];
        for await (const chunk of response.body) {
          chunks.push(chunk as Buffer);
          bytesReceived += (chunk as Buffer).length;
        }
        let body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        if (gzipped) {
          try {
            body = await gunzipper.inflate(body, maxResponseBytes);
          } catch (error) {
            // An error answer (401, 403, 429, ...) whose body does not inflate is still that answer: classified by
            // its status (a 401 re-reads the token, a 403 is final), not retried as a broken transfer.
            const code = (error as { code?: unknown }).code;
            if (response.statusCode >= 400 && typeof code === 'string' && code.startsWith('Z_')) body = Buffer.alloc(0);
            else throw error;
          }
        }
        return {
          status: response.statusCode,
          retryAfter: header(response.headers['retry-after']),
          contentType: header(response.headers['content-type']),
          body,
        };
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        if (deadline.aborted) {
          throw new TransportError(
            `${describeRequest(request.description)}: no whole answer within the request timeout of ${timeout / 1000}s (--request-timeout) from ${url.origin}`,
            'KUBEPOLL_REQUEST_TIMEOUT',
            { cause: error },
          );
        }
        throw transportError(error, request.description, url.origin, config.caSource, maxResponseBytes);
      }
    },
    async close() {
      gunzipper.close();
      await pool.destroy();
    },
  };
}

/** Drops a body unread; undici's "aborted" error that follows has a listener, so it is no uncaught exception. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function queryString(query: HttpRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers within the request timeout',
  UND_ERR_BODY_TIMEOUT: 'response body stalled past the request timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  EPIPE: 'connection broken',
  Z_DATA_ERROR: 'a corrupt gzip answer',
  Z_BUF_ERROR: 'a truncated gzip answer',
  ETIMEDOUT: 'timed out',
};

/** OpenSSL and Node codes of a certificate that does not verify. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function transportError(
  error: unknown,
  request: RequestDescription,
  origin: string,
  caSource: string | undefined,
  maxResponseBytes: number,
): TransportError | TlsError {
  const err = error as { code?: string; message?: string; cause?: { code?: string } };
  const errno = err.code ?? err.cause?.code ?? 'UNKNOWN';
  if (TLS_CODES.has(errno)) {
    return new TlsError(
      `${describeRequest(request)}: the server ${origin} presented a certificate that does not verify against ${caSource ?? 'the configured CA'} (${errno}); check the CA and the server address`,
      errno,
      { cause: error },
    );
  }
  if (errno === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new TransportError(
      `${describeRequest(request)}: the answer from ${origin} is larger than ${Math.round(maxResponseBytes / 1048576)} MiB (--max-response-mb); use a smaller list limit or raise the cap`,
      'KUBEPOLL_RESPONSE_TOO_LARGE',
      { cause: error },
    );
  }
  const what = DESCRIPTIONS[errno] ?? (err.message || errno).split('\n')[0];
  return new TransportError(`${describeRequest(request)}: ${what} (${errno}) talking to ${origin}`, errno, { cause: error });
}
