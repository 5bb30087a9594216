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
    // Basic auth: the password a server might echo is the decoded one.
    if (/^Basic\s+/i.test(value)) {
      const password = Buffer.from(credential, 'base64').toString('utf8').split(':').slice(1).join(':');
      if (password.length >= 8) this.#values.add(password);
    }
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
  'passwd',
  'passphrase',
  'secret',
  'clientsecret',
  'apikey',
  'privatekey',
  'credentials',
  'clientkeydata',
  'clientkey',
]);

/** A Kubernetes Secret: its `data` and `stringData` values are credentials whatever their keys are called. */
function isSecretObject(value: object): boolean {
  const v = value as { kind?: unknown; apiVersion?: unknown };
  return v.kind === 'Secret' && (v.apiVersion === undefined || v.apiVersion === 'v1');
}

/** What a credential field shows: `[redacted]`, or for a Secret's data its keys with each value redacted. */
function redactedValue(holder: object, key: string, item: unknown): unknown {
  if (isSensitiveKey(key) || typeof item !== 'object' || item === null || !isSecretObject(holder)) return REDACTED;
  return Object.fromEntries(Object.keys(item).map((k) => [k, REDACTED]));
}

/** Whether the field `key` of `holder` holds a credential (by its name, or as a Secret's data). */
function isCredentialField(holder: object, key: string, item: unknown): boolean {
  if (item === undefined || item === null) return false;
  return isSensitiveKey(key) || ((key === 'data' || key === 'stringData') && isSecretObject(holder));
}

/** True when a field of this name holds a credential. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** How deep the walk goes: an object nested deeper, that would need checking, is replaced by `TOO_DEEP`. */
export const MAX_REDACT_DEPTH = 32;
/** What replaces an object nested deeper than `MAX_REDACT_DEPTH`: unchecked, so not printed. */
export const TOO_DEEP = '[too deep]';

/**
 * `value` with sensitive fields replaced at any depth (objects and arrays), or
 * `value` itself when nothing needs redacting (no copy on the common path).
 * When something does, every object on the way to it is copied, once: an
 * object referenced twice, or through a cycle, is redacted at every place (the
 * copy's cycle leads to the copy, never back to the original). Errors are left
 * to the error serializer; Buffers, typed arrays and objects without fields of
 * their own (Date, Map) are kept as they are.
 */
export function redactFields(value: unknown): unknown {
  return redactCopy(value, 0, new Map());
}

function redactCopy(value: unknown, depth: number, copies: Map<object, unknown>): unknown {
  if (!isWalked(value)) return value;
  if (copies.has(value)) return copies.get(value);
  if (!needsRedaction(value, depth, new WeakSet())) return value;
  if (depth >= MAX_REDACT_DEPTH) return TOO_DEEP;
  const out: Record<string, unknown> = Array.isArray(value) ? ([] as unknown as Record<string, unknown>) : {};
  copies.set(value, out);
  for (const [key, item] of Object.entries(value)) {
    out[key] = isCredentialField(value, key, item) ? redactedValue(value, key, item) : redactCopy(item, depth + 1, copies);
  }
  return out;
}

/** Whether anything reachable from `value` is a sensitive field with a value (or too deep to tell). */
function needsRedaction(value: unknown, depth: number, seen: WeakSet<object>): boolean {
  if (!isWalked(value) || seen.has(value)) return false;
  if (depth >= MAX_REDACT_DEPTH) return true;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    if (isCredentialField(value, key, item)) return true;
    if (needsRedaction(item, depth + 1, seen)) return true;
  }
  return false;
}

/** Objects and arrays whose fields are walked; not Errors (the serializer's) nor binary data. */
function isWalked(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && !ArrayBuffer.isView(value);
}
