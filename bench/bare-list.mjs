// The practical limit: a bare Node script paging the same list with undici fetch and one connection pool
// (an Agent), as someone would write it by hand. fetch asks for gzip (Accept-Encoding), as browsers, Go's
// client and kubectl do (and kubepoll, unless --disable-compression); pass `identity` to ask for uncompressed pages.
// Usage: node bench/bare-list.mjs <server> <caFile> <tokenFile> <path> [identity]
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';

const [server, caFile, tokenFile, path, encoding] = process.argv.slice(2);
const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
if (encoding) headers['accept-encoding'] = encoding;
let count = 0;
let next = '';
do {
  const url = `${server}${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
  const page = await (await fetch(url, { headers, dispatcher })).json();
  for (const _ of page.items) count++;
  next = page.metadata.continue ?? '';
} while (next);
await dispatcher.close();
process.stdout.write(`${JSON.stringify({ count })}\n`);
