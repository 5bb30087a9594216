/**
 * The throwaway PKI of a test API server, made with openssl (the one the
 * Kubernetes docs use for this): a CA, the serving certificate for
 * 127.0.0.1/localhost, an admin client certificate (`O=system:masters`) and the
 * service-account token signing key.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface ApiServerPki {
  caFile: string;
  caKeyFile: string;
  caPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  adminCertFile: string;
  adminKeyFile: string;
  adminCertPem: string;
  adminKeyPem: string;
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
}

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('the real API server tests need openssl on PATH: install it (apt-get install openssl)');
    throw new Error(`openssl ${args.join(' ')} failed: ${String(e.stderr ?? e.message).trim()}`);
  }
}

/** Writes the PKI into `dir` (which must exist); valid for `days`. */
export async function createApiServerPki(dir: string, days = 7): Promise<ApiServerPki> {
  const f = (name: string) => path.join(dir, name);
  const validity = ['-days', String(days)];
  await openssl(
    [
      'req',
      '-x509',
      ...EC,
      ...validity,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=kubepoll-test-apiserver-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const signed = (name: string, subject: string, ext: string[]) =>
    openssl(
      [
        'req',
        '-x509',
        ...EC,
        ...validity,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-subj',
        subject,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature',
        ...ext.flatMap((e) => ['-addext', e]),
      ],
      dir,
    );
  await Promise.all([
    signed('apiserver', '/CN=kube-apiserver', [
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    ]),
    signed('admin', '/O=system:masters/CN=kubepoll-admin', ['extendedKeyUsage=clientAuth']),
  ]);
  // ES256 service-account tokens: kube-apiserver signs with any RSA or ECDSA key.
  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(f('sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(f('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  const [caPem, adminCertPem, adminKeyPem] = await Promise.all(
    ['ca.crt', 'admin.crt', 'admin.key'].map((n) => readFile(f(n), 'utf8')),
  );
  return {
    caFile: f('ca.crt'),
    caKeyFile: f('ca.key'),
    caPem: caPem as string,
    serverCertFile: f('apiserver.crt'),
    serverKeyFile: f('apiserver.key'),
    adminCertFile: f('admin.crt'),
    adminKeyFile: f('admin.key'),
    adminCertPem: adminCertPem as string,
    adminKeyPem: adminKeyPem as string,
    serviceAccountKeyFile: f('sa.key'),
    serviceAccountPublicKeyFile: f('sa.pub'),
  };
}
