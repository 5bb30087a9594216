/**
 * Reads a list page without materialising it. A page of 500 objects is about
 * half a megabyte of JSON: `JSON.parse` of it as one string puts the string in
 * V8's large-object space and the 500 objects in the old generation, where they
 * stay until a full GC, so peak memory grows with the length of the list. This
 * scanner finds the byte range of each item (and parses every other top-level
 * value, which is small), and the client parses items one at a time as the job
 * consumes them: the page bytes stay outside the V8 heap, each object dies
 * young, and memory is bounded by a page of bytes.
 *
 * Speed (measured in bench/, see the README's Benchmarks): inside an item the
 * scanner only tracks nesting and jumps to each string's closing quote with
 * `Buffer.indexOf` (native memchr) instead of testing every byte in JS; what is
 * inside the item (escapes, control characters, numbers) is checked by
 * `JSON.parse` when the item is read, as before. Items are parsed a few at a
 * time (`PARSE_BATCH`) with one `JSON.parse` of `[item,item,...]`: one call per
 * item cost more than parsing the whole page at once, and a small batch stays
 * young-generation garbage, which a whole page does not.
 *
 * The page is held to what the Kubernetes API promises (an object whose
 * `items` is an array (or `null`, Go's empty slice) of objects with `metadata.name`, and a string
 * `metadata.continue` if any): anything else is a `ProtocolError` naming the
 * request, never a silently short list. `test/unit/list-page.test.ts` checks
 * the scanner against `JSON.parse` on generated and adversarial pages.
 */
import { describeRequest, type RequestDescription } from './api-error.js';
import { ProtocolError } from './errors.js';
import type { KubeObject } from './job.js';

export interface ScannedPage {
  /** The list's `metadata` (with `continue`), as parsed; `undefined` when the page has none. */
  metadata: unknown;
  /** Start and end offsets of each item, in pairs: [start0, end0, start1, end1, ...]; `undefined` when there is no `items`. */
  items: number[] | undefined;
  /** Whether `items` was something other than an array (it is then parsed here, to say what). */
  itemsValue?: unknown;
}

