/**
 * A ServiceAccount on the real test API server, as a job's pod would have it:
 * a service-account directory with a bound token from the TokenRequest API,
 * the CA and the namespace. `runJob` accepts it like the fake cluster; each run
 * gets exactly the RBAC `kubepoll manifests` generates for the job.
 */
import path from 'node:path';
import type { KubeObject, LoadedJob } from '../job.js';
import { jobManifests } from '../manifests.js';
import type { AdminClient } from './apiserver-admin.js';
import { ApiClient } from './apiserver-client.js';
import { inClusterEnvFor, writeKubeconfig, writeServiceAccountDir } from './cluster-files.js';
import type { RunTarget } from './run-job.js';

/** TokenRequest refuses less than 10 minutes. */
export const MIN_TOKEN_SECONDS = 600;

export interface ClusterOptions {
  /** The ServiceAccount's namespace (created when missing). */
  namespace: string;
  /** Default `kubepoll`. */
  serviceAccount?: string;
  /** Lifetime of each bound token, at least 600. Default 3600 (as the generated pod's projected token). */
  tokenSeconds?: number;
}

export interface ClusterServer {
  readonly url: string;
  readonly caPem: string;
  readonly caFile: string;
  readonly admin: AdminClient;
  /** A fresh folder for a target. */
  tempDir(prefix: string): Promise<string>;
}

const RBAC_KINDS = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

export class ApiServerCluster implements RunTarget {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly user: string;
  readonly dir: string;
  readonly serviceAccountDir: string;
  /** A kubeconfig with the current token (rewritten on rotation). */
  readonly kubeconfigPath: string;
  readonly url: string;
  readonly caFile: string;
  /** Requests as the service account, with its current token. */
  readonly client: ApiClient;
  readonly #server: ClusterServer;
  readonly #tokenSeconds: number;
  #token = '';
  /** Each token is bound to a Secret of its own, so one token can be revoked alone (delete its Secret). */
  readonly #tokenSecrets = new Map<string, string>();
  #tokens = 0;

