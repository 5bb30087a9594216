/**
 * An independent HTTPS server: nginx from Debian's packages
 * (`apt-get install -y nginx-light`), serving pre-generated list pages as
 * static files, with TLS (the same kind of ECDSA P-256 certificate as the
 * fake's), `tcp_nodelay` (as Go's net/http and so kube-apiserver set) and
 * keep-alive. The pages are the fake server's own answers, fetched once at
 * setup: the same bytes, continue tokens and order, so the only difference is
 * the server. `?continue=` picks the file (a map on `$arg_continue`), the
 * `Accept` of a metadata-only list picks the PartialObjectMetadataList pages,
 * and a wrong bearer token is a 401. The `limit` is not read: every client here
 * asks for 500. Discovery documents (`/api`, `/apis`, the group version) are
 * served too, so kubectl can list.
 *
 * One nginx process (`master_process off`), so its CPU is one /proc entry.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { freePort, startServerProcess } from '../dist/testing/apiserver-process.js';
import { createTestCertificates } from '../dist/testing/certs.js';
import { processCpuMs } from './measure.ts';
import type { ServerUsage, Target } from './target.ts';
import { LIST_PATH } from './widgets.ts';

const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const TOKEN = 'bench-token-for-nginx';

/** The nginx binary, or a one-line message saying how to install it. */
export async function findNginx(): Promise<{ binary: string; version: string } | { missing: string }> {
  for (const binary of ['/usr/sbin/nginx', 'nginx']) {
    try {
      const { stderr } = await promisify(execFile)(binary, ['-v']);
      return { binary, version: stderr.trim().replace(/^nginx version: /, '') };
    } catch {}
  }
  return {
    missing: 'nginx is not installed: run `apt-get install -y nginx-light` (Debian/Ubuntu), or set BENCH_NGINX=0 to skip it',
  };
}

