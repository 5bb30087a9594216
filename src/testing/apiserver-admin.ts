/**
 * The admin of a test API server (a client certificate in `system:masters`):
 * raw requests plus the few setup steps a test needs, namely server-side apply of
 * objects, CRDs that are ready to serve, and namespaces.
 */
import type { KubeObject } from '../job.js';
import { ApiClient } from './apiserver-client.js';
import { loadFixtures } from './fixtures.js';

/** The field manager of everything the test kit applies. */
export const TEST_FIELD_MANAGER = 'kubepoll-test';

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export class AdminClient extends ApiClient {
  readonly #discovery = new Map<string, DiscoveredResource[]>();

  /** The collection path of `kind` in `apiVersion` (`/apis/g/v/namespaces/ns/plural`), from discovery. */
  async resourcePath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const find = async (refresh: boolean) => {
      if (refresh || !this.#discovery.has(apiVersion)) {
        const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const res = await this.request('GET', base);
        const list = res.status === 200 ? res.json<{ resources: DiscoveredResource[] }>().resources : [];
        this.#discovery.set(apiVersion, list);
      }
      return this.#discovery.get(apiVersion)?.find((r) => r.kind === kind && !r.name.includes('/'));
    };
    const resource = (await find(false)) ?? (await find(true));
    if (!resource) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}: install its CRD first`);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (!resource.namespaced) return `${base}/${resource.name}`;
    if (!namespace) throw new Error(`${kind} is namespaced: give it a metadata.namespace`);
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.name}`;
  }

  /** The path of one object. */
  async objectPath(object: KubeObject): Promise<string> {
    const name = object.metadata?.name;
    if (!name) throw new Error(`${object.kind} has no metadata.name`);
    return `${await this.resourcePath(String(object.apiVersion), String(object.kind), object.metadata?.namespace)}/${encodeURIComponent(name)}`;
  }

  /**
   * Server-side applies each object (field manager `kubepoll-test`, forced),
   * creating or updating it; resolves to what the server stored.
   *
   * @example
   * ```ts
   * await server.admin.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'team-a' }, data: {} });
   * ```
   */
  async apply(objects: KubeObject | readonly KubeObject[]): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const object of Array.isArray(objects) ? objects : [objects as KubeObject]) {
      const path = await this.objectPath(object);
      const stored = await this.ok<KubeObject>(
        'PATCH',
        `${path}?fieldManager=${TEST_FIELD_MANAGER}&force=true`,
        stripServerFields(object),
        { contentType: 'application/apply-patch+yaml' },
      );
      if (object.kind === 'CustomResourceDefinition') await this.#waitServed(stored);
      // A status subresource ignores status on the main resource: a fixture's status goes to /status.
      if (object.status !== undefined && (await this.#hasStatus(object))) {
        out.push(
          await this.ok<KubeObject>(
            'PATCH',
            `${path}/status?fieldManager=${TEST_FIELD_MANAGER}&force=true`,
            {
              apiVersion: object.apiVersion,
              kind: object.kind,
              metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace },
              status: object.status,
            },
            { contentType: 'application/apply-patch+yaml' },
          ),
        );
        continue;
      }
      out.push(stored);
    }
    return out;
  }

  /**
   * Installs the CustomResourceDefinitions of these YAML files (paths or globs,
   * relative to the working directory) or objects, and waits until each is
   * Established and its resource answers, so the next request can use it.
   * Other objects in the files are left out (`seed` applies them).
   */
  async installCrds(crds: string | readonly string[] | readonly KubeObject[]): Promise<KubeObject[]> {
    const objects = await objectsOf(crds);
    const found = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    if (found.length === 0) throw new Error(`installCrds: no CustomResourceDefinition in ${describe(crds)}`);
    return this.apply(found);
  }

  /**
   * Applies objects from YAML files (or objects): CRDs first (ready before
   * anything else), then the namespaces the objects name (created if missing, as
   * a convenience for fixtures), then the rest.
   */
  async seed(source: string | readonly string[] | readonly KubeObject[]): Promise<KubeObject[]> {
    const objects = await objectsOf(source);
    const isCrd = (o: KubeObject) => o.kind === 'CustomResourceDefinition';
    const namespaces = new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => typeof n === 'string'));
    const out = await this.apply(objects.filter(isCrd));
    for (const ns of namespaces) await this.createNamespace(ns, {}, { ifMissing: true });
    out.push(...(await this.apply(objects.filter((o) => !isCrd(o)))));
    return out;
  }

  /** Creates a namespace (`ifMissing`: a namespace that is already there is fine). */
  async createNamespace(
    name: string,
    labels: Record<string, string> = {},
    options: { ifMissing?: boolean } = {},
  ): Promise<KubeObject> {
    const res = await this.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    if (res.status === 409 && options.ifMissing) return this.ok('GET', `/api/v1/namespaces/${name}`);
    if (res.status !== 201) throw new Error(`creating namespace ${name}: ${res.status} ${res.text.trim()}`);
    return res.json();
  }

  /** Deletes an object; one that is not there is fine. */
  async remove(object: KubeObject): Promise<void> {
    const res = await this.request('DELETE', await this.objectPath(object));
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
      throw new Error(`deleting ${object.kind} ${object.metadata?.name}: ${res.status} ${res.text.trim()}`);
    }
  }

  async #hasStatus(object: KubeObject): Promise<boolean> {
    const apiVersion = String(object.apiVersion);
    const main = this.#discovery.get(apiVersion)?.find((r) => r.kind === object.kind && !r.name.includes('/'));
    return this.#discovery.get(apiVersion)?.some((r) => r.name === `${main?.name}/status`) ?? false;
  }

  /** Established, and the resource list answers (the handler lags the condition by a moment). */
  async #waitServed(crd: KubeObject): Promise<void> {
    const spec = crd.spec as { group: string; names: { plural: string }; versions: { name: string; served?: boolean }[] };
    const name = crd.metadata?.name as string;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await this.ok<KubeObject>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (current.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
      let serving = established;
      for (const v of spec.versions.filter((x) => x.served !== false)) {
        if (!serving) break;
        const res = await this.request('GET', `/apis/${spec.group}/${v.name}/${spec.names.plural}?limit=1`);
        serving = res.status === 200;
      }
      if (serving) break;
      if (Date.now() > deadline) throw new Error(`CustomResourceDefinition ${name} is not served after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const v of spec.versions) this.#discovery.delete(`${spec.group}/${v.name}`);
  }
}

async function objectsOf(source: string | readonly string[] | readonly KubeObject[]): Promise<KubeObject[]> {
  if (typeof source === 'string') return loadFixtures(source);
  if (source.every((s) => typeof s === 'string')) return loadFixtures(source as readonly string[]);
  return [...(source as readonly KubeObject[])];
}

function describe(source: string | readonly string[] | readonly KubeObject[]): string {
  return typeof source === 'string' ? source : source.every((s) => typeof s === 'string') ? source.join(', ') : 'the objects';
}

/** What a server fills in and apply must not send (a fixture may carry a resourceVersion or status from a dump). */
function stripServerFields(object: KubeObject): KubeObject {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}
