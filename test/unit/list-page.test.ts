import { describe, expect, it } from 'vitest';
import { scanListPage } from '../../src/list-page.js';

/** Scans `text` and parses every item range, as the client does. */
function read(text: string) {
  const bytes = Buffer.from(text);
  const page = scanListPage(bytes);
  if (!page) return undefined;
  const items: unknown[] = [];
  for (let i = 0; i < page.items.length; i += 2) items.push(JSON.parse(bytes.toString('utf8', page.items[i], page.items[i + 1])));
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

  it('handles an empty or null items list and no metadata', () => {
    expect(read('{"kind":"List","items":[]}')).toEqual({ metadata: {}, items: [] });
    expect(read('{"items":null,"metadata":{"continue":"x"}}')).toEqual({ metadata: { continue: 'x' }, items: [] });
    expect(read('{}')).toEqual({ metadata: {}, items: [] });
  });

  it('gives up (so the caller parses it whole) on anything that is not a JSON object', () => {
    for (const text of ['[]', '', 'not json', '{"items":[{"a":1}', '{"items":[1 2]}', '{"a" 1}', '{"a":"unterminated}']) {
      expect(scanListPage(Buffer.from(text)), text).toBeUndefined();
    }
  });
});
