/**
 * Reads a list page without materialising it. A page of 500 objects is about
 * half a megabyte of JSON: `JSON.parse` of it as one string puts the string in
 * V8's large-object space and the 500 objects in the old generation, where they
 * stay until a full GC, so peak memory grows with the length of the list. This
 * scanner finds the byte range of each item (and parses the small `metadata`
 * object), and the client parses items one at a time as the job consumes them:
 * the page bytes stay outside the V8 heap, each object dies young, and memory is
 * bounded by one page of bytes.
 */

export interface ScannedPage {
  /** The list's `metadata` (with `continue`). */
  metadata: { continue?: string; resourceVersion?: string; remainingItemCount?: number };
  /** Start and end offsets of each item, in pairs: [start0, end0, start1, end1, ...]. */
  items: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class ScanError extends Error {}

/**
 * Scans a JSON object with an `items` array. Returns `undefined` for anything
 * that is not such an object (the caller then falls back to `JSON.parse`, which
 * reports the error). Items themselves are validated when they are parsed.
 */
export function scanListPage(bytes: Buffer): ScannedPage | undefined {
  try {
    return scan(bytes);
  } catch (error) {
    if (error instanceof ScanError) return undefined;
    throw error;
  }
}

function scan(b: Buffer): ScannedPage {
  const n = b.length;
  let i = skipWs(b, 0);
  if (b[i] !== OPEN_BRACE) throw new ScanError();
  i++;
  const page: ScannedPage = { metadata: {}, items: [] };
  for (;;) {
    i = skipWs(b, i);
    if (b[i] === CLOSE_BRACE) return page;
    if (b[i] !== QUOTE) throw new ScanError();
    const keyEnd = skipString(b, i);
    const key = b.toString('utf8', i + 1, keyEnd - 1);
    i = skipWs(b, keyEnd);
    if (b[i] !== COLON) throw new ScanError();
    i = skipWs(b, i + 1);
    if (key === 'items' && b[i] === OPEN_BRACKET) {
      i = skipWs(b, i + 1);
      if (b[i] === CLOSE_BRACKET) i++;
      else {
        for (;;) {
          const start = i;
          i = skipValue(b, i);
          page.items.push(start, i);
          i = skipWs(b, i);
          if (b[i] === COMMA) {
            i = skipWs(b, i + 1);
            continue;
          }
          if (b[i] === CLOSE_BRACKET) {
            i++;
            break;
          }
          throw new ScanError();
        }
      }
    } else {
      const start = i;
      i = skipValue(b, i);
      if (key === 'metadata') page.metadata = JSON.parse(b.toString('utf8', start, i)) as ScannedPage['metadata'];
    }
    i = skipWs(b, i);
    if (b[i] === COMMA) i++;
    else if (b[i] !== CLOSE_BRACE) throw new ScanError();
    if (i >= n) throw new ScanError();
  }
}

function skipWs(b: Buffer, i: number): number {
  while (i < b.length) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** From an opening quote to just past the closing one. */
function skipString(b: Buffer, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  throw new ScanError();
}

/** From the first byte of a value to just past it. */
function skipValue(b: Buffer, i: number): number {
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const c = b[j];
      if (c === QUOTE) {
        j = skipString(b, j) - 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new ScanError();
  }
  // number, true, false, null
  let j = i;
  while (j < b.length) {
    const c = b[j];
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
    j++;
  }
  if (j === i) throw new ScanError();
  return j;
}
