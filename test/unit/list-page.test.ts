import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { readListPage, scanListPage } from '../../src/list-page.js';

const REQUEST = { verb: 'list', resource: 'widgets.example.com' };

/** Scans `text` and parses every item range, as the client does. */
function read(text: string) {
  const bytes = Buffer.from(text);
  const page = scanListPage(bytes);
  if (!page) return undefined;
  const ranges = page.items ?? [];
  const items: unknown[] = [];
  for (let i = 0; i < ranges.length; i += 2) items.push(JSON.parse(bytes.toString('utf8', ranges[i], ranges[i + 1])));
  return { metadata: page.metadata, items };
}

describe('list page scanner', () => {
  it('finds every item and the metadata, whatever the key order and spacing', () => {
    const list = {
      items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' }, spec: { list: [1, [2, { x: '}' }]], empty: {} } }],
      kind: 'WidgetList',
      metadata: { continue: 'abc', resourceVersion: '7', remainingItemCount: 3 },
      apiVersion: 'example.com/v1',
    };
    expect(read(JSON.stringify(list))).toEqual({ metadata: list.metadata, items: list.items });
    expect(read(JSON.stringify(list, null, 2))).toEqual({ metadata: list.metadata, items: list.items });
  });

  it('is not fooled by brackets, quotes and escapes inside strings, or by non-ASCII text', () => {
    const tricky = [
      { s: 'a "quoted" }] word', t: '\\', u: '\\"', v: '{[', w: 'ünïcödé ✓ 🚀' },
      { n: -1.5e3, b: true, f: false, z: null, arr: [] },
      'a string item',
      42,
    ];
    expect(read(JSON.stringify({ metadata: {}, items: tricky }))?.items).toEqual(tricky);
  });

  it('gives up (so the caller parses it whole) on anything that is not a well-formed JSON object', () => {
    for (const text of [
      '[]',
      '',
      'not json',
      '{"items":[{"a":1}',
      '{"items":[1 2]}',
      '{"a" 1}',
      '{"a":"unterminated}',
      '{} x',
      '{"a":tru}',
    ]) {
      expect(scanListPage(Buffer.from(text)), text).toBeUndefined();
    }
  });
});

/** A small seeded PRNG (mulberry32): the generated cases are the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'a', 'x"y', '}]', '{[', '\\', 'ü✓🚀', '\n\t', 'items', 'metadata', '\u0000', 'continue'];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 4 : 7));
  switch (k) {
    case 0:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 1:
      return Math.floor(r() * 2000 - 1000) / (r() < 0.5 ? 1 : 8);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 4) }, () => [STRINGS[Math.floor(r() * STRINGS.length)], value(r, depth + 1)]),
      );
  }
}

function page(r: () => number): string {
  const items = Array.from({ length: Math.floor(r() * 6) }, (_, i) =>
    r() < 0.85
      ? { apiVersion: 'v1', metadata: { name: `n${i}`, labels: { a: STRINGS[i % STRINGS.length] } }, spec: value(r, 1) }
      : value(r, 1),
  );
  const parts: [string, unknown][] = [
    ['kind', 'WidgetList'],
    ['metadata', r() < 0.8 ? { resourceVersion: '1', ...(r() < 0.5 ? { continue: 'tok' } : {}) } : value(r, 2)],
    ['items', r() < 0.9 ? items : value(r, 2)],
  ];
  if (r() < 0.2) parts.push(['items', items.slice(1)]); // a duplicate key: the last wins
  parts.sort(() => r() - 0.5);
  const gap = () => [' ', '', '\n', '\t', '  '][Math.floor(r() * 5)] as string;
  return `${gap()}{${parts.map(([key, v]) => `${gap()}${r() < 0.1 ? JSON.stringify(key).replace('i', '\\u0069') : JSON.stringify(key)}${gap()}:${gap()}${JSON.stringify(v)}`).join(',')}}${gap()}`;
}

/** What the API contract says a page holds, computed from JSON.parse of the bytes sent: the reference. */
function reference(text: string): { items: unknown[]; continueToken: string | undefined } | 'error' {
  let list: unknown;
  try {
    // As bytes on the wire: a lone surrogate (a mutation inside an emoji) arrives as U+FFFD.
    list = JSON.parse(Buffer.from(text).toString('utf8'));
  } catch {
    return 'error';
  }
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return 'error';
  const { items: raw, metadata } = list as { items?: unknown; metadata?: unknown };
  const items = raw === null ? [] : raw;
  if (!Array.isArray(items)) return 'error';
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) return 'error';
  const next = (metadata as { continue?: unknown } | undefined)?.continue;
  if (next !== undefined && typeof next !== 'string') return 'error';
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'error';
    const meta = (item as { metadata?: unknown }).metadata;
    if (typeof meta !== 'object' || meta === null || typeof (meta as { name?: unknown }).name !== 'string') return 'error';
  }
  return { items, continueToken: next || undefined };
}

/** readListPage, read all the way: its items, or 'error' when it (or an item) throws a ProtocolError. */
function actual(text: string): { items: unknown[]; continueToken: string | undefined } | 'error' {
  try {
    const p = readListPage(Buffer.from(text), REQUEST);
    return { items: Array.from({ length: p.count }, (_, i) => p.item(i)), continueToken: p.continueToken };
  } catch (error) {
    if (error instanceof ProtocolError) return 'error';
    throw error;
  }
}

const MUTATIONS = ['{', '}', '[', ']', '"', ',', ':', '\\', ' ', 'x', '0', 'n'];

describe('readListPage agrees with JSON.parse (differential)', () => {
  it('on 3,000 generated pages', () => {
    const r = prng(1);
    let errors = 0;
    for (let n = 0; n < 3000; n++) {
      const text = page(r);
      const want = reference(text);
      if (want === 'error') errors++;
      expect(actual(text), text).toEqual(want);
    }
    // The generator makes both kinds: the comparison is not one-sided.
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(2900);
  });

  it('on 5,000 pages with one byte inserted, deleted or replaced (adversarial)', () => {
    const r = prng(2);
    for (let n = 0; n < 5000; n++) {
      const base = page(r);
      const at = Math.floor(r() * base.length);
      const ch = MUTATIONS[Math.floor(r() * MUTATIONS.length)] as string;
      const op = Math.floor(r() * 3);
      const text =
        op === 0
          ? base.slice(0, at) + ch + base.slice(at)
          : op === 1
            ? base.slice(0, at) + base.slice(at + 1)
            : base.slice(0, at) + ch + base.slice(at + 1);
      expect(actual(text), text).toEqual(reference(text));
    }
  });

  it('names the request and what is wrong', () => {
    expect(() => readListPage(Buffer.from('{"items":[null]}'), REQUEST).item(0)).toThrow(
      "list widgets.example.com: the server's answer is not a valid list: items[0] is null",
    );
  });
});
