/** One routed request to the fake API server, and what it answers: the types the read and write handlers share. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { KubeObject } from '../job.js';
import * as S from './status.js';
import type { ServedResource, Store } from './store.js';
import { notSupported } from './validation.js';

export interface FakeRequest {
  store: Store;
  method: string;
  resource: ServedResource;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  query: URLSearchParams;
  body: string;
  contentType: string;
  accept: string;
  userAgent: string;
}

/** kube-apiserver gzips an answer longer than this when the request asks for gzip (responsewriters/writers.go). */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;

/**
 * Writes an answer as kube-apiserver does: gzipped at level 1, with `Vary: Accept-Encoding`, when it is over
 * 128 KB and `Accept-Encoding` lists `gzip` (the token exactly: `gzip;q=1` is not it).
 */
export function writeBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  const accepts = String(res.req?.headers['accept-encoding'] ?? '')
    .split(',')
    .some((token) => token.trim() === 'gzip');
  if (accepts && Buffer.byteLength(body) > GZIP_THRESHOLD_BYTES) {
    res.setHeader('content-encoding', 'gzip'); // set, not passed to writeHead: the request log reads it back
    res.setHeader('vary', 'Accept-Encoding');
    res.writeHead(status, headers);
    res.end(gzipSync(body, { level: 1 }));
    return;
  }
  res.writeHead(status, headers);
  res.end(body);
}

/** A JSON answer, or plain text (`404 page not found`). */
export type Reply = { status: number; json: unknown } | { status: number; text: string };

export const json = (status: number, body: unknown): Reply => ({ status, json: body });
export const text404 = (): Reply => ({ status: 404, text: '404 page not found\n' });

export const apiVersionOf = (r: ServedResource) => (r.group ? `${r.group}/${r.version}` : r.version);

/** The field manager of a write: `fieldManager`, else the user agent up to its first `/`, else `unknown`. */
export function managerOf(req: FakeRequest): string {
  const given = req.query.get('fieldManager');
  if (given) return given;
  // Non-printable characters are dropped, as the API server drops them.
  const prefix = (req.userAgent.split('/')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 128);
  return prefix || 'unknown';
}

/** `dryRun` must be `All` when given; the Status names the verb's options type. */
export function dryRunError(req: FakeRequest, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions') {
  const values = req.query.getAll('dryRun');
  const bad = values.filter((v) => v !== 'All');
  if (bad.length === 0) return undefined;
  return json(422, S.invalidOptions(options, [notSupported('dryRun', values, ['All'])]));
}

export const isDryRun = (req: FakeRequest) => req.query.getAll('dryRun').includes('All');

/** The object's storage identity from the URL. */
export const existingOf = (req: FakeRequest): KubeObject | undefined =>
  req.name === undefined ? undefined : req.store.get(req.resource, req.resource.namespaced ? req.namespace : undefined, req.name);

/** Parses a request body; `undefined` when it is not JSON. */
export function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Go's encoding/json message for a body that is not JSON (the parts kube-apiserver echoes). */
export function goJsonError(body: string): string {
  try {
    JSON.parse(body);
    return '';
  } catch (error) {
    const message = (error as Error).message;
    if (/end of JSON input|Unterminated|Unexpected end/i.test(message) || body.trim() === '')
      return 'unexpected end of JSON input';
    const at = /position (\d+)/.exec(message);
    const ch = at ? body[Number(at[1])] : body.trim()[0];
    return `invalid character '${ch ?? ''}' looking for beginning of value`;
  }
}
