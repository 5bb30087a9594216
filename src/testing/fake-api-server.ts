import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REASON_BY_STATUS } from '../api-error.js';
import type { KubeObject, ResourceDeclaration } from '../job.js';
import { planAllows, type RbacPlan, rbacPlan } from '../rbac.js';
import { createTestCertificates } from './certs.js';
import { makeToken, writeKubeconfig, writeServiceAccountDir } from './cluster-files.js';
import { fixtureSource } from './fixtures.js';
import { decodeAccessReview } from './protobuf.js';
import { SelectorError } from './selectors.js';
import * as S from './status.js';
import { mergePatch, type ServedResource, Store } from './store.js';

/** Narrows a fault to some requests. A string `path` matches every path that starts with it. */
export interface FaultScope {
  method?: string;
  path?: string | RegExp;
  /** How many matching requests the fault applies to. Default 1; `Infinity` for all. */
  times?: number;
  /** Let this many matching requests through untouched first. Default 0. */
  after?: number;
}

/**
 * A scripted failure:
 * - `{ status, retryAfter? }`: answer with that status (429 in plain text, as API
 *   Priority and Fairness does; others as a Status object), with `Retry-After` seconds;
 * - `{ reset: true }`: destroy the connection without answering;
 * - `{ delayMs }`: answer normally after a delay;
 * - `{ hang: true }`: accept the request and never answer;
 * - `{ expireContinue: true, inconsistentContinue? }`: answer a continued list with
 *   `410 Expired`, with the inconsistent-continue token in the Status when asked;
 * - `{ rotateToken: true }`: rotate the token (as `rotateToken()`) just before
 *   this request is served, so it arrives with a token that was just revoked.
 */
export type Fault = FaultScope &
  (
    | { status: number; retryAfter?: number; message?: string }
    | { reset: true }
    | { delayMs: number }
    | { hang: true }
    | { expireContinue: true; inconsistentContinue?: boolean }
    | { rotateToken: true }
  );

/** A request the server saw. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeApiServerOptions {
  /** Objects to seed: CRDs first make their custom resources served. */
  objects?: readonly KubeObject[];
  /** The service account's namespace (written to `namespace`, set in the kubeconfig). Default `default`. */
  namespace?: string;
  serviceAccount?: string;
  /** When set, only these declarations are allowed (as RBAC would); anything else gets the real 403. */
  rbac?: readonly ResourceDeclaration[] | undefined;
}

interface Route {
  resource: ServedResource;
  namespace: string | undefined;
  name: string | undefined;
}

/**
 * An API server for tests: HTTPS on 127.0.0.1 with its own CA, bearer-token
 * auth, objects in memory, paging, selectors, writes with dry run, Status error
 * bodies like the real server's, and scripted faults.
 */
export class FakeApiServer {
  readonly store = new Store();
  readonly requests: RecordedRequest[] = [];
  readonly dir: string;
  readonly url: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly serviceAccountDir: string;
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly user: string;
  #token: string;
  #rbac: readonly ResourceDeclaration[] | undefined;
  #plan: RbacPlan | undefined;
  #faults: Fault[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** TLS connections accepted so far (a client with one connection pool opens one per parallel request, not one per request). */
  connections = 0;

