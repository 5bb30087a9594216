/**
 * Keeping credentials out of every output. Two layers:
 * - `SecretSet`: the credential values a run has used (bearer tokens, basic
 *   auth). Every string a server supplies (Status messages, plain-text bodies,
 *   JSON parse snippets, `/version` fields) is scrubbed with it before it reaches
 *   an error or a log line, and the log stream scrubs each line once more, so a
 *   server that echoes the token back cannot make kubepoll print it.
 * - `redactFields`: fields whose name says they hold a credential are replaced,
 *   at any depth, in whatever a job passes to `ctx.log`.
 */

/** What a scrubbed credential is replaced with. */
export const REDACTED = '[redacted]';

/** Credentials seen by a run. Shared by the run's credentials, its log stream and its errors. */
export class SecretSet {
  readonly #values = new Set<string>();

  /** Adds a credential; an `Authorization` header value adds its credential part too. */
  add(value: string | undefined): void {
    if (value === undefined) return;
    const credential = value.replace(/^(Bearer|Basic)\s+/i, '');
    // Short values would scrub innocent text; a real token is far longer.
    if (credential.length >= 8) this.#values.add(credential);
  }

  get size(): number {
    return this.#values.size;
  }

  /** `text` with every known credential replaced by `[redacted]`. */
  scrub(text: string): string {
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  }
}

/** Field names (compared lower-case, without `-` and `_`) that hold a credential. */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'token',
  'bearertoken',
  'accesstoken',
  'idtoken',
  'refreshtoken',
  'password',
  'clientkeydata',
  'clientkey',
]);

/** True when a field of this name holds a credential. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * `value` with sensitive fields replaced at any depth (objects and arrays), or
 * `value` itself when nothing needs redacting (no copy on the common path).
 * Errors are left to the error serializer; cycles and depth beyond 20 stop the walk.
 */
export function redactFields(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Error || depth > 20) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = redactFields(item, depth + 1, seen);
      if (next !== item) {
        copy ??= [...value];
        copy[i] = next;
      }
    });
    return copy ?? value;
  }
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : redactFields(item, depth + 1, seen);
    if (next !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}
