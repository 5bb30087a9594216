/**
 * Discovery documents (/api, /api/v1, /apis, /apis/<group>[/<version>]) for
 * what the fake serves, shaped as kube-apiserver's: resources sorted by name
 * in built-in groups and in CRD order in custom ones, subresources listed,
 * storageVersionHash computed the same way, built-in groups in the server's
 * own order before CRD groups.
 */
import { createHash } from 'node:crypto';
import type { ServedResource } from './store.js';

/** kube-apiserver 1.37's order of its own API groups in /apis. */
const BUILTIN_GROUP_ORDER = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'resource.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'storagemigration.k8s.io',
];

/** The built-in group versions the fake answers for (an unknown resource there is a Status 404, not plain text). */
export function isBuiltinGroupVersion(resources: readonly ServedResource[], group: string, version: string): boolean {
  return resources.some((r) => r.builtin && r.group === group && r.version === version);
}

export function storageVersionHash(r: ServedResource): string {
  const s = r.storage ?? { group: r.group, version: r.version, kind: r.kind };
  return createHash('sha256').update(`${s.group}/${s.version}/${s.kind}`).digest().subarray(0, 8).toString('base64');
}

function resourceEntries(r: ServedResource): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    storageVersionHash: storageVersionHash(r),
  };
  const sub = (name: string, verbs: string[]) => ({
    name: `${r.plural}/${name}`,
    singularName: '',
    namespaced: r.namespaced,
    kind: r.kind,
    verbs,
  });
  const out = [main];
  if (r.builtin && r.plural === 'namespaces') out.push(sub('finalize', ['update']), sub('status', ['get', 'patch', 'update']));
  else if (r.statusSubresource || (r.builtin && r.plural === 'customresourcedefinitions'))
    out.push(sub('status', ['get', 'patch', 'update']));
  return out;
}

/** The discovery document at `pathname`, or `undefined` when it is not a discovery path the fake serves. */
export function discoveryDocument(resources: readonly ServedResource[], pathname: string): object | undefined {
  const groupVersionOf = (r: ServedResource) => (r.group ? `${r.group}/${r.version}` : r.version);
  const list = (groupVersion: string, builtin: boolean) => {
    const served = resources.filter((r) => groupVersionOf(r) === groupVersion);
    const ordered = builtin ? [...served].sort((a, b) => (a.plural < b.plural ? -1 : 1)) : served;
    return { resources: ordered.flatMap(resourceEntries) };
  };
  if (pathname === '/version') {
    return {
      major: '1',
      minor: '37',
      emulationMajor: '1',
      emulationMinor: '37',
      minCompatibilityMajor: '1',
      minCompatibilityMinor: '36',
      gitVersion: 'v1.37.2-kubepoll-fake',
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: process.version,
      compiler: 'node',
      platform: `${process.platform}/${process.arch}`,
    };
  }
  if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (pathname === '/api/v1') return { kind: 'APIResourceList', groupVersion: 'v1', ...list('v1', true) };
  const groups = new Map<string, { versions: string[]; builtin: boolean }>();
  for (const r of resources) {
    if (!r.group) continue;
    const g = groups.get(r.group) ?? { versions: [], builtin: r.builtin };
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
    groups.set(r.group, g);
  }
  const groupObject = (name: string, versions: string[]) => ({
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  });
  if (pathname === '/apis') {
    const rank = (name: string) => {
      const i = BUILTIN_GROUP_ORDER.indexOf(name);
      return i < 0 ? BUILTIN_GROUP_ORDER.length : i;
    };
    const ordered = [...groups].sort(([a], [b]) => rank(a) - rank(b));
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: ordered.map(([n, g]) => groupObject(n, g.versions)) };
  }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  const group = m && groups.get(m[1] as string);
  if (m && group) {
    if (m[2] === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...groupObject(m[1] as string, group.versions) };
    if (group.versions.includes(m[2])) {
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${m[1]}/${m[2]}`,
        ...list(`${m[1]}/${m[2]}`, group.builtin),
      };
    }
  }
  return undefined;
}
