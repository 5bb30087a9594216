/** A server the bench lists from, with what it can say about each list it served. */
export interface Target {
  /** `fake`, `nginx` or `apiserver`: the key in results.json. */
  key: string;
  /** What the server is, for the table. */
  label: string;
  /** Widgets it serves. */
  objects: number;
  url: string;
  caFile: string;
  tokenFile: string;
  /** KUBERNETES_SERVICE_HOST/PORT and KUBEPOLL_SERVICEACCOUNT_DIR: `kubepoll run` in-cluster style. */
  inClusterEnv: Record<string, string>;
  /** A kubeconfig with the same token (kubectl), when kubectl can talk to this server. */
  kubeconfigPath: string | undefined;
  /** Starts counting; the function it returns says what the server did since. */
  mark(): Promise<() => Promise<ServerUsage>>;
  stop(): Promise<void>;
}

export interface ServerUsage {
  /** List requests of the widgets collection the server answered. */
  listRequests: number;
  /** The server's own CPU time (user + system), ms. */
  cpuMs: number;
  /** Of which etcd, for the real API server. */
  etcdCpuMs?: number;
  /** Bytes the server sent (response headers and bodies), when it logs them. */
  bytesSent?: number;
}
