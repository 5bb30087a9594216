// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code lives.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
// samples[i] is a node id, timeDeltas[i] the µs since the previous sample.
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const area = new Map();
const where = (url) => {
  if (!url) return '(native / V8)';
  if (url.includes('/dist/')) return `kubepoll ${url.slice(url.indexOf('/dist/') + 6)}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return url;
  return url.split('/').slice(-2).join('/');
};
for (const [node, us] of self) {
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const a = node.callFrame.url ? (where(url).split(' ')[0] === 'kubepoll' ? where(url) : where(url)) : functionName;
  area.set(a, (area.get(a) ?? 0) + us);
}
const print = (title, map, n) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
};
print('self time by function', fn, Number(top));
print('self time by file', area, Number(top));
