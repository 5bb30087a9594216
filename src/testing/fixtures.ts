import { glob, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../job.js';

/** Where each fixture object came from (`file: document N`), for errors found later when seeding. */
export const fixtureSource = new WeakMap<object, string>();

/**
 * Reads Kubernetes objects from multi-document YAML files (paths or glob
 * patterns, relative to `cwd`), in file-name order. A `List` document is
 * unpacked. An invalid document throws an error naming the file and document.
 */
export async function loadFixtures(patterns: string | readonly string[], cwd = process.cwd()): Promise<KubeObject[]> {
  const files = new Set<string>();
  for (const pattern of typeof patterns === 'string' ? [patterns] : patterns) {
    let matched = 0;
    for await (const file of glob(pattern, { cwd })) {
      files.add(path.resolve(cwd, file));
      matched++;
    }
    if (matched === 0) throw new Error(`fixtures: no file matches ${pattern} (in ${cwd})`);
  }
  const objects: KubeObject[] = [];
  for (const file of [...files].sort()) objects.push(...parseFixtures(await readFile(file, 'utf8'), file));
  return objects;
}

/** Parses the objects of one multi-document YAML text; `source` names it in errors. */
export function parseFixtures(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${source}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new Error(`${where}: invalid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // empty document (e.g. a trailing ---)
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${where}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
    const object = value as KubeObject;
    if (object.kind === 'List' && Array.isArray(object.items)) {
      for (const item of object.items as KubeObject[]) fixtureSource.set(item, where);
      objects.push(...(object.items as KubeObject[]));
      return;
    }
    const missing = ['apiVersion', 'kind'].filter((k) => typeof object[k] !== 'string');
    if (!object.metadata?.name) missing.push('metadata.name');
    if (missing.length > 0) throw new Error(`${where}: ${missing.join(', ')} missing`);
    fixtureSource.set(object, where);
    objects.push(object);
  });
  return objects;
}
