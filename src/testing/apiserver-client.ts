/**
 * A small raw HTTP client for the test API server, over undici: as the admin
 * (client certificate) or as a service account (bearer token). Tests use it to
 * set a cluster up and to make requests outside kubepoll's own client.
 */
import { Pool } from 'undici';

export interface ApiResponse {
  status: number;
  /** The `content-type` header, e.g. `application/json` or `text/plain; charset=utf-8`. */
  contentType: string;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  /** Default `application/json` when there is a body. */
  contentType?: string;
  /** Default `application/json`. */
  accept?: string;
  headers?: Record<string, string>;
}

export type Credentials = { cert: string; key: string } | { token: string | (() => string) };

export class ApiClient {
  readonly url: string;
  readonly #pool: Pool;
  readonly #credentials: Credentials;

  constructor(url: string, caPem: string, credentials: Credentials) {
    this.url = url;
    this.#credentials = credentials;
    const tls = 'cert' in credentials ? { ca: caPem, cert: credentials.cert, key: credentials.key } : { ca: caPem };
    this.#pool = new Pool(url, { connections: 4, connect: tls });
  }

  /**
   * One request; `body` is sent as is when a string, else as JSON.
   *
   * @example
   * ```ts
   * const res = await server.admin.request('GET', '/api/v1/namespaces/default');
   * expect(res.json().metadata).toMatchObject({ name: 'default' });
   * ```
   */
  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json', ...options.headers };
    if ('token' in this.#credentials) {
      const token = typeof this.#credentials.token === 'function' ? this.#credentials.token() : this.#credentials.token;
      headers.authorization = `Bearer ${token}`;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const res = await this.#pool.request({ method: method as 'GET', path, headers, body: payload ?? null });
    const text = await res.body.text();
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    return {
      status: res.statusCode,
      contentType: flat['content-type'] ?? '',
      headers: flat,
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }

  /** Like `request`, but throws unless the status is 2xx; resolves to the parsed body. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    const res = await this.request(method, path, body, options);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 500).trim()}`);
    }
    return res.text ? res.json<T>() : (undefined as T);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
