/**
 * Sets of field paths, as server-side apply tracks ownership
 * (sigs.k8s.io/structured-merge-diff's fieldpath.Set): a trie of path
 * elements, each a member (the path itself is in the set) and/or the parent of
 * more paths. Path elements are written as in `managedFields[].fieldsV1`:
 * `f:<field>`, `k:{"name":"x"}` (an item of a keyed list), `v:<json>` (an
 * item of a set), `i:<index>`.
 */
export type PathElement = string;
export type FieldPath = readonly PathElement[];

const TYPE_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** The order structured-merge-diff sorts path elements in: fields, keys, values, indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = TYPE_ORDER[a[0] as string] ?? 4;
  const tb = TYPE_ORDER[b[0] as string] ?? 4;
  if (ta !== tb) return ta - tb;
  if (ta === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static of(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /** The set a `fieldsV1` object encodes (`"."` marks the parent itself as a member). */
  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: FieldSet, value: Record<string, unknown>) => {
      for (const [key, child] of Object.entries(value)) {
        if (key === '.') continue;
        const inner = (child ?? {}) as Record<string, unknown>;
        const keys = Object.keys(inner);
        if (keys.length === 0 || keys.includes('.')) node.members.add(key);
        if (keys.some((k) => k !== '.')) walk(node.child(key), inner);
      }
    };
    if (fields && typeof fields === 'object') walk(set, fields as Record<string, unknown>);
    return set;
  }

  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (const pe of path.slice(0, -1)) node = node.child(pe);
    node.members.add(path[path.length - 1] as PathElement);
  }

  has(path: FieldPath): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path.slice(0, -1)) node = node?.children.get(pe);
    return node?.members.has(path[path.length - 1] as PathElement) ?? false;
  }

  /** Whether any path of the set starts with `prefix` (or is it). */
  hasPrefix(prefix: FieldPath): boolean {
    if (prefix.length === 0) return !this.empty();
    if (this.has(prefix)) return true;
    let node: FieldSet | undefined = this;
    for (const pe of prefix) node = node?.children.get(pe);
    return node !== undefined && !node.empty();
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** Every path, members of a level before its children, each level sorted (the order of conflict messages). */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = [];
    for (const pe of [...this.members].sort(comparePathElements)) out.push([...prefix, pe]);
    for (const pe of [...this.children.keys()].sort(comparePathElements)) {
      out.push(...(this.children.get(pe) as FieldSet).paths([...prefix, pe]));
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths(), ...other.paths()]);
  }

  /** Paths in this set that are not in `other` (path by path, not by prefix). */
  difference(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => !other.has(p)));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => other.has(p)));
  }

  /** Paths in this set that neither are in `other` nor lie below one of its paths. */
  recursiveDifference(other: FieldSet): FieldSet {
    return FieldSet.of(this.paths().filter((p) => !p.some((_, i) => other.has(p.slice(0, i + 1)))));
  }

  /** The `fieldsV1` encoding. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = new Set([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(comparePathElements)) {
      const child = this.children.get(pe);
      const inner: Record<string, unknown> = child && !child.empty() ? child.toFieldsV1() : {};
      if (this.members.has(pe) && Object.keys(inner).length > 0) out[pe] = { '.': {}, ...inner };
      else if (this.members.has(pe) || Object.keys(inner).length > 0) out[pe] = inner;
    }
    return out;
  }
}

/** A path as the API server prints it in messages: `.spec.containers[name="app"].image`. */
export function pathString(path: FieldPath): string {
  return path
    .map((pe) => {
      const rest = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${rest}`;
        case 'k': {
          const key = JSON.parse(rest) as Record<string, unknown>;
          return `[${Object.entries(key)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${rest}]`;
        default:
          return `[${rest}]`;
      }
    })
    .join('');
}
