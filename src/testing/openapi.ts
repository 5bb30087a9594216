/**
 * Just enough OpenAPI v3 for kubectl: before `kubectl create -f` or
 * `kubectl apply` sends an object, kubectl checks in `/openapi/v3` whether the
 * PATCH operation of that kind takes `fieldValidation` (a custom resource is
 * checked through Namespace's), and if so lets the server validate. Without
 * these documents kubectl refuses with "failed to download openapi".
 */
import { createHash } from 'node:crypto';
import type { ServedResource } from './store.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];

const groupVersionPath = (r: ServedResource) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`);

function document(resources: readonly ServedResource[], gvPath: string): object {
  const paths: Record<string, object> = {};
  for (const r of resources.filter((x) => groupVersionPath(x) === gvPath)) {
    const collection = r.namespaced ? `/${gvPath}/namespaces/{namespace}/${r.plural}` : `/${gvPath}/${r.plural}`;
    paths[`${collection}/{name}`] = {
      patch: {
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: QUERY_PARAMS.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.37.2' }, paths };
}

/** The OpenAPI v3 index or one group version's document at `pathname`, for the built-in kinds the fake serves. */
export function openApiDocument(resources: readonly ServedResource[], pathname: string): object | undefined {
  const builtin = resources.filter((r) => r.builtin);
  const gvPaths = [...new Set(builtin.map(groupVersionPath))];
  if (pathname === '/openapi/v3') {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of gvPaths) {
      const hash = createHash('sha512')
        .update(JSON.stringify(document(builtin, gv)))
        .digest('hex')
        .toUpperCase();
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
    }
    return { paths };
  }
  const gv = pathname.replace(/^\/openapi\/v3\//, '');
  if (pathname.startsWith('/openapi/v3/') && gvPaths.includes(gv)) return document(builtin, gv);
  return undefined;
}
