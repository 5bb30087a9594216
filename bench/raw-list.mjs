// Server floor: pages the list with undici.request and drains each body without parsing it (no JSON.parse):
// the server, TLS and transfer, with next to no client work. With `gzip` it asks for gzip, as kubepoll does, and
// inflates each body (in one call, to find the continue token in it), still without parsing it.
// Usage: node bench/raw-list.mjs <server> <caFile> <tokenFile> <path> [gzip]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Pool } from 'undici';

const [server, caFile, tokenFile, path, gzip] = process.argv.slice(2);
const pool = new Pool(server, { connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
if (gzip) headers['accept-encoding'] = 'gzip';
let bytes = 0;
let next = '';
let pages = 0;
do {
  const response = await pool.request({
    path: `${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
    method: 'GET',
    headers,
  });
  let body = Buffer.from(await response.body.arrayBuffer());
  bytes += body.length;
  if (response.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  pages++;
  // The continue token sits in the list's metadata: before the items (the fake) or after them (kube-apiserver).
  const token = /"continue":"([^"]*)"/;
  next =
    (token.exec(body.toString('latin1', 0, 1000)) ?? token.exec(body.toString('latin1', Math.max(0, body.length - 1000))))?.[1] ??
    '';
} while (next);
await pool.close();
process.stdout.write(`${JSON.stringify({ bytes, pages })}\n`);
