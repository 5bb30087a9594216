// The practical limit: a bare Node script paging the same list with undici fetch and one connection pool.
// Usage: node bench/bare-list.mjs <server> <caFile> <tokenFile>
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';

const [server, caFile, tokenFile] = process.argv.slice(2);
const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
let count = 0;
let next = '';
do {
  const url = `${server}/apis/bench.kubepoll.io/v1/widgets?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
  const page = await (await fetch(url, { headers, dispatcher })).json();
  for (const _ of page.items) count++;
  next = page.metadata.continue ?? '';
} while (next);
await dispatcher.close();
process.stdout.write(`${JSON.stringify({ count })}\n`);
