import { Pool } from 'undici';
import type { RequestDescription } from './api-error.js';
import type { ClusterConfig } from './cluster-config.js';
import { TransportError } from './transport-error.js';
import { VERSION } from './version.js';

/** Default per-request timeout: no response headers (or no body progress) for this long fails the attempt. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the server URL, starting with `/`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: string;
  contentType?: string;
  signal: AbortSignal;
  description: RequestDescription;
}

export interface HttpResponse {
  status: number;
  retryAfter: string | undefined;
  /** The raw body: bytes, so a list page can be read without one large string (see list-page.ts). */
  body: Buffer;
}

/**
 * The run's HTTP transport: one undici connection pool to the API server for
 * the whole run (client-node 2.0 builds a new agent for every call), the
 * Authorization header from the run's credentials, and a per-request timeout.
 */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Requests sent so far (every attempt counts). */
  readonly requests: number;
  /** Cancels whatever is in flight and closes the connections. */
  close(): Promise<void>;
}

export interface TransportOptions {
  requestTimeoutMs?: number | undefined;
  /** Parallel connections to the API server. Default 4. */
  connections?: number;
}

export function createTransport(config: ClusterConfig, options: TransportOptions = {}): Transport {
  const url = new URL(config.server);
  const prefix = url.pathname.replace(/\/+$/, '');
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 4,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { ...config.tls, timeout },
  });
  let requests = 0;

  return {
    get requests() {
      return requests;
    },
    async send(request) {
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': `kubepoll/${VERSION}`,
      };
      const authorization = await config.credentials.authorization();
      if (authorization !== undefined) headers.authorization = authorization;
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      request.signal.throwIfAborted();
      requests++;
      try {
        const response = await pool.request({
          path: prefix + request.path + queryString(request.query),
          method: request.method,
          headers,
          body: request.body ?? null,
          signal: request.signal,
        });
        const body = Buffer.from(await response.body.arrayBuffer());
        const retryAfter = response.headers['retry-after'];
        return { status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body };
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        throw transportError(error, request.description, url.origin);
      }
    },
    async close() {
      await pool.destroy();
    },
  };
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
  ETIMEDOUT: 'timed out',
};

function transportError(error: unknown, request: RequestDescription, origin: string): TransportError {
  const err = error as { code?: string; message?: string; cause?: { code?: string } };
  const errno = err.code ?? err.cause?.code ?? 'UNKNOWN';
  const what = DESCRIPTIONS[errno] ?? (err.message || errno).split('\n')[0];
  const where = request.namespace === undefined ? request.resource : `${request.resource} in namespace ${request.namespace}`;
  return new TransportError(`${request.verb} ${where}: ${what} (${errno}) talking to ${origin}`, errno, { cause: error });
}
