import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Gunzipper } from '../../src/gunzip.js';

const MAX = 8 * 1024 * 1024;
const text = (n: number) => Buffer.from(JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ name: `item-${i}` })) }));

/** What zlib's own one-shot gunzip makes of `input`: the bytes, or the error code. */
function reference(input: Buffer): Buffer | string {
  try {
    return gunzipSync(input, { maxOutputLength: MAX });
  } catch (error) {
    return (error as { code: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? 'UND_ERR_RES_EXCEEDED_MAX_SIZE'
      : (error as { code: string }).code;
  }
}

async function actual(gunzipper: Gunzipper, input: Buffer): Promise<Buffer | string> {
  try {
    return await gunzipper.inflate(input, MAX);
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('Gunzipper: one reused zlib stream, the same answers as a fresh one each time', () => {
  it('answer after answer, good and bad mixed: each reads as zlib alone reads it, and a bad one spoils no later one', async () => {
    const good = (n: number) => gzipSync(text(n), { level: 1 });
    const two = Buffer.concat([good(3), good(5)]); // two members: one gzip file may hold several
    const cases: Buffer[] = [
      good(10),
      good(2000),
      Buffer.concat([good(20).subarray(0, 10), Buffer.from('not deflate'), good(20).subarray(21)]), // corrupt
      good(30),
      good(400).subarray(0, 300), // cut off
      good(40),
      two,
      good(50),
      Buffer.concat([good(60), Buffer.from('trailing bytes')]),
      good(70),
      Buffer.concat([good(80), Buffer.from([0x1f, 0x8b, 8, 0])]), // the start of a member that never comes
      good(90),
      gzipSync(Buffer.alloc(MAX + 1, 0x20)), // inflates past the cap
      good(100),
    ];
    const gunzipper = new Gunzipper();
    const seen: (Buffer | string)[] = [];
    for (const input of cases) {
      const want = reference(input);
      const got = await actual(gunzipper, input);
      seen.push(got);
      if (typeof want === 'string') expect(got, `${want} expected`).toBe(want);
      else expect(Buffer.isBuffer(got) && got.equals(want), 'the same bytes as zlib alone').toBe(true);
    }
    gunzipper.close();
    // Both kinds were there: the comparison is not one-sided.
    expect(seen.filter((s) => typeof s === 'string').length).toBeGreaterThanOrEqual(3);
    expect(seen.filter(Buffer.isBuffer).length).toBeGreaterThanOrEqual(9);
  });

  it('answers inflating at the same time each get their own bytes', async () => {
    const gunzipper = new Gunzipper();
    const inputs = Array.from({ length: 12 }, (_, i) => text(100 * (i + 1)));
    const outputs = await Promise.all(inputs.map((t) => gunzipper.inflate(gzipSync(t), MAX)));
    expect(outputs.map((out, i) => out.equals(inputs[i] as Buffer))).toEqual(inputs.map(() => true));
    gunzipper.close();
  });

  it('no bytes at all are an empty answer', async () => {
    expect((await new Gunzipper().inflate(Buffer.alloc(0), MAX)).length).toBe(0);
  });
});