  private constructor(init: {
    server: Server;
    dir: string;
    url: string;
    caPem: string;
    token: string;
    namespace: string;
    user: string;
    rbac: readonly ResourceDeclaration[] | undefined;
  }) {
    this.#server = init.server;
    this.dir = init.dir;
    this.url = init.url;
    this.caPem = init.caPem;
    this.caFile = path.join(init.dir, 'ca.crt');
    this.serviceAccountDir = path.join(init.dir, 'serviceaccount');
    this.kubeconfigPath = path.join(init.dir, 'kubeconfig');
    this.#token = init.token;
    this.namespace = init.namespace;
    this.user = init.user;
    this.#rbac = init.rbac;
    this.#plan = init.rbac && rbacPlan(init.rbac, init.namespace);
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.#json(res, 500, S.status(500, 'InternalError', `fake API server: ${String(error)}`));
      });
    });
    this.#server.on('secureConnection', () => {
      this.connections++;
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const certs = createTestCertificates();
    const server = createServer({ cert: certs.certPem, key: certs.keyPem });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    const namespace = options.namespace ?? 'default';
    const user = `system:serviceaccount:${namespace}:${options.serviceAccount ?? 'kubepoll'}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-cluster-'));
    const fake = new FakeApiServer({
      server,
      dir,
      url: `https://127.0.0.1:${port}`,
      caPem: certs.caPem,
      token: makeToken(user),
      namespace,
      user,
      rbac: options.rbac,
    });
    await writeFile(fake.caFile, certs.caPem);
    await fake.#writeCredentials();
    fake.seed(options.objects ?? []);
    return fake;
  }

  /** The token the server accepts now. */
  get token(): string {
    return this.#token;
  }

  /** KUBERNETES_SERVICE_HOST/PORT and KUBEPOLL_SERVICEACCOUNT_DIR for an in-cluster style run. */
  get inClusterEnv(): Record<string, string> {
    const url = new URL(this.url);
    return {
      KUBERNETES_SERVICE_HOST: url.hostname,
      KUBERNETES_SERVICE_PORT: url.port,
      KUBEPOLL_SERVICEACCOUNT_DIR: this.serviceAccountDir,
    };
  }

  /** Adds objects; CustomResourceDefinitions are stored (and served) first. */
  seed(objects: readonly KubeObject[]): void {
    const isCrd = (o: KubeObject) => o.kind === 'CustomResourceDefinition';
    for (const object of [...objects.filter(isCrd), ...objects.filter((o) => !isCrd(o))]) {
      const where = fixtureSource.get(object) ?? `${object.kind} "${object.metadata?.name}"`;
      const resource = this.store.resourceForKind(String(object.apiVersion ?? ''), String(object.kind ?? ''));
      if (!resource) {
        throw new Error(
          `${where}: no resource serves kind ${object.kind} in ${object.apiVersion}; add its CustomResourceDefinition to the objects`,
        );
      }
      if (!object.metadata?.name) throw new Error(`${where}: metadata.name missing`);
      if (resource.namespaced && !object.metadata.namespace) {
        throw new Error(`${where}: ${object.kind} "${object.metadata.name}" is namespaced but has no metadata.namespace`);
      }
      this.store.put(resource, object);
    }
  }

  /** The objects of a resource type stored now, in list order (to assert on writes). */
  objects(ref: { group: string; version: string; plural: string }): KubeObject[] {
    const resource = this.store.resource(ref.group, ref.version, ref.plural);
    if (!resource) throw new Error(`the fake cluster does not serve ${ref.plural}.${ref.group}/${ref.version}`);
    return this.store.all(resource);
  }

  /** Adds a fault; faults are tried in the order they were added. */
  inject(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** The declarations access is restricted to, or `undefined` when everything is allowed. */
  get rbacRules(): readonly ResourceDeclaration[] | undefined {
    return this.#rbac;
  }

  /**
   * Restricts access to these declarations (as RBAC would), or lifts the
   * restriction with `undefined`. A declaration without `namespaces` grants its
   * verbs in `ownNamespace` (the namespace the job is deployed to; default the
   * service account's).
   */
  grant(declarations: readonly ResourceDeclaration[] | undefined, ownNamespace: string = this.namespace): void {
    this.#rbac = declarations;
    this.#plan = declarations && rbacPlan(declarations, ownNamespace);
  }

  /** Whether the service account may `verb` on `group/resource` in `namespace` (`undefined`: cluster scope or all namespaces). */
  allows(verb: string, group: string, resource: string, namespace: string | undefined): boolean {
    return this.#plan === undefined || planAllows(this.#plan, verb, group, resource, namespace);
  }

  /** Issues a new token, writes it (atomic symlink swap, as kubelet does), then rejects the old one. */
  async rotateToken(): Promise<string> {
    const token = makeToken(this.user);
    await this.#writeCredentials(token);
    this.#token = token;
    return token;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  async #writeCredentials(token: string = this.#token): Promise<void> {
    await writeServiceAccountDir(this.serviceAccountDir, { token, caPem: this.caPem, namespace: this.namespace });
    await writeKubeconfig(this.kubeconfigPath, { server: this.url, caFile: this.caFile, token, namespace: this.namespace });
  }

  #takeFault(req: IncomingMessage, pathname: string, query: URLSearchParams): Fault | undefined {
    const index = this.#faults.findIndex((f) => {
      if (f.method && f.method.toUpperCase() !== req.method) return false;
      if (typeof f.path === 'string' && !pathname.startsWith(f.path)) return false;
      if (f.path instanceof RegExp && !f.path.test(pathname)) return false;
      if ('expireContinue' in f && !query.get('continue')) return false;
      return true;
    });
    const fault = this.#faults[index];
    if (!fault) return undefined;
    if ((fault.after ?? 0) > 0) {
      fault.after = (fault.after ?? 0) - 1;
      return undefined;
    }
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    this.requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const rawBody = await readBody(req);
    const body = rawBody.toString('utf8');

    const fault = this.#takeFault(req, url.pathname, url.searchParams);
    if (fault) {
      if ('reset' in fault) {
        req.socket.destroy();
        return;
      }
      if ('hang' in fault) return;
      if ('delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
      if ('status' in fault) {
        if (fault.retryAfter !== undefined) res.setHeader('Retry-After', String(fault.retryAfter));
        if (fault.status === 429) {
          res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(fault.message ?? 'Too many requests, please try again later.\n');
          return;
        }
        const reason = REASON_BY_STATUS[fault.status] ?? 'Unknown';
        this.#json(res, fault.status, S.status(fault.status, reason, fault.message ?? `injected ${fault.status} ${reason}`));
        return;
      }
      if ('rotateToken' in fault) await this.rotateToken();
      if ('expireContinue' in fault) {
        const token = fault.inconsistentContinue
          ? reissueToken(url.searchParams.get('continue') ?? '', this.store.resourceVersion)
          : undefined;
        this.#json(res, 410, S.expired(token));
        return;
      }
    }

    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      this.#json(res, 401, S.unauthorized());
      return;
    }
    if (url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' && req.method === 'POST') {
      const protobuf = String(req.headers['content-type']).includes('protobuf') ? decodeAccessReview(rawBody) : undefined;
      const review = (protobuf ? { spec: { resourceAttributes: protobuf } } : (parseJson(body) ?? {})) as {
        spec?: { resourceAttributes?: Record<string, string> };
      };
      const a = review.spec?.resourceAttributes ?? {};
      const allowed = this.allows(a.verb ?? '', a.group ?? '', a.resource ?? '', a.namespace || undefined);
      this.#json(res, 201, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: { creationTimestamp: null },
        spec: review.spec ?? {},
        status: allowed ? { allowed: true, reason: "allowed by the test kit's RBAC" } : { allowed: false },
      });
      return;
    }
    const discovery = this.#discovery(url.pathname);
    if (discovery !== undefined) {
      this.#json(res, 200, discovery);
      return;
    }
    const route = this.#route(url.pathname);
    if (!route) {
      this.#json(res, 404, S.unknownResource());
      return;
    }
    await this.#serve(req, res, route, url.searchParams, body);
  }

  #route(pathname: string): Route | undefined {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1] as string, parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 4)
      [group, version, rest] = [parts[1] as string, parts[2] as string, parts.slice(3)];
    else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 2) return undefined;
    const resource = this.store.resource(group, version, rest[0] as string);
    if (!resource) return undefined;
    if (namespace !== undefined && !resource.namespaced) return undefined;
    return { resource, namespace, name: rest[1] };
  }

  async #serve(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams, body: string): Promise<void> {
    const { resource, namespace, name } = route;
    const { group, plural } = resource;
    const verb = rbacVerb(req.method ?? 'GET', name !== undefined);
    if (!this.allows(verb, group, plural, namespace)) {
      this.#json(res, 403, S.forbidden(this.user, verb, group, plural, namespace, name));
      return;
    }
    const dryRun = query.get('dryRun') === 'All';
    const existing = name === undefined ? undefined : this.store.get(resource, namespace, name);

    switch (verb) {
      case 'list':
        return this.#list(res, resource, namespace, query);
      case 'get':
        if (!existing) return this.#json(res, 404, S.notFound(group, plural, name as string));
        return this.#json(res, 200, existing);
      case 'create':
        return this.#create(res, resource, namespace, body, dryRun);
      case 'patch':
      case 'update': {
        if (!existing) return this.#json(res, 404, S.notFound(group, plural, name as string));
        if (verb === 'patch' && !String(req.headers['content-type']).startsWith('application/merge-patch+json')) {
          return this.#json(
            res,
            415,
            S.status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`,
            ),
          );
        }
        const change = parseJson(body);
        if (change === undefined) return this.#json(res, 400, S.badRequest('the body of the request is not valid JSON'));
        const wantedRv = (change as KubeObject).metadata?.resourceVersion;
        if (wantedRv !== undefined && wantedRv !== existing.metadata?.resourceVersion) {
          return this.#json(res, 409, S.conflict(group, plural, name as string));
        }
        const next = (verb === 'patch' ? mergePatch(existing, change) : change) as KubeObject;
        next.metadata = { ...next.metadata, name: name as string, ...(namespace ? { namespace } : {}) };
        return this.#json(res, 200, this.store.put(resource, next, { dryRun }));
      }
      case 'delete':
        if (!existing) return this.#json(res, 404, S.notFound(group, plural, name as string));
        this.store.remove(resource, namespace, name as string, { dryRun });
        return this.#json(res, 200, existing);
      default:
        return this.#json(
          res,
          405,
          S.status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
        );
    }
  }

  #list(res: ServerResponse, resource: ServedResource, namespace: string | undefined, query: URLSearchParams): void {
    const token = query.get('continue');
    let start: string | undefined;
    if (token) {
      start = decodeToken(token);
      if (start === undefined)
        return this.#json(res, 400, S.badRequest('continue key is not valid: the token cannot be decoded'));
    }
    let page: ReturnType<Store['list']>;
    try {
      page = this.store.list(resource, {
        namespace,
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        limit: Number(query.get('limit') ?? 0) || undefined,
        start,
      });
    } catch (error) {
      if (error instanceof SelectorError) return this.#json(res, 400, S.badRequest(error.message));
      throw error;
    }
    const rv = this.store.resourceVersion;
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (page.next !== undefined) metadata.continue = encodeToken(rv, page.next);
    if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
    const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    const head = JSON.stringify({ kind: resource.listKind, apiVersion, metadata }).slice(0, -1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${head},"items":[${page.itemsJson.join(',')}]}`);
  }

  #create(res: ServerResponse, resource: ServedResource, namespace: string | undefined, body: string, dryRun: boolean): void {
    const { group, plural } = resource;
    const object = parseJson(body) as KubeObject | undefined;
    if (!object || typeof object !== 'object')
      return this.#json(res, 400, S.badRequest('the body of the request is not valid JSON'));
    const metadata = { ...(object.metadata ?? {}) } as Record<string, unknown>;
    if (resource.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        return this.#json(
          res,
          400,
          S.badRequest('the namespace of the provided object does not match the namespace sent on the request'),
        );
      }
      metadata.namespace = namespace;
    }
    if (!metadata.name && typeof metadata.generateName === 'string') {
      metadata.name = `${metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    const name = String(metadata.name ?? '');
    if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) || name.length > 253) {
      return this.#json(
        res,
        422,
        S.invalid(
          resource.kind,
          group,
          name,
          'metadata.name',
          name
            ? `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`
            : 'Required value: name or generateName is required',
        ),
      );
    }
    if (this.store.get(resource, namespace, name)) return this.#json(res, 409, S.alreadyExists(group, plural, name));
    const stored = this.store.put(resource, { ...object, metadata }, { dryRun });
    this.#json(res, 201, stored);
  }

  #discovery(pathname: string): object | undefined {
    const resources = this.store.resources();
    const list = (groupVersion: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: resources
        .filter((r) => (r.group ? `${r.group}/${r.version}` : r.version) === groupVersion)
        .map((r) => ({
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        })),
    });
    if (pathname === '/version') {
      return { major: '1', minor: '32', gitVersion: 'v1.32.0-kubepoll-fake', platform: 'linux/amd64' };
    }
    if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (pathname === '/api/v1') return list('v1');
    const groups = new Map<string, string[]>();
    for (const r of resources) {
      if (!r.group) continue;
      const versions = groups.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      groups.set(r.group, versions);
    }
    const groupObject = (name: string, versions: string[]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    });
    if (pathname === '/apis') {
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([n, v]) => groupObject(n, v)) };
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(pathname);
    if (m && groups.has(m[1] as string)) {
      const versions = groups.get(m[1] as string) as string[];
      if (m[2] === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...groupObject(m[1] as string, versions) };
      if (versions.includes(m[2])) return list(`${m[1]}/${m[2]}`);
    }
    return undefined;
  }

  #json(res: ServerResponse, code: number, body: object): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function rbacVerb(method: string, hasName: boolean): string {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : 'list';
    case 'POST':
      return hasName ? 'unsupported' : 'create';
    case 'PATCH':
      return hasName ? 'patch' : 'unsupported';
    case 'PUT':
      return hasName ? 'update' : 'unsupported';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return 'unsupported';
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Continue tokens in the API server's format: base64url JSON `{ v, rv, start }`. */
export function encodeToken(resourceVersion: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start })).toString('base64url');
}

export function decodeToken(token: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; start?: unknown };
    return value.v === 'meta.k8s.io/v1' && typeof value.start === 'string' ? value.start : undefined;
  } catch {
    return undefined;
  }
}

/** The inconsistent-continue token of a 410: same position, the current resourceVersion. */
function reissueToken(token: string, resourceVersion: number): string | undefined {
  const start = decodeToken(token);
  return start === undefined ? undefined : encodeToken(resourceVersion, start);
}
