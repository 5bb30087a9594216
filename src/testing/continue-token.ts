/**
 * List continue tokens in the API server's format (base64url JSON
 * `{ v, rv, start }`), and its error for a token it cannot read.
 */
export function encodeToken(resourceVersion: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start })).toString('base64url');
}

/** The start key of a token, or the API server's message for why it is not valid. */
export function decodeToken(token: string): { start: string } | { error: string } {
  const invalid = (why: string) => ({ error: `invalid continue token: continue key is not valid: ${why}` });
  const bad = /[^A-Za-z0-9_-]/.exec(token);
  if (bad || token.length % 4 === 1) return invalid(`illegal base64 data at input byte ${bad ? bad.index : token.length - 1}`);
  const bytes = Buffer.from(token, 'base64url');
  let value: { v?: unknown; start?: unknown };
  try {
    value = JSON.parse(bytes.toString('utf8')) as typeof value;
  } catch {
    const first = bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) ?? 0;
    const shown = first >= 0x20 && first < 0x7f ? String.fromCharCode(first) : `\\u${first.toString(16).padStart(4, '0')}`;
    return invalid(`invalid character '${shown}' looking for beginning of value`);
  }
  if (value.v !== 'meta.k8s.io/v1' || typeof value.start !== 'string') {
    return invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { start: value.start };
}

/** The inconsistent-continue token of a 410: same position, the current resourceVersion. */
export function reissueToken(token: string, resourceVersion: number): string | undefined {
  const decoded = decodeToken(token);
  return 'start' in decoded ? encodeToken(resourceVersion, decoded.start) : undefined;
}
