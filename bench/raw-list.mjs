// Server floor: pages the list with undici.request and drains each body without parsing it.
// If this is far faster than bare-list.mjs, the fake server is not the bottleneck.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [server, caFile, tokenFile] = process.argv.slice(2);
const pool = new Pool(server, { connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
let bytes = 0;
let next = '';
let pages = 0;
do {
  const { body } = await pool.request({
    path: `/apis/bench.kubepoll.io/v1/widgets?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
    method: 'GET',
    headers,
  });
  const text = await body.text();
  bytes += text.length;
  pages++;
  // The continue token sits in the metadata at the start of the page.
  next = /"continue":"([^"]*)"/.exec(text.slice(0, 400))?.[1] ?? '';
} while (next);
await pool.close();
process.stdout.write(`${JSON.stringify({ bytes, pages })}\n`);
