/**
 * A real kube-apiserver and etcd on 127.0.0.1 for tests: envtest for kubepoll.
 * RBAC on, an admin client certificate, service-account token signing (bound
 * tokens through the TokenRequest API), a short etcd compaction interval (so a
 * slow list meets a real `410 Expired`), and an audit log of every request a
 * service account makes. No controllers run: namespaces are never finalised and
 * Jobs never start, so use a fresh namespace per test.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AdminClient } from './apiserver-admin.js';
import { type ApiServerBinaries, findApiServerBinaries } from './apiserver-binaries.js';
import { ApiServerCluster, type ClusterOptions } from './apiserver-cluster.js';
import { createApiServerPki } from './apiserver-pki.js';
import { freePort, type ServerProcess, startServerProcess } from './apiserver-process.js';

export interface ApiServerOptions {
  /** The binaries; default `findApiServerBinaries()` (cached build, or a build now). */
  binaries?: ApiServerBinaries;
  /** `--etcd-compaction-interval`. Default `10s`, so a list slower than about 20 s gets a real 410. */
  compactionInterval?: string;
  /** More kube-apiserver flags, e.g. `['--v=4']`. */
  extraArgs?: readonly string[];
  /** How long to wait for /readyz. Default 60 s. */
  readyTimeoutMs?: number;
}

/** One event of the audit log (`audit.k8s.io/v1` Event, level Metadata). */
export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  responseStatus?: { code: number };
  stage: string;
}