  private constructor(server: ClusterServer, dir: string, options: ClusterOptions) {
    this.#server = server;
    this.namespace = options.namespace;
    this.serviceAccount = options.serviceAccount ?? 'kubepoll';
    this.user = `system:serviceaccount:${this.namespace}:${this.serviceAccount}`;
    this.dir = dir;
    this.serviceAccountDir = path.join(dir, 'serviceaccount');
    this.kubeconfigPath = path.join(dir, 'kubeconfig');
    this.url = server.url;
    this.caFile = server.caFile;
    this.#tokenSeconds = options.tokenSeconds ?? 3600;
    if (this.#tokenSeconds < MIN_TOKEN_SECONDS) {
      throw new TypeError(
        `tokenSeconds must be at least ${MIN_TOKEN_SECONDS} (the TokenRequest API's minimum), got ${this.#tokenSeconds}`,
      );
    }
    this.client = new ApiClient(server.url, server.caPem, { token: () => this.#token });
  }

  static async create(server: ClusterServer, options: ClusterOptions): Promise<ApiServerCluster> {
    const dir = await server.tempDir(`cluster-${options.namespace}-`);
    const cluster = new ApiServerCluster(server, dir, options);
    await server.admin.createNamespace(cluster.namespace, {}, { ifMissing: true });
    await cluster.#createServiceAccount();
    await cluster.rotateToken();
    return cluster;
  }

  /** The bound token in the service-account directory now. */
  get token(): string {
    return this.#token;
  }

  /** KUBERNETES_SERVICE_HOST/PORT and KUBEPOLL_SERVICEACCOUNT_DIR for an in-cluster style run. */
  get inClusterEnv(): Record<string, string> {
    return inClusterEnvFor(this.url, this.serviceAccountDir);
  }

  /**
   * Requests a new bound token (TokenRequest API) and writes it into the
   * service-account directory (atomic symlink swap, as kubelet does) and the
   * kubeconfig. The old token stays valid until it expires, as in a real pod,
   * unless revoked with `revokeToken`.
   */
  async rotateToken(): Promise<string> {
    const admin = this.#server.admin;
    const ns = this.namespace;
    const secretName = `${this.serviceAccount}-token-${++this.#tokens}`;
    const secret = await admin.ok<{ metadata: { uid: string } }>('POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, labels: { 'kubepoll.dev/token-binding': this.serviceAccount } },
    });
    const review = await admin.ok<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/${this.serviceAccount}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          expirationSeconds: this.#tokenSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secretName, uid: secret.metadata.uid },
        },
      },
    );
    const token = review.status.token;
    await writeServiceAccountDir(this.serviceAccountDir, { token, caPem: this.#server.caPem, namespace: this.namespace });
    await writeKubeconfig(this.kubeconfigPath, { server: this.url, caFile: this.caFile, token, namespace: this.namespace });
    this.#tokenSecrets.set(token, secretName);
    this.#token = token;
    return token;
  }

  /**
   * Revokes one token (deletes the Secret it is bound to); with `wait`,
   * resolves only once the API server refuses it (its token cache holds a
   * token for up to about 10 s).
   */
  async revokeToken(token: string, options: { wait?: boolean } = {}): Promise<void> {
    const secret = this.#tokenSecrets.get(token);
    if (!secret) throw new Error('revokeToken: not a token this cluster issued');
    await this.#server.admin.ok('DELETE', `/api/v1/namespaces/${this.namespace}/secrets/${secret}`);
    if (options.wait) await this.waitUntilRefused(token);
  }

  /**
   * Deletes the ServiceAccount: its bound tokens stop working once the API
   * server's token cache lets go (up to about 10 s). With `wait`, resolves only
   * when the current token is refused (401).
   */
  async deleteServiceAccount(options: { wait?: boolean } = {}): Promise<void> {
    await this.#server.admin.ok('DELETE', `/api/v1/namespaces/${this.namespace}/serviceaccounts/${this.serviceAccount}`);
    if (options.wait) await this.waitUntilRefused();
  }

  /** Deletes and creates the ServiceAccount again (a new uid: old tokens are revoked), then issues a new token. */
  async recreateServiceAccount(options: { wait?: boolean } = {}): Promise<string> {
    const old = this.#token;
    await this.deleteServiceAccount();
    await this.#createServiceAccount();
    if (options.wait) await this.waitUntilRefused(old);
    return this.rotateToken();
  }

  /** Resolves when `token` (default the current one) gets 401; throws after `timeoutMs` (default 30 s). */
  async waitUntilRefused(token = this.#token, timeoutMs = 30_000): Promise<void> {
    const probe = new ApiClient(this.url, this.#server.caPem, { token });
    try {
      const deadline = Date.now() + timeoutMs;
      while ((await probe.request('GET', '/api')).status !== 401) {
        if (Date.now() > deadline) throw new Error(`the token of ${this.user} still works after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await probe.close();
    }
  }

  /**
   * `RunTarget`: creates exactly the Role/RoleBinding/ClusterRole/ClusterRoleBinding
   * that `kubepoll manifests` generates for `job` in `namespace`, bound to this
   * ServiceAccount, and waits until a SelfSubjectAccessReview as the account
   * says each rule is in force. Resolves to a function that deletes them.
   */
  async grantForRun(job: LoadedJob, namespace: string): Promise<() => Promise<void>> {
    const admin = this.#server.admin;
    const objects = rbacObjectsFor(job, namespace, { name: this.serviceAccount, namespace: this.namespace });
    await admin.apply(objects);
    await this.#waitAllowed(objects);
    return async () => {
      for (const object of [...objects].reverse()) await admin.remove(object);
    };
  }

  /** Whether the account may do this now, by a SelfSubjectAccessReview with its own token. */
  async can(attributes: {
    verb: string;
    group?: string;
    resource: string;
    subresource?: string;
    namespace?: string;
    name?: string;
  }): Promise<boolean> {
    const review = await this.client.ok<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { group: '', ...attributes } },
      },
    );
    return review.status.allowed;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async #createServiceAccount(): Promise<void> {
    const res = await this.#server.admin.request('POST', `/api/v1/namespaces/${this.namespace}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: this.serviceAccount },
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating ServiceAccount ${this.user}: ${res.status} ${res.text}`);
  }

  /** RBAC is served from an informer cache: wait until every granted verb is allowed. */
  async #waitAllowed(objects: readonly KubeObject[]): Promise<void> {
    const checks: Parameters<ApiServerCluster['can']>[0][] = [];
    for (const role of objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
      const rules = (role.rules ?? []) as {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
      for (const rule of rules) {
        for (const full of rule.resources) {
          const [resource = '', subresource] = full.split('/');
          const verb = rule.verbs[0] ?? 'get';
          checks.push({
            verb,
            group: rule.apiGroups[0] ?? '',
            resource,
            ...(subresource ? { subresource } : {}),
            ...(role.metadata?.namespace ? { namespace: role.metadata.namespace } : {}),
            ...(rule.resourceNames?.[0] ? { name: rule.resourceNames[0] } : {}),
          });
        }
      }
    }
    const deadline = Date.now() + 15_000;
    for (const check of checks) {
      while (!(await this.can(check))) {
        if (Date.now() > deadline) throw new Error(`RBAC for ${this.user} is not in force after 15 s: ${JSON.stringify(check)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/**
 * The RBAC objects of `kubepoll manifests` for `job` deployed in `namespace`.
 * For another account than the generated one (`kubepoll-<job>` in
 * `namespace`), the bindings name that account instead, and every object's
 * name gets the account's as a suffix (so two accounts granted the same job
 * at once do not share objects); the rules are the generated ones, untouched.
 */
export function rbacObjectsFor(job: LoadedJob, namespace: string, account: { name: string; namespace: string }): KubeObject[] {
  const generated = jobManifests(job, { image: 'kubepoll-test', namespace, once: true }).filter((o) =>
    RBAC_KINDS.has(String(o.kind)),
  ) as KubeObject[];
  if (account.name === `kubepoll-${job.name}` && account.namespace === namespace) return generated;
  const rename = (name: unknown) => `${String(name)}-${account.name}`;
  return generated.map((o) => {
    const metadata = { ...o.metadata, name: rename(o.metadata?.name) };
    if (!String(o.kind).endsWith('Binding')) return { ...o, metadata };
    const roleRef = o.roleRef as { apiGroup: string; kind: string; name: string };
    return {
      ...o,
      metadata,
      roleRef: { ...roleRef, name: rename(roleRef.name) },
      subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }],
    };
  });
}
