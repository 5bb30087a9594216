/**
 * get and list: objects, pages (limit, continue, remainingItemCount),
 * selectors, and the metadata-only forms a client asks for with
 * `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../job.js';
import { decodeToken, encodeToken } from './continue-token.js';
import { apiVersionOf, existingOf, type FakeRequest, json, type Reply, writeBody } from './fake-request.js';
import { SelectorError } from './selectors.js';
import * as S from './status.js';
import type { ListPage } from './store.js';

type MetaAs = 'PartialObjectMetadata' | 'PartialObjectMetadataList' | undefined;

/** Which metadata-only form the Accept header asks for (the first media type the fake can serve wins). */
export function metadataAs(accept: string): MetaAs {
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const p = Object.fromEntries(params.map((x) => x.split('=').map((y) => y.trim()) as [string, string]));
    if (p.as === undefined) return undefined;
    if (
      (p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') &&
      p.g === 'meta.k8s.io' &&
      (p.v === 'v1' || p.v === 'v1beta1')
    ) {
      return p.as;
    }
    // Table and other forms the fake does not serve: try the next media type.
  }
  return undefined;
}

const partial = (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });

export function get(req: FakeRequest): Reply {
  const { group, plural } = req.resource;
  const object = existingOf(req);
  if (!object) return json(404, S.notFound(group, plural, req.name as string));
  const as = metadataAs(req.accept);
  if (as === 'PartialObjectMetadataList')
    return json(500, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'content is not a list',
      code: 500,
    });
  return json(200, as === 'PartialObjectMetadata' ? partial(object) : object);
}

/** Writes the list straight to the response: pages of many objects are joined from stored JSON, never re-serialised. */
export function list(req: FakeRequest, res: ServerResponse): Reply | undefined {
  const { resource, query, store } = req;
  const as = metadataAs(req.accept);
  if (as === 'PartialObjectMetadata') {
    const type = resource.builtin ? `*v1.${resource.listKind}` : '*unstructured.UnstructuredList';
    return json(
      406,
      S.status(406, 'NotAcceptable', `you requested PartialObjectMetadata, but the requested object is a list (${type})`),
    );
  }
  const token = query.get('continue');
  let start: string | undefined;
  if (token) {
    const decoded = decodeToken(token);
    if ('error' in decoded) return json(400, S.badRequest(decoded.error));
    start = decoded.start;
  }
  let page: ListPage;
  try {
    page = store.list(resource, {
      namespace: resource.namespaced ? req.namespace : undefined,
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
      limit: Number(query.get('limit') ?? 0) || undefined,
      start,
    });
  } catch (error) {
    if (error instanceof SelectorError) return json(400, S.badRequest(error.message));
    throw error;
  }
  const rv = store.resourceVersion;
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  // Custom resource lists always carry `continue` (empty on the last page); built-in lists only when there is more.
  if (page.next !== undefined) metadata.continue = encodeToken(rv, page.next);
  else if (!resource.builtin && !as) metadata.continue = '';
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  if (as === 'PartialObjectMetadataList') {
    return json(200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items: page.items.map(partial),
    });
  }
  const head = JSON.stringify({ kind: resource.listKind, apiVersion: apiVersionOf(resource), metadata }).slice(0, -1);
  writeBody(res, 200, { 'content-type': 'application/json' }, `${head},"items":[${page.itemsJson.join(',')}]}`);
  return undefined;
}
