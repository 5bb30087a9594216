import { Agent, request } from 'undici';
import type { TestCluster } from '../../src/testing/index.js';

/** A raw HTTPS request to the fake cluster, as any client would send it. */
export async function http(
  cluster: TestCluster,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; contentType?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  text: string;
  bytes: Buffer;
  json: () => Record<string, unknown>;
}> {
  const dispatcher = new Agent({ connect: { ca: cluster.caPem } });
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? cluster.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  try {
    const response = await request(cluster.url + path, {
      method,
      headers,
      dispatcher,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const text = bytes.toString('utf8');
    return { status: response.statusCode, headers: response.headers, text, bytes, json: () => JSON.parse(text) };
  } finally {
    await dispatcher.close();
  }
}
