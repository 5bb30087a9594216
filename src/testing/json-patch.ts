/**
 * RFC 6902 JSON patch as kube-apiserver applies it (evanphx/json-patch v4):
 * `add`, `remove`, `replace`, `move`, `copy`, `test`. Where v4 is lenient the
 * server is too: `replace` of a missing object key adds it. Any failure is one
 * `JsonPatchError` (the server answers all of them with the same 422).
 */
import { deepEqual } from './field-ops.js';

export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

type Json = unknown;
type Container = Record<string, Json> | Json[];

function pointer(path: unknown): string[] {
  if (typeof path !== 'string') throw new JsonPatchError('path must be a string');
  if (path === '') return [];
  if (!path.startsWith('/')) throw new JsonPatchError(`invalid path ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[]): { parent: Container; key: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[index(part, node.length - 1)];
    else if (node && typeof node === 'object') node = (node as Record<string, Json>)[part];
    else throw new JsonPatchError(`missing parent of /${parts.join('/')}`);
    if (node === undefined || node === null || typeof node !== 'object')
      throw new JsonPatchError(`missing parent of /${parts.join('/')}`);
  }
  if (!node || typeof node !== 'object') throw new JsonPatchError('missing parent');
  return { parent: node as Container, key: parts[parts.length - 1] as string };
}

function index(part: string, max: number): number {
  if (!/^\d+$/.test(part)) throw new JsonPatchError(`invalid array index ${part}`);
  const i = Number(part);
  if (i > max) throw new JsonPatchError(`array index ${i} out of bounds`);
  return i;
}

function get(doc: Json, parts: string[]): Json {
  if (parts.length === 0) return doc;
  const { parent, key } = parentOf(doc, parts);
  const value = Array.isArray(parent) ? parent[index(key, parent.length - 1)] : parent[key];
  if (value === undefined) throw new JsonPatchError(`path /${parts.join('/')} does not exist`);
  return value;
}

function add(doc: Json, parts: string[], value: Json): Json {
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : index(key, parent.length), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: Json, parts: string[]): Json {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(index(key, parent.length - 1), 1);
  else {
    if (!(key in parent)) throw new JsonPatchError(`path /${parts.join('/')} does not exist`);
    delete parent[key];
  }
  return doc;
}

function replace(doc: Json, parts: string[], value: Json): Json {
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent[index(key, parent.length - 1)] = value;
  else parent[key] = value;
  return doc;
}

/** Applies `operations` to a copy of `document`. */
export function applyJsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new JsonPatchError('a JSON patch is a list of operations');
  let doc = structuredClone(document);
  for (const op of operations as Record<string, unknown>[]) {
    if (!op || typeof op !== 'object') throw new JsonPatchError('an operation must be an object');
    const parts = pointer(op.path);
    switch (op.op) {
      case 'add':
        doc = add(doc, parts, structuredClone(op.value));
        break;
      case 'remove':
        doc = remove(doc, parts);
        break;
      case 'replace':
        doc = replace(doc, parts, structuredClone(op.value));
        break;
      case 'move': {
        const from = pointer(op.from);
        const value = get(doc, from);
        doc = add(remove(doc, from), parts, value);
        break;
      }
      case 'copy':
        doc = add(doc, parts, structuredClone(get(doc, pointer(op.from))));
        break;
      case 'test':
        if (!deepEqual(get(doc, parts), op.value)) throw new JsonPatchError(`test failed at ${String(op.path)}`);
        break;
      default:
        throw new JsonPatchError(`unexpected operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