/** The issuer of the server's service-account tokens (and so their audience). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Requests of service accounts are audited (`Metadata`); the admin's and the server's own are not. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
`;

export class ApiServer {
  readonly url: string;
  readonly caPem: string;
  readonly caFile: string;
  /** Admin access: raw requests, apply, CRDs, namespaces. */
  readonly admin: AdminClient;
  /** A kubeconfig for the admin (kubectl --kubeconfig). */
  readonly kubeconfigPath: string;
  /** kube-apiserver's pid (read /proc/<pid>/stat for its CPU time). */
  readonly pid: number;
  readonly etcdPid: number;
  readonly auditLogFile: string;
  readonly #root: string;
  readonly #processes: ServerProcess[];
  readonly #clusters: ApiServerCluster[] = [];
  #stopped = false;

  constructor(init: {
    url: string;
    caPem: string;
    caFile: string;
    admin: AdminClient;
    kubeconfigPath: string;
    root: string;
    apiserver: ServerProcess;
    etcd: ServerProcess;
    auditLogFile: string;
  }) {
    this.url = init.url;
    this.caPem = init.caPem;
    this.caFile = init.caFile;
    this.admin = init.admin;
    this.kubeconfigPath = init.kubeconfigPath;
    this.#root = init.root;
    this.#processes = [init.apiserver, init.etcd];
    this.pid = init.apiserver.pid;
    this.etcdPid = init.etcd.pid;
    this.auditLogFile = init.auditLogFile;
  }

  /** Creates a namespace, with labels (e.g. `pod-security.kubernetes.io/enforce: restricted`). */
  createNamespace(name: string, labels: Record<string, string> = {}) {
    return this.admin.createNamespace(name, labels);
  }

  /**
   * A ServiceAccount in `namespace` (both created when missing) with a bound
   * token in a service-account directory: a target `runJob` accepts.
   *
   * @example
   * ```ts
   * const cluster = await server.cluster({ namespace: 'team-a' });
   * const run = await runJob(job, { cluster });
   * ```
   */
  async cluster(options: ClusterOptions): Promise<ApiServerCluster> {
    const cluster = await ApiServerCluster.create(
      { url: this.url, caPem: this.caPem, caFile: this.caFile, admin: this.admin, tempDir: (p) => this.tempDir(p) },
      options,
    );
    this.#clusters.push(cluster);
    return cluster;
  }

  /** A new folder under the server's temp folder (removed by `stop()`). */
  async tempDir(prefix: string): Promise<string> {
    const dir = path.join(this.#root, 'tmp');
    await mkdir(dir, { recursive: true });
    return mkdtemp(path.join(dir, prefix));
  }

  /** The audit log so far, optionally only one user's requests. */
  async auditEvents(username?: string): Promise<AuditEvent[]> {
    const text = await readFile(this.auditLogFile, 'utf8').catch(() => '');
    const events = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
    return username === undefined ? events : events.filter((e) => e.user.username === username);
  }

  /** Stops kube-apiserver and etcd and removes every temp file. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    running.delete(this);
    for (const cluster of this.#clusters) await cluster.close();
    await this.admin.close();
    for (const p of this.#processes) await p.stop();
    await rm(this.#root, { recursive: true, force: true });
  }

  /** Synchronous last-resort cleanup on process exit. */
  removeTempFiles(): void {
    rmSync(this.#root, { recursive: true, force: true });
  }
}

const running = new Set<ApiServer>();
process.once('exit', () => {
  for (const server of running) server.removeTempFiles();
});

/**
 * Starts etcd and kube-apiserver on 127.0.0.1 (free ports, temp data) and
 * resolves when /readyz answers ok (about 5 s).
 *
 * @example
 * ```ts
 * const server = await startApiServer();
 * await server.admin.installCrds('test/fixtures/crds/*.yaml');
 * const cluster = await server.cluster({ namespace: 'team-a' });
 * const run = await runJob(job, { cluster });
 * await server.stop();
 * ```
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const binaries = options.binaries ?? (await findApiServerBinaries());
  const root = await mkdtemp(path.join(tmpdir(), 'kubepoll-apiserver-'));
  const processes: ServerProcess[] = [];
  try {
    const pki = await createApiServerPki(root);
    const [etcdPort, peerPort, port] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = await startServerProcess(
      'etcd',
      binaries.etcd,
      [
        '--name=kubepoll-test',
        `--data-dir=${path.join(root, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=kubepoll-test=${peerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      { logFile: path.join(root, 'etcd.log'), cleanupDir: root },
    );
    processes.push(etcd);
    await writeFile(path.join(root, 'audit-policy.yaml'), AUDIT_POLICY);
    const auditLogFile = path.join(root, 'audit.log');
    const apiserver = await startServerProcess(
      'kube-apiserver',
      binaries.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        `--etcd-compaction-interval=${options.compactionInterval ?? '10s'}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${path.join(root, 'certs')}`,
        `--tls-cert-file=${pki.serverCertFile}`,
        `--tls-private-key-file=${pki.serverKeyFile}`,
        `--client-ca-file=${pki.caFile}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
        `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // The default reconciler refuses a loopback advertise address and exits.
        '--endpoint-reconciler-type=none',
        // No token controller and no `default` ServiceAccounts: the ServiceAccount plugin would refuse every pod.
        '--disable-admission-plugins=ServiceAccount',
        `--audit-policy-file=${path.join(root, 'audit-policy.yaml')}`,
        `--audit-log-path=${auditLogFile}`,
        '--audit-log-mode=blocking',
        '--profiling=false',
        ...(options.extraArgs ?? []),
      ],
      { logFile: path.join(root, 'kube-apiserver.log'), cleanupDir: root },
    );
    processes.push(apiserver);
    const url = `https://127.0.0.1:${port}`;
    const admin = new AdminClient(url, pki.caPem, { cert: pki.adminCertPem, key: pki.adminKeyPem });
    await waitReady(admin, apiserver, etcd, options.readyTimeoutMs ?? 60_000);
    const kubeconfigPath = path.join(root, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, adminKubeconfig(url, pki.caFile, pki.adminCertFile, pki.adminKeyFile), { mode: 0o600 });
    const server = new ApiServer({
      url,
      caPem: pki.caPem,
      caFile: pki.caFile,
      admin,
      kubeconfigPath,
      root,
      apiserver,
      etcd,
      auditLogFile,
    });
    running.add(server);
    return server;
  } catch (error) {
    for (const p of processes.reverse()) await p.stop(1000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function waitReady(admin: AdminClient, apiserver: ServerProcess, etcd: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    for (const p of [etcd, apiserver]) {
      if (!p.running) throw new Error(`${p.name} exited before the API server was ready:\n${await p.logTail()}`);
    }
    try {
      const res = await admin.request('GET', '/readyz');
      if (res.status === 200) return;
      last = `${res.status} ${res.text
        .trim()
        .split('\n')
        .filter((l) => l.includes('failed'))
        .join('; ')}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`kube-apiserver is not ready after ${timeoutMs} ms (${last}):\n${await apiserver.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function adminKubeconfig(server: string, caFile: string, certFile: string, keyFile: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: kubepoll-test
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: kubepoll-admin
  user:
    client-certificate: ${certFile}
    client-key: ${keyFile}
contexts:
- name: kubepoll-test
  context:
    cluster: kubepoll-test
    user: kubepoll-admin
current-context: kubepoll-test
`;
}
