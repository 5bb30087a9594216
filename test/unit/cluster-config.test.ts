import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveClusterConfig } from '../../src/cluster-config.js';
import { ConfigError } from '../../src/errors.js';
import { writeServiceAccountDir } from '../../src/testing/cluster-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kubepoll-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function kubeconfig(contexts: { name: string; namespace?: string; server?: string; token?: string }[], current?: string) {
  return `apiVersion: v1
kind: Config
clusters:
${contexts.map((c) => `- name: ${c.name}\n  cluster:\n    server: ${c.server ?? `https://${c.name}.example:6443`}\n    insecure-skip-tls-verify: true`).join('\n')}
users:
${contexts.map((c) => `- name: ${c.name}\n  user:\n    token: ${c.token ?? `token-${c.name}`}`).join('\n')}
contexts:
${contexts.map((c) => `- name: ${c.name}\n  context:\n    cluster: ${c.name}\n    user: ${c.name}${c.namespace ? `\n    namespace: ${c.namespace}` : ''}`).join('\n')}
${current ? `current-context: ${current}` : ''}
`;
}

async function serviceAccount(namespace = 'jobs') {
  const sa = path.join(dir, 'sa');
  await writeServiceAccountDir(sa, { token: 'sa-token', caPem: CA, namespace });
  return sa;
}

const homeDir = () => path.join(dir, 'home');

describe('in-cluster config', () => {
  it('uses KUBERNETES_SERVICE_HOST/PORT and the service-account directory', async () => {
    const sa = await serviceAccount();
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: sa };
    const config = await resolveClusterConfig({}, { env, homeDir: homeDir() });
    expect(config.server).toBe('https://10.96.0.1:443');
    expect(config.namespace).toBe('jobs');
    expect(config.tls).toEqual({ ca: CA, rejectUnauthorized: true });
    expect(await config.credentials.authorization()).toBe('Bearer sa-token');
    expect(config.source).toBe(`in-cluster (${sa})`);
  });

  it('brackets an IPv6 host and lets --namespace win', async () => {
    const sa = await serviceAccount();
    const env = { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: sa };
    const config = await resolveClusterConfig({ namespace: 'override' }, { env, homeDir: homeDir() });
    expect(config.server).toBe('https://[fd00:10:96::1]:443');
    expect(config.namespace).toBe('override');
  });

  it('prefers --kubeconfig over in-cluster settings', async () => {
    const sa = await serviceAccount();
    const file = path.join(dir, 'kc');
    await writeFile(file, kubeconfig([{ name: 'dev', namespace: 'dev-ns' }], 'dev'));
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: sa };
    const config = await resolveClusterConfig({ kubeconfig: file }, { env, homeDir: homeDir() });
    expect(config.server).toBe('https://dev.example:6443');
    expect(config.namespace).toBe('dev-ns');
  });
});

