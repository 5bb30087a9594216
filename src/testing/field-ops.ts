/**
 * The value operations of server-side apply, after structured-merge-diff
 * (typed/tofieldset.go, compare.go, merge.go, remove.go): the set of fields a
 * value sets, the difference between two values, an applied configuration
 * merged into a live object, and fields pruned from one.
 */

import { type FieldType, fieldOf, UNTYPED } from './field-schema.js';
import { type FieldPath, FieldSet, type PathElement } from './field-set.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmptyObject = (v: Json) => isObject(v) && Object.keys(v).length === 0;

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

const atomic = (t: FieldType) =>
  t.kind === 'scalar' ||
  (t.kind === 'list' && t.listType === 'atomic') ||
  ((t.kind === 'struct' || t.kind === 'map') && t.atomic === true);

/** The path element of a list item: `k:{...}` for keyed lists, `v:<json>` for sets, `i:<n>` otherwise. */
export function itemElement(t: FieldType, item: Json, index: number): PathElement {
  if (t.kind === 'list' && t.listType === 'map' && isObject(item)) {
    const key: JsonObject = {};
    for (const k of [...(t.keys ?? [])].sort()) if (item[k] !== undefined) key[k] = item[k];
    return `k:${JSON.stringify(key)}`;
  }
  if (t.kind === 'list' && t.listType === 'set') return `v:${JSON.stringify(item)}`;
  return `i:${index}`;
}

/** The fields a value sets (an applied configuration's fields become the applier's). */
export function toFieldSet(value: Json, type: FieldType): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, t: FieldType, path: FieldPath) => {
    if (Array.isArray(v)) {
      if (t.kind !== 'list' || t.listType === 'atomic') return set.insert(path);
      v.forEach((item, i) => {
        const p = [...path, itemElement(t, item, i)];
        walk(item, t.element, p);
        set.insert(p);
      });
      return;
    }
    if (isObject(v) && t.kind !== 'scalar' && t.kind !== 'list') {
      if (atomic(t)) return set.insert(path);
      for (const [key, child] of Object.entries(v)) {
        const f = fieldOf(t, key);
        const p = [...path, `f:${key}`];
        walk(child, f.type, p);
        if (child === null || isEmptyObject(child) || !f.named) set.insert(p);
      }
      return;
    }
    set.insert(path);
  };
  walk(value, type, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`, field by field. */
export function compare(lhs: Json, rhs: Json, type: FieldType): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: Json, r: Json, path: FieldPath) => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };
  const walk = (l: Json, r: Json, t: FieldType, path: FieldPath) => {
    const lv = l === undefined ? r : l;
    const mapLike = isObject(lv) && (r === undefined || isObject(r)) && (l === undefined || isObject(l));
    const listLike = Array.isArray(lv) && (r === undefined || Array.isArray(r)) && (l === undefined || Array.isArray(l));
    if (mapLike && t.kind !== 'scalar' && t.kind !== 'list') {
      const lo = (l ?? {}) as JsonObject;
      const ro = (r ?? {}) as JsonObject;
      if (atomic(t) || (Object.keys(lo).length === 0 && Object.keys(ro).length === 0)) return leaf(l, r, path);
      for (const key of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        walk(lo[key], ro[key], fieldOf(t, key).type, [...path, `f:${key}`]);
      }
    } else if (listLike && t.kind === 'list' && t.listType !== 'atomic') {
      const la = (l ?? []) as Json[];
      const ra = (r ?? []) as Json[];
      if (la.length === 0 && ra.length === 0) return leaf(l, r, path);
      const left = new Map(la.map((item, i) => [itemElement(t, item, i), item]));
      const right = new Map(ra.map((item, i) => [itemElement(t, item, i), item]));
      for (const pe of new Set([...left.keys(), ...right.keys()])) walk(left.get(pe), right.get(pe), t.element, [...path, pe]);
    } else {
      return leaf(l, r, path);
    }
    if (path.length > 0 && l === undefined) c.added.insert(path);
    else if (path.length > 0 && r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, type, []);
  return c;
}

/** The applied configuration merged into the live value: the configuration's values win, maps and keyed lists merge. */
export function merge(live: Json, config: Json, type: FieldType): Json {
  if (config === undefined) return live;
  if (live === undefined) return config;
  if (isObject(live) && isObject(config) && type.kind !== 'scalar' && type.kind !== 'list' && !atomic(type)) {
    const out: JsonObject = { ...live };
    for (const [key, value] of Object.entries(config)) out[key] = merge(live[key], value, fieldOf(type, key).type);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(config) && type.kind === 'list' && type.listType !== 'atomic') {
    const byElement = new Map(config.map((item, i) => [itemElement(type, item, i), item]));
    const out: Json[] = [];
    const seen = new Set<PathElement>();
    live.forEach((item, i) => {
      const pe = itemElement(type, item, i);
      seen.add(pe);
      out.push(byElement.has(pe) ? merge(item, byElement.get(pe), type.element) : item);
    });
    config.forEach((item, i) => {
      if (!seen.has(itemElement(type, item, i))) out.push(item);
    });
    return out;
  }
  return config;
}

/** The set with the struct fields above each path added as members (structured-merge-diff's EnsureNamedFieldsAreMembers). */
export function withNamedParents(set: FieldSet, type: FieldType): FieldSet {
  const out = FieldSet.of(set.paths());
  for (const path of set.paths()) {
    let t = type;
    for (let i = 0; i < path.length - 1; i++) {
      const pe = path[i] as PathElement;
      if (pe.startsWith('f:')) {
        const f = fieldOf(t, pe.slice(2));
        if (f.named) out.insert(path.slice(0, i + 1));
        t = f.type;
      } else {
        t = t.kind === 'list' ? t.element : UNTYPED;
      }
    }
  }
  return out;
}

/** Removes the values at `paths` (a path whose parent is gone is ignored). */
export function removePaths(value: Json, paths: readonly FieldPath[], type: FieldType): Json {
  let out = structuredClone(value);
  for (const path of [...paths].sort((a, b) => a.length - b.length)) out = removeAt(out, path, type);
  return out;
}

function removeAt(value: Json, path: FieldPath, type: FieldType): Json {
  if (path.length === 0) return undefined;
  const [pe, ...rest] = path as [PathElement, ...PathElement[]];
  if (pe.startsWith('f:') && isObject(value)) {
    const key = pe.slice(2);
    if (!(key in value)) return value;
    const next = removeAt(value[key], rest, fieldOf(type, key).type);
    if (next === undefined) delete value[key];
    else value[key] = next;
    return value;
  }
  if (Array.isArray(value) && type.kind === 'list') {
    const index = value.findIndex((item, i) => itemElement(type, item, i) === pe);
    if (index < 0) return value;
    const next = removeAt(value[index], rest, type.element);
    if (next === undefined) value.splice(index, 1);
    else value[index] = next;
    return value;
  }
  return value;
}
