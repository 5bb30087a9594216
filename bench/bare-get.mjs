// Cold-start baseline: a bare Node script doing the same one get with undici fetch.
// Usage: node bench/bare-get.mjs <server> <caFile> <tokenFile>
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';

const [server, caFile, tokenFile] = process.argv.slice(2);
const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
const response = await fetch(`${server}/apis/bench.kubepoll.io/v1/namespaces/ns-0/widgets/widget-0000000`, {
  headers,
  dispatcher,
});
const widget = await response.json();
await dispatcher.close();
process.stdout.write(`${JSON.stringify({ found: widget.metadata?.name === 'widget-0000000' })}\n`);
