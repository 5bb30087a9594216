import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REASON_BY_STATUS } from '../api-error.js';
import type { KubeObject, LoadedJob, ResourceDeclaration } from '../job.js';
import { type AccessAttributes, planAllows, type RbacPlan, rbacPlan } from '../rbac.js';
import { createTestCertificates } from './certs.js';
import { inClusterEnvFor, makeToken, writeKubeconfig, writeServiceAccountDir } from './cluster-files.js';
import { reissueToken } from './continue-token.js';
import { discoveryDocument, isBuiltinGroupVersion } from './discovery.js';
import { get, list } from './fake-reads.js';
import { type FakeRequest, json, parseBody, type Reply, text404, writeBody } from './fake-request.js';
import { create, patch, remove, update } from './fake-writes.js';
import { fixtureSource } from './fixtures.js';
import { openApiDocument } from './openapi.js';
import { decodeAccessReview, decodeObject } from './protobuf.js';
import * as S from './status.js';
import { type ServedResource, Store } from './store.js';

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
  /** The Accept header (a metadata-only read asks for `as=PartialObjectMetadataList`). */
  accept: string;
  /** The Content-Type of a write (the patch type), when it has a body. */
  contentType?: string;
  /** The request's Accept-Encoding, when it has one. */
  acceptEncoding?: string;
  /** `gzip` when the answer was gzipped (over 128 KB, and asked for). */
  contentEncoding?: string;
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
  subresource: string | undefined;
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
    // The service account lives in its namespace, so that namespace exists.
    fake.store.ensureNamespace(namespace);
    fake.seed(options.objects ?? []);
    return fake;
  }

  /** The token the server accepts now. */
  get token(): string {
    return this.#token;
  }

  /** KUBERNETES_SERVICE_HOST/PORT and KUBEPOLL_SERVICEACCOUNT_DIR for an in-cluster style run. */
  get inClusterEnv(): Record<string, string> {
    return inClusterEnvFor(this.url, this.serviceAccountDir);
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
      // Seeding (not a request) creates the namespaces its objects name, as a convenience for fixtures.
      if (resource.namespaced) this.store.ensureNamespace(object.metadata.namespace as string);
      if (resource.builtin && resource.plural === 'namespaces') {
        const existing = this.store.ensureNamespace(object.metadata.name);
        this.store.put(resource, {
          ...existing,
          ...object,
          metadata: {
            ...existing.metadata,
            ...object.metadata,
            labels: { ...existing.metadata?.labels, ...object.metadata.labels },
          },
        });
        continue;
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

  /** `RunTarget`: grants exactly the job's declarations for one run, then puts back what was there. */
  async grantForRun(job: LoadedJob, namespace: string): Promise<() => Promise<void>> {
    const before = { rules: this.#rbac, plan: this.#plan };
    this.grant(job.resources, namespace);
    return async () => {
      this.#rbac = before.rules;
      this.#plan = before.plan;
    };
  }

  /** Whether the service account may `verb` on `group/resource` in `namespace` (`undefined`: cluster scope or all namespaces). */
  allows(
    verb: string,
    group: string,
    resource: string,
    namespace: string | undefined,
    name?: string,
    subresource?: string,
  ): boolean {
    return this.#allows({ verb, group, resource, namespace, name, subresource });
  }

  #allows(attributes: AccessAttributes): boolean {
    return this.#plan === undefined || planAllows(this.#plan, attributes);
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
      accept: String(req.headers.accept ?? ''),
      ...(req.headers['content-type'] ? { contentType: String(req.headers['content-type']) } : {}),
      ...(req.headers['accept-encoding'] ? { acceptEncoding: String(req.headers['accept-encoding']) } : {}),
    };
    this.requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      const encoding = res.getHeader('content-encoding');
      if (encoding !== undefined) record.contentEncoding = String(encoding);
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
      const review = (protobuf ? { spec: { resourceAttributes: protobuf } } : (parseBody(body) ?? {})) as {
        spec?: { resourceAttributes?: Record<string, string> };
      };
      const a = review.spec?.resourceAttributes ?? {};
      const allowed = this.#allows({
        verb: a.verb ?? '',
        group: a.group ?? '',
        resource: a.resource ?? '',
        subresource: a.subresource || undefined,
        namespace: a.namespace || undefined,
        name: a.name || undefined,
      });
      this.#json(res, 201, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: { creationTimestamp: null },
        spec: review.spec ?? {},
        status: allowed ? { allowed: true, reason: "allowed by the test kit's RBAC" } : { allowed: false },
      });
      return;
    }
    const discovery =
      discoveryDocument(this.store.resources(), url.pathname) ?? openApiDocument(this.store.resources(), url.pathname);
    if (discovery !== undefined) {
      this.#json(res, 200, discovery);
      return;
    }
    const route = this.#route(url.pathname);
    if ('reply' in route) {
      this.#reply(res, route.reply);
      return;
    }
    await this.#serve(req, res, route, url.searchParams, rawBody);
  }

  /**
   * Which resource a path names. What no resource serves answers as kube-apiserver
   * does: a Status 404 under a built-in group version, the plain-text
   * `404 page not found` anywhere else (a custom resource no CRD serves, a
   * namespaced custom resource without its namespace).
   */
  #route(pathname: string): Route | { reply: Reply } {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1] as string, parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 4)
      [group, version, rest] = [parts[1] as string, parts[2] as string, parts.slice(3)];
    else return { reply: text404() };
    const builtinGroup = isBuiltinGroupVersion(this.store.resources(), group, version);
    const unknown = { reply: builtinGroup ? json(404, S.unknownResource()) : text404() };
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 3) return unknown;
    const resource = this.store.resource(group, version, rest[0] as string);
    if (!resource) return unknown;
    if (namespace !== undefined && !resource.namespaced) return unknown;
    // A namespaced resource by name needs its namespace (listing across namespaces needs none).
    if (namespace === undefined && resource.namespaced && rest.length > 1) return unknown;
    return { resource, namespace, name: rest[1], subresource: rest[2] };
  }

  async #serve(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams, rawBody: Buffer): Promise<void> {
    let body = rawBody.toString('utf8');
    const { resource, namespace, name, subresource } = route;
    const { group, plural } = resource;
    const verb = rbacVerb(req.method ?? 'GET', name !== undefined);
    if (verb === 'unsupported' || (subresource !== undefined && !['get', 'update', 'patch'].includes(verb))) {
      this.#reply(res, json(405, S.methodNotAllowed()));
      return;
    }
    if (!this.#allows({ verb, group, resource: plural, subresource, namespace, name })) {
      this.#json(res, 403, S.forbidden(this.user, verb, group, plural, namespace, name, subresource));
      return;
    }
    if (subresource !== undefined && !(subresource === 'status' && (resource.statusSubresource || plural === 'namespaces'))) {
      this.#reply(res, json(404, S.notFound(group, plural, name as string)));
      return;
    }
    // kubectl's typed commands (`kubectl create configmap`) send protobuf: read it as the JSON it encodes.
    let contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('application/vnd.kubernetes.protobuf')) {
      const decoded = decodeObject(rawBody);
      if (!decoded) {
        this.#reply(
          res,
          json(415, S.unsupportedPatchType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'])),
        );
        return;
      }
      body = JSON.stringify(decoded);
      contentType = 'application/json';
    }
    const request: FakeRequest = {
      store: this.store,
      method: req.method ?? 'GET',
      resource,
      namespace,
      name,
      subresource,
      query,
      body,
      contentType,
      accept: String(req.headers.accept ?? 'application/json'),
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    let reply: Reply | undefined;
    if (verb === 'list') reply = list(request, res);
    else if (verb === 'get') reply = get(request);
    else if (verb === 'create') reply = create(request);
    else if (verb === 'update') reply = update(request);
    else if (verb === 'patch') reply = patch(request);
    else if (verb === 'delete') reply = remove(request);
    else reply = json(405, S.methodNotAllowed());
    if (reply) this.#reply(res, reply);
  }

  #reply(res: ServerResponse, reply: Reply): void {
    if ('text' in reply) {
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(reply.text);
    } else this.#json(res, reply.status, reply.json as object);
  }

  #json(res: ServerResponse, code: number, body: object): void {
    writeBody(res, code, { 'content-type': 'application/json' }, JSON.stringify(body));
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