describe('kubeconfig', () => {
  it('uses the current context, its namespace and its credentials', async () => {
    const file = path.join(dir, 'kc');
    await writeFile(file, kubeconfig([{ name: 'a', namespace: 'ns-a' }, { name: 'b' }], 'a'));
    const config = await resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() });
    expect(config.server).toBe('https://a.example:6443');
    expect(config.namespace).toBe('ns-a');
    expect(config.tls.rejectUnauthorized).toBe(false);
    expect(await config.credentials.authorization()).toBe('Bearer token-a');
    expect(config.source).toBe(`kubeconfig ${file} (from --kubeconfig), context a`);
  });

  it('switches context with --context and falls back to namespace "default"', async () => {
    const file = path.join(dir, 'kc');
    await writeFile(file, kubeconfig([{ name: 'a', namespace: 'ns-a' }, { name: 'b' }], 'a'));
    const config = await resolveClusterConfig({ kubeconfig: file, context: 'b' }, { env: {}, homeDir: homeDir() });
    expect(config.server).toBe('https://b.example:6443');
    expect(config.namespace).toBe('default');
  });

  it('names the contexts there are when --context is wrong', async () => {
    const file = path.join(dir, 'kc');
    await writeFile(file, kubeconfig([{ name: 'a' }, { name: 'b' }], 'a'));
    await expect(resolveClusterConfig({ kubeconfig: file, context: 'c' }, { env: {}, homeDir: homeDir() })).rejects.toThrow(
      `context "c" not found in kubeconfig ${file} (contexts: a, b)`,
    );
  });

  it('says which file does not parse', async () => {
    const file = path.join(dir, 'kc');
    await writeFile(file, 'clusters: [\n  not: yaml: at all');
    const error = await resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^kubeconfig ${file} \\(from --kubeconfig\\) cannot be read: `));
    expect((error as Error).message).not.toContain('\n');
  });

  it('says when the kubeconfig file is missing', async () => {
    await expect(resolveClusterConfig({ kubeconfig: path.join(dir, 'nope') }, { env: {}, homeDir: homeDir() })).rejects.toThrow(
      /cannot be read: ENOENT/,
    );
  });

  it('merges the files of KUBECONFIG, the first file setting the current context', async () => {
    const one = path.join(dir, 'one');
    const two = path.join(dir, 'two');
    await writeFile(one, kubeconfig([{ name: 'a' }], 'b'));
    await writeFile(two, kubeconfig([{ name: 'b', namespace: 'ns-b' }], 'a'));
    const env = { KUBECONFIG: `${one}${path.delimiter}${two}` };
    const config = await resolveClusterConfig({}, { env, homeDir: homeDir() });
    expect(config.server).toBe('https://b.example:6443');
    expect(config.namespace).toBe('ns-b');
  });

  it('falls back to ~/.kube/config', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(homeDir(), '.kube'), { recursive: true });
    await writeFile(path.join(homeDir(), '.kube', 'config'), kubeconfig([{ name: 'home' }], 'home'));
    const config = await resolveClusterConfig({}, { env: {}, homeDir: homeDir() });
    expect(config.server).toBe('https://home.example:6443');
    expect(config.source).toContain('(from ~/.kube/config)');
  });
});

describe('no config', () => {
  it('names every source it tried', async () => {
    const env = { KUBECONFIG: path.join(dir, 'missing') };
    const error = (await resolveClusterConfig({}, { env, homeDir: homeDir() }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `no cluster config found; tried in-cluster (KUBERNETES_SERVICE_HOST/PORT not set), KUBECONFIG (${path.join(dir, 'missing')}: no such file), ${path.join(homeDir(), '.kube', 'config')} (no such file). Pass --kubeconfig or run in a pod`,
    );
  });

  it('does not take in-cluster config without a token file', async () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: dir };
    await expect(resolveClusterConfig({}, { env, homeDir: homeDir() })).rejects.toThrow(`in-cluster (no token in ${dir})`);
  });
});

describe('TLS settings fail closed', () => {
  it('an empty ca.crt in cluster is refused, not the system trust store', async () => {
    const sa = path.join(dir, 'sa');
    await writeServiceAccountDir(sa, { token: 'sa-token', caPem: '', namespace: 'jobs' });
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: sa };
    await expect(resolveClusterConfig({}, { env, homeDir: homeDir() })).rejects.toThrow(
      `in-cluster config: CA file ${path.join(sa, 'ca.crt')} holds no certificate; refusing to send the service-account token without verifying the server`,
    );
  });

  it('insecure-skip-tls-verify in a kubeconfig is a warning every run logs', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig([{ name: 'dev' }], 'dev'));
    const config = await resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() });
    expect(config.tls.rejectUnauthorized).toBe(false);
    expect(config.warnings).toEqual([
      `kubeconfig ${file}, cluster "dev": insecure-skip-tls-verify is set, so the server is not verified and the credentials go to whoever answers`,
    ]);
  });

  it("compression is asked for unless the cluster's disable-compression or --disable-compression turns it off", async () => {
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      kubeconfig([{ name: 'dev' }, { name: 'quiet' }], 'dev').replace(
        'server: https://quiet.example:6443',
        'server: https://quiet.example:6443\n    disable-compression: true',
      ),
    );
    const resolve = (flags: { context?: string; disableCompression?: boolean }) =>
      resolveClusterConfig({ kubeconfig: file, ...flags }, { env: {}, homeDir: homeDir() });
    expect((await resolve({})).disableCompression).toBe(false);
    expect((await resolve({ context: 'quiet' })).disableCompression).toBe(true);
    expect((await resolve({ disableCompression: true })).disableCompression).toBe(true);
    // In a KUBECONFIG list the cluster may be in any of the files (client-node refuses a cluster defined twice).
    const other = path.join(dir, 'other');
    await writeFile(other, kubeconfig([{ name: 'prod' }], 'quiet'));
    const env = { KUBECONFIG: `${other}${path.delimiter}${file}` };
    expect((await resolveClusterConfig({}, { env, homeDir: homeDir() })).disableCompression).toBe(true);
    const sa = await serviceAccount();
    const inCluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEPOLL_SERVICEACCOUNT_DIR: sa };
    expect((await resolveClusterConfig({}, { env: inCluster, homeDir: homeDir() })).disableCompression).toBeFalsy();
    expect(
      (await resolveClusterConfig({ disableCompression: true }, { env: inCluster, homeDir: homeDir() })).disableCompression,
    ).toBe(true);
  });

  it('a kubeconfig whose certificate-authority file is empty is refused', async () => {
    const ca = path.join(dir, 'empty-ca.crt');
    await writeFile(ca, '');
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      kubeconfig([{ name: 'prod' }], 'prod').replace('    insecure-skip-tls-verify: true', `    certificate-authority: ${ca}`),
    );
    await expect(resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() })).rejects.toThrow(
      /cluster "prod": its certificate authority is empty; refusing to fall back to the system trust store/,
    );
  });

  it('the credentials it reads go into the run secrets, to be scrubbed from output', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig([{ name: 'dev', token: 'a-long-kubeconfig-token' }], 'dev'));
    const config = await resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() });
    await config.credentials.authorization();
    expect(config.secrets.scrub('echo a-long-kubeconfig-token')).toBe('echo [redacted]');
  });
});

describe('plain http', () => {
  it('a kubeconfig server on http:// is a warning: the credentials travel unencrypted', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig([{ name: 'lab', server: 'http://127.0.0.1:8080' }], 'lab'));
    const config = await resolveClusterConfig({ kubeconfig: file }, { env: {}, homeDir: homeDir() });
    expect(config.warnings).toContain(
      `kubeconfig ${file}, cluster "lab": the server is plain http://, so the credentials travel unencrypted`,
    );
  });
});
