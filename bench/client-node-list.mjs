// What a TypeScript user would write with @kubernetes/client-node 2.0: its own paged loop of
// listClusterCustomObject (limit + _continue) over every namespace, the token and CA as a pod has them.
// Usage: node bench/client-node-list.mjs <server> <caFile> <tokenFile> <group> <version> <plural>
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';

const [server, caFile, tokenFile, group, version, plural] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromClusterAndUser(
  { name: 'bench', server, caFile, skipTLSVerify: false },
  { name: 'bench', token: readFileSync(tokenFile, 'utf8').trim() },
);
const api = kc.makeApiClient(CustomObjectsApi);
let count = 0;
let next;
do {
  const page = await api.listClusterCustomObject({ group, version, plural, limit: 500, _continue: next });
  for (const _ of page.items) count++;
  next = page.metadata?.continue || undefined;
} while (next);
process.stdout.write(`${JSON.stringify({ count })}\n`);