/** A list page whose items are parsed one at a time, as the job consumes them. */
export interface ListPage {
  continueToken: string | undefined;
  count: number;
  /** Parses item `index`; throws a `ProtocolError` when it is not an object with `metadata.name`. */
  item(index: number): KubeObject;
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
 * that is not a well-formed JSON object (the caller then falls back to
 * `JSON.parse`, which reports the error). Items themselves are validated when
 * they are parsed. Duplicate keys keep the last value, as `JSON.parse` does.
 */
export function scanListPage(bytes: Buffer): ScannedPage | undefined {
  try {
    return scan(bytes);
  } catch (error) {
    if (error instanceof ScanError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function scan(b: Buffer): ScannedPage {
  let i = skipWs(b, 0);
  if (b[i] !== OPEN_BRACE) throw new ScanError();
  i = skipWs(b, i + 1);
  const page: ScannedPage = { metadata: undefined, items: undefined };
  // Where the `items` array read so far starts: a later duplicate `items` key replaces it, unparsed,
  // so it is validated then (JSON.parse would have rejected the whole page for it).
  let itemsStart = -1;
  let itemsEnd = -1;
  const supersede = () => {
    if (itemsStart >= 0) JSON.parse(b.toString('utf8', itemsStart, itemsEnd));
    itemsStart = -1;
  };
  if (b[i] === CLOSE_BRACE) return end(b, i + 1, page);
  for (;;) {
    if (b[i] !== QUOTE) throw new ScanError();
    const keyEnd = skipString(b, i);
    const key = decodeKey(b, i, keyEnd);
    i = skipWs(b, keyEnd);
    if (b[i] !== COLON) throw new ScanError();
    i = skipWs(b, i + 1);
    if (key === 'items' && b[i] === OPEN_BRACKET) {
      supersede();
      itemsStart = i;
      const items: number[] = [];
      i = skipWs(b, i + 1);
      if (b[i] === CLOSE_BRACKET) i++;
      else {
        for (;;) {
          const start = i;
          i = skipValue(b, i);
          items.push(start, i);
          i = skipWs(b, i);
          if (b[i] === COMMA) {
            i = skipWs(b, i + 1);
            continue;
          }
          if (b[i] !== CLOSE_BRACKET) throw new ScanError();
          i++;
          break;
        }
      }
      itemsEnd = i;
      page.items = items;
      delete page.itemsValue;
    } else {
      const start = i;
      i = skipValue(b, i);
      // Small values (kind, apiVersion, metadata): parsed, which also validates them as JSON does.
      const value: unknown = JSON.parse(b.toString('utf8', start, i));
      if (key === 'metadata') page.metadata = value;
      else if (key === 'items') {
        supersede();
        page.items = undefined;
        page.itemsValue = value;
      }
    }
    i = skipWs(b, i);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] === CLOSE_BRACE) return end(b, i + 1, page);
    throw new ScanError();
  }
}

/** Only whitespace may follow the object. */
function end(b: Buffer, i: number, page: ScannedPage): ScannedPage {
  if (skipWs(b, i) !== b.length) throw new ScanError();
  return page;
}

/** A key as JSON.parse reads it: escapes (`"it\u0065ms"`) decoded. */
function decodeKey(b: Buffer, start: number, end: number): string {
  const raw = b.toString('utf8', start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(b.toString('utf8', start, end)) as string) : raw;
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
    else if (c !== undefined && c < 0x20) throw new ScanError(); // control characters must be escaped
  }
  throw new ScanError();
}

/**
 * From the first byte of a value (an item, or another top-level value) to just
 * past it. Only nesting and string boundaries matter here: the value's
 * contents are checked by `JSON.parse` when it is read, so strings inside an
 * object or array are skipped with `skipStringFast`.
 */
function skipValue(b: Buffer, i: number): number {
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    const length = b.length;
    for (let j = i; j < length; j++) {
      const c = b[j];
      if (c === QUOTE) {
        j = skipStringFast(b, j) - 1;
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

/** Strings shorter than this are walked in JS; a longer one's end is found with `indexOf` (a native call costs more than a few bytes of loop). */
const SHORT_STRING = 16;

/**
 * From an opening quote to just past the closing one, without checking what
 * is between: the closing quote is the first `"` preceded by an even number of
 * backslashes (an odd number escapes it).
 */
function skipStringFast(b: Buffer, i: number): number {
  let j = i + 1;
  const short = Math.min(b.length, j + SHORT_STRING);
  for (; j < short; j++) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  // Here j starts a character (the loop stepped over whole escapes), so a run of backslashes from j on is
  // made of escapes of its own: the quote after it is escaped when the run is odd.
  for (;;) {
    const q = b.indexOf(QUOTE, j);
    if (q === -1) throw new ScanError();
    let backslashes = 0;
    for (let k = q - 1; k >= j && b[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1; // the escaped quote ended an escape: the next byte starts a character
  }
}

/**
 * Reads a list response into a `ListPage`, or throws a `ProtocolError` that
 * names the request and what is wrong with the answer.
 */
export function readListPage(body: Buffer, request: RequestDescription, scrub: (text: string) => string = (t) => t): ListPage {
  const where = describeRequest(request);
  // JSON.parse quotes the text it choked on: the server's text, so it is scrubbed of credentials.
  const invalid = (what: string) =>
    new ProtocolError(`${where}: the server's answer is not a valid list: ${scrub(what).slice(0, 300)}`);
  let metadata: unknown;
  let itemAt: (index: number) => unknown;
  let count: number;
  const scanned = scanListPage(body);
  if (scanned?.items !== undefined) {
    const ranges = scanned.items;
    metadata = scanned.metadata;
    count = ranges.length / 2;
    itemAt = batchReader(body, ranges, (index, error) =>
      invalid(`items[${index}] is not valid JSON (${jsonErrorMessage(error)})`),
    );
  } else {
    // Not the shape the scanner reads: parse it whole, to say what is wrong (or read it, if the scanner was too strict).
    let list: unknown;
    try {
      list = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw invalid(`not JSON (${jsonErrorMessage(error)})`);
    }
    if (typeof list !== 'object' || list === null || Array.isArray(list)) throw invalid('not a JSON object');
    // `null` is how Go writes an empty slice: an empty page, not a malformed one.
    const items = (list as { items?: unknown }).items === null ? [] : (list as { items?: unknown }).items;
    if (!Array.isArray(items))
      throw invalid(items === undefined ? 'it has no items' : `items is ${describe(items)}, not an array`);
    metadata = (list as { metadata?: unknown }).metadata;
    count = items.length;
    itemAt = (index) => items[index];
  }
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw invalid(`metadata is ${describe(metadata)}, not an object`);
  }
  const next = (metadata as { continue?: unknown } | undefined)?.continue;
  if (next !== undefined && typeof next !== 'string') throw invalid(`metadata.continue is ${describe(next)}, not a string`);
  return {
    continueToken: next || undefined,
    count,
    item(index) {
      const item = itemAt(index);
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`items[${index}] is ${describe(item)}`);
      const meta = (item as KubeObject).metadata as unknown;
      if (typeof meta !== 'object' || meta === null || typeof (meta as { name?: unknown }).name !== 'string') {
        throw invalid(`items[${index}] has no metadata.name`);
      }
      return item as KubeObject;
    },
  };
}

/** Items parsed per `JSON.parse` call. */
export const PARSE_BATCH = 16;

/** Marks a batch slot whose item was handed out (so the batch does not keep it alive). */
const TAKEN = Symbol('taken');

/**
 * `itemAt(index)` for items at `ranges`, parsed `PARSE_BATCH` at a time as
 * `[item,item,...]` (the text between two items is a comma and whitespace, as
 * the scanner checked, so the batch is exactly those items). When a batch does
 * not parse, its items are parsed one by one: the items before the bad one are
 * still read, and the error names the bad item, as with one parse per item.
 */
function batchReader(
  body: Buffer,
  ranges: readonly number[],
  invalid: (index: number, error: unknown) => Error,
): (index: number) => unknown {
  const count = ranges.length / 2;
  let batch: unknown[] = [];
  let batchStart = 0;
  let singleUntil = 0; // items below this index are parsed one by one (their batch did not parse)
  const one = (index: number) => {
    try {
      return JSON.parse(body.toString('utf8', ranges[2 * index], ranges[2 * index + 1]));
    } catch (error) {
      throw invalid(index, error);
    }
  };
  return (index) => {
    const slot = index - batchStart;
    if (slot >= 0 && slot < batch.length && batch[slot] !== TAKEN) {
      const item = batch[slot];
      batch[slot] = TAKEN;
      return item;
    }
    if (index < singleUntil || (slot >= 0 && slot < batch.length)) return one(index);
    const end = Math.min(count, index + PARSE_BATCH);
    try {
      const parsed: unknown = JSON.parse(`[${body.toString('utf8', ranges[2 * index], ranges[2 * end - 1])}]`);
      if (!Array.isArray(parsed) || parsed.length !== end - index) throw new SyntaxError('batch is not its items');
      batch = parsed;
      batchStart = index;
    } catch {
      batch = [];
      singleUntil = end;
      return one(index);
    }
    const item = batch[0];
    batch[0] = TAKEN;
    return item;
  };
}

/**
 * `JSON.parse`'s message without the text it quotes (`Unexpected token 'x', "...abc..." is not valid JSON`):
 * that text is the server's, and a fragment of a token there would escape the scrubbing of whole tokens.
 */
export function jsonErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const head = message.split(/, |"/)[0]?.trim() ?? '';
  const position = /at position \d+/.exec(message)?.[0];
  return position && !head.includes(position) ? `${head} ${position}` : head;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