/** Fetches every page of the source server's list (full and metadata-only) into `dir`. */
async function writePages(
  source: { url: string; caFile: string; token: string },
  dir: string,
): Promise<{ pages: number; bytes: number; metaBytes: number }> {
  const pool = new Pool(source.url, { connect: { ca: await readFile(source.caFile) } });
  const headers = { authorization: `Bearer ${source.token}` };
  const get = async (p: string, accept = 'application/json') => {
    const res = await pool.request({ method: 'GET', path: p, headers: { ...headers, accept } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${p}: ${res.statusCode} ${text.slice(0, 200)}`);
    return text;
  };
  let pages = 0;
  let bytes = 0;
  let metaBytes = 0;
  try {
    for (const [variant, accept] of [
      ['full', 'application/json'],
      ['meta', METADATA_ACCEPT],
    ] as const) {
      await mkdir(path.join(dir, variant), { recursive: true });
      let token = '';
      do {
        const text = await get(`${LIST_PATH}?limit=500${token ? `&continue=${token}` : ''}`, accept);
        await writeFile(path.join(dir, variant, `${token || 'first'}.json`), text);
        if (variant === 'full') {
          pages++;
          bytes += Buffer.byteLength(text);
        } else metaBytes += Buffer.byteLength(text);
        token = (JSON.parse(text) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
      } while (token);
    }
    // Discovery, for kubectl: /api, /api/v1, /apis, every group version /apis lists, and /version.
    const apis = JSON.parse(await get('/apis')) as { groups: { versions: { groupVersion: string }[] }[] };
    const discovery = ['/api', '/api/v1', '/apis', '/version'];
    for (const group of apis.groups) for (const v of group.versions) discovery.push(`/apis/${v.groupVersion}`);
    for (const p of discovery) {
      const file = path.join(dir, 'discovery', `${p}.json`);
      await mkdir(path.dirname(file), { recursive: true });
      const res = await pool.request({ method: 'GET', path: p, headers: { ...headers, accept: 'application/json' } });
      const text = await res.body.text();
      if (res.statusCode === 200) await writeFile(file, text);
    }
  } finally {
    await pool.close();
  }
  return { pages, bytes, metaBytes };
}

function config(root: string, port: number, gzip: boolean): string {
  const pages = path.join(root, 'pages');
  return `daemon off;
master_process off;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
events { worker_connections 256; }
http {
  log_format bench '$request_uri $status $bytes_sent';
  access_log ${root}/access.log bench;
  client_body_temp_path ${root}/tmp/body;
  proxy_temp_path ${root}/tmp/proxy;
  fastcgi_temp_path ${root}/tmp/fastcgi;
  uwsgi_temp_path ${root}/tmp/uwsgi;
  scgi_temp_path ${root}/tmp/scgi;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 100000;
${gzip ? '  gzip on;\n  gzip_comp_level 1;\n  gzip_min_length 131073;\n  gzip_types application/json;\n  gzip_vary on;\n' : ''}  server_tokens off;
  etag off;
  types { }
  default_type application/json;
  map $http_accept $variant {
    "~as=PartialObjectMetadataList" meta;
    default full;
  }
  map $arg_continue $page {
    "" first;
    "~^[A-Za-z0-9_-]+$" $arg_continue;
    default invalid;
  }
  map $http_authorization $unauthorized {
    "Bearer ${TOKEN}" 0;
    default 1;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${root}/tls.crt;
    ssl_certificate_key ${root}/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:bench:1m;
    root ${pages};
    if ($unauthorized) { return 401 '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'; }
    location = ${LIST_PATH} { try_files /$variant/$page.json =410; }
    location / { try_files /discovery$uri.json =404; }
  }
}
`;
}

/**
 * Starts nginx serving the pages of `source` (the fake server, already seeded).
 */
export async function startNginx(
  binary: string,
  version: string,
  source: { url: string; caFile: string; token: string; objects: number },
  { gzip = false }: { gzip?: boolean } = {},
): Promise<Target & { pages: number; bytes: number; metaBytes: number }> {
  const root = await mkdtemp(path.join(tmpdir(), 'kubepoll-bench-nginx-'));
  try {
    const written = await writePages(source, path.join(root, 'pages'));
    const certs = createTestCertificates();
    await writeFile(path.join(root, 'tls.crt'), certs.certPem);
    await writeFile(path.join(root, 'tls.key'), certs.keyPem, { mode: 0o600 });
    const sa = path.join(root, 'serviceaccount');
    await mkdir(sa, { recursive: true });
    await mkdir(path.join(root, 'tmp'), { recursive: true });
    await writeFile(path.join(sa, 'token'), TOKEN);
    await writeFile(path.join(sa, 'ca.crt'), certs.caPem);
    await writeFile(path.join(sa, 'namespace'), 'bench');
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const kubeconfigPath = path.join(root, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      `apiVersion: v1
kind: Config
clusters: [{ name: nginx, cluster: { server: "${url}", certificate-authority: "${path.join(sa, 'ca.crt')}" } }]
users: [{ name: bench, user: { token: "${TOKEN}" } }]
contexts: [{ name: nginx, context: { cluster: nginx, user: bench, namespace: bench } }]
current-context: nginx
`,
      { mode: 0o600 },
    );
    await writeFile(path.join(root, 'nginx.conf'), config(root, port, gzip));
    const nginx = await startServerProcess('nginx', binary, ['-c', path.join(root, 'nginx.conf'), '-p', root], {
      logFile: path.join(root, 'nginx.log'),
      cleanupDir: root,
    });
    await waitListening(url, path.join(sa, 'ca.crt'));
    const accessLog = path.join(root, 'access.log');
    const logSize = async () => (await stat(accessLog).catch(() => ({ size: 0 }))).size;
    return {
      key: gzip ? 'nginxGzip' : 'nginx',
      label: `${version} (Debian package), static pages, TLS, tcp_nodelay${gzip ? ', gzip level 1 over 128 KB (as kube-apiserver)' : ''}`,
      objects: source.objects,
      ...written,
      url,
      caFile: path.join(sa, 'ca.crt'),
      tokenFile: path.join(sa, 'token'),
      inClusterEnv: {
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(port),
        KUBEPOLL_SERVICEACCOUNT_DIR: sa,
      },
      kubeconfigPath,
      async mark() {
        const from = await logSize();
        const cpu = await processCpuMs(nginx.pid);
        return async (): Promise<ServerUsage> => {
          const cpuMs = (await processCpuMs(nginx.pid)) - cpu;
          // nginx writes the access log line when the request ends, before the client can exit.
          const lines = (await readFile(accessLog)).subarray(from).toString().split('\n').filter(Boolean);
          let listRequests = 0;
          let bytesSent = 0;
          for (const line of lines) {
            const [uri = '', , sent] = line.split(' ');
            if (uri.split('?')[0] === LIST_PATH) listRequests++;
            bytesSent += Number(sent);
          }
          return { listRequests, cpuMs, bytesSent };
        };
      },
      async stop() {
        await nginx.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function waitListening(url: string, caFile: string): Promise<void> {
  const pool = new Pool(url, { connect: { ca: await readFile(caFile) } });
  try {
    for (let i = 0; ; i++) {
      try {
        const res = await pool.request({ method: 'GET', path: '/api', headers: { authorization: `Bearer ${TOKEN}` } });
        await res.body.text();
        if (res.statusCode === 200) return;
      } catch (error) {
        if (i > 100) throw error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await pool.close();
  }
}
