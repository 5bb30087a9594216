// Server floor: pages the list with undici.request and drains each body without parsing it (no JSON.parse,
// no compression asked for): the server, TLS and transfer, with next to no client work.
// Usage: node bench/raw-list.mjs <server> <caFile> <tokenFile> <path>
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [server, caFile, tokenFile, path] = process.argv.slice(2);
const pool = new Pool(server, { connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
let bytes = 0;
let next = '';
let pages = 0;
do {
  const { body } = await pool.request({
    path: `${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
    method: 'GET',
    headers,
  });
  const text = await body.text();
  bytes += text.length;
  pages++;
  // The continue token sits in the list's metadata: before the items (the fake) or after them (kube-apiserver).
  const token = /"continue":"([^"]*)"/;
  next = (token.exec(text.slice(0, 1000)) ?? token.exec(text.slice(-1000)))?.[1] ?? '';
} while (next);
await pool.close();
process.stdout.write(`${JSON.stringify({ bytes, pages })}\n`);
