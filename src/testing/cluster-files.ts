import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a service-account directory the way kubelet's atomic writer does:
 * the files live in a timestamped folder, `..data` points at it, and `token`,
 * `ca.crt` and `namespace` point into `..data`. A new version is made visible
 * by swapping the `..data` symlink with one rename, so a reader always sees
 * either the old files or the new ones, never a mix or a missing file.
 */
export async function writeServiceAccountDir(
  dir: string,
  files: { token: string; caPem: string; namespace: string },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const version = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(path.join(dir, version));
  await writeFile(path.join(dir, version, 'token'), files.token);
  await writeFile(path.join(dir, version, 'ca.crt'), files.caPem);
  await writeFile(path.join(dir, version, 'namespace'), files.namespace);
  const previous = await readlink(path.join(dir, '..data')).catch(() => undefined);
  await rm(path.join(dir, '..data_tmp'), { force: true });
  await symlink(version, path.join(dir, '..data_tmp'));
  await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  const entries = new Set(await readdir(dir));
  for (const name of ['token', 'ca.crt', 'namespace']) {
    if (!entries.has(name)) await symlink(path.join('..data', name), path.join(dir, name));
  }
  if (previous !== undefined && previous !== version) await rm(path.join(dir, previous), { recursive: true, force: true });
}

/** KUBERNETES_SERVICE_HOST/PORT and KUBEPOLL_SERVICEACCOUNT_DIR for an in-cluster style run against `url`. */
export function inClusterEnvFor(url: string, serviceAccountDir: string): Record<string, string> {
  const { hostname, port } = new URL(url);
  return { KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port, KUBEPOLL_SERVICEACCOUNT_DIR: serviceAccountDir };
}

/** Writes a kubeconfig with one cluster, user and context, pointing at the fake server. */
export async function writeKubeconfig(
  file: string,
  options: { server: string; caFile: string; token: string; namespace: string; context?: string },
): Promise<void> {
  const context = options.context ?? 'kubepoll-test';
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: ${context}
  cluster:
    server: ${options.server}
    certificate-authority: ${options.caFile}
users:
- name: ${context}
  user:
    token: ${options.token}
contexts:
- name: ${context}
  context:
    cluster: ${context}
    user: ${context}
    namespace: ${options.namespace}
current-context: ${context}
`;
  await writeFile(file, yaml, { mode: 0o600 });
}

/** A random token shaped like a service-account JWT, with an `exp` claim (unsigned: the fake server compares strings). */
export function makeToken(subject: string, expiresInSeconds = 3600): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'https://kubernetes.default.svc',
    sub: subject,
    iat: now,
    exp: now + expiresInSeconds,
    jti: crypto.randomUUID(),
  };
  return `${b64({ alg: 'RS256', kid: 'kubepoll-test' })}.${b64(payload)}.${Buffer.from(crypto.randomUUID()).toString('base64url')}`;
}
