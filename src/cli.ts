#!/usr/bin/env node
/**
 * The `kubepoll` command's entry: first checks that this Node is one kubepoll
 * supports (`engines.node` of its package.json), before anything that might
 * not load on an older Node, then starts the CLI (`cli-main.ts`).
 */
import { readFileSync } from 'node:fs';
import { nodeVersionProblem } from './node-version.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } };
const problem = nodeVersionProblem(manifest.engines?.node, process.versions.node);
if (problem) {
  process.stderr.write(`kubepoll: ${problem}\n`);
  process.exit(2);
}
await import('./cli-main.js');
