import { describe, expect, it } from 'vitest';
import { isSensitiveKey, MAX_REDACT_DEPTH, REDACTED, redactFields, SecretSet, TOO_DEEP } from '../../src/redact.js';

describe('SecretSet', () => {
  it('scrubs every occurrence of a credential', () => {
    const secrets = new SecretSet();
    secrets.add('tok-0123456789');
    expect(secrets.scrub('a tok-0123456789 b tok-0123456789tok-0123456789 c')).toBe('a [redacted] b [redacted][redacted] c');
  });

  it('keeps the credential part of an Authorization header value', () => {
    const secrets = new SecretSet();
    secrets.add('Bearer eyJhbGciOiJSUzI1NiJ9.payload');
    secrets.add('basic dXNlcjpwYXNzd29yZA==');
    // The bearer token, the basic credential, and its decoded password ("password").
    expect(secrets.size).toBe(3);
    // "Bearer" itself is not a secret: the prefix stays, the credential goes.
    expect(secrets.scrub('Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload')).toBe('Authorization: Bearer [redacted]');
    expect(secrets.scrub('got dXNlcjpwYXNzd29yZA== back')).toBe('got [redacted] back');
  });

  it('ignores values too short to be a credential (they would scrub innocent text), and undefined', () => {
    const secrets = new SecretSet();
    secrets.add('abc');
    secrets.add('Bearer 1234567'); // 7 characters after the prefix
    secrets.add(undefined);
    expect(secrets.size).toBe(0);
    expect(secrets.scrub('abc 1234567')).toBe('abc 1234567');
    secrets.add('12345678');
    expect(secrets.scrub('x12345678x')).toBe('x[redacted]x');
  });

  it('leaves text without a credential as it is', () => {
    const secrets = new SecretSet();
    secrets.add('tok-0123456789');
    expect(secrets.scrub('nothing to see')).toBe('nothing to see');
  });
});

describe('isSensitiveKey', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'token',
    'Token',
    'access_token',
    'accessToken',
    'ACCESS-TOKEN',
    'id_token',
    'refresh-token',
    'bearerToken',
    'password',
    'Password',
    'PASS_WORD',
    'client-key-data',
    'clientKeyData',
    'client_key',
    'cookie',
    'Set-Cookie',
  ])('%s holds a credential', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(['name', 'namespace', 'tokens', 'tokenFile', 'passwordSecretRef', 'client-certificate-data', 'auth', 'key'])(
    '%s does not',
    (key) => {
      expect(isSensitiveKey(key)).toBe(false);
    },
  );
});

describe('redactFields', () => {
  it('redacts at any depth, in objects and arrays', () => {
    const input = {
      a: { b: { token: 'T1' } },
      headers: { Authorization: 'Bearer T2', accept: 'application/json' },
      list: [{ request: { headers: { authorization: 'Bearer T3' } } }, 'plain', 7],
      user: { 'client-key-data': 'K', access_token: 'A', Password: 'P', name: 'alice' },
    };
    expect(redactFields(input)).toEqual({
      a: { b: { token: REDACTED } },
      headers: { Authorization: REDACTED, accept: 'application/json' },
      list: [{ request: { headers: { authorization: REDACTED } } }, 'plain', 7],
      user: { 'client-key-data': REDACTED, access_token: REDACTED, Password: REDACTED, name: 'alice' },
    });
  });

  it('redacts a whole object or array under a sensitive key', () => {
    expect(redactFields({ token: { value: 'x', expires: 1 }, cookie: ['a=1', 'b=2'] })).toEqual({
      token: REDACTED,
      cookie: REDACTED,
    });
  });

  it('does not touch its input', () => {
    const input = { a: { token: 'T' }, keep: { n: 1 } };
    const out = redactFields(input) as typeof input;
    expect(input.a.token).toBe('T');
    // What did not need redacting is shared, not copied.
    expect(out.keep).toBe(input.keep);
  });

  it('returns the very same object when nothing needs redacting', () => {
    const input = { a: { b: [1, { c: 'd' }] }, token: null, password: undefined };
    expect(redactFields(input)).toBe(input);
    const array = [{ x: 1 }, 'y'];
    expect(redactFields(array)).toBe(array);
  });

  it('leaves scalars, Errors, Buffers and Dates alone', () => {
    expect(redactFields('token')).toBe('token');
    expect(redactFields(42)).toBe(42);
    expect(redactFields(null)).toBe(null);
    const error = Object.assign(new Error('boom'), { token: 'from the error serializer' });
    expect(redactFields(error)).toBe(error);
    const withError = { err: error };
    expect(redactFields(withError)).toBe(withError);
    const buffer = Buffer.from('password');
    expect(redactFields({ body: buffer })).toEqual({ body: buffer });
    const at = new Date(0);
    const out = redactFields({ at, token: 'T' }) as { at: unknown };
    expect(out.at).toBe(at);
  });

  it('survives a cycle, and the cycle cannot lead back to the unredacted object', () => {
    const input: Record<string, unknown> = { token: 'T-cyclic', name: 'n' };
    input.self = input;
    input.nested = { parent: input };
    const out = redactFields(input) as Record<string, unknown>;
    expect(out.token).toBe(REDACTED);
    expect((out.self as Record<string, unknown>).token).toBe(REDACTED);
    expect(((out.nested as Record<string, unknown>).parent as Record<string, unknown>).token).toBe(REDACTED);
    expect(input.token).toBe('T-cyclic');

    const clean: Record<string, unknown> = { name: 'n' };
    clean.self = clean;
    expect(redactFields(clean)).toBe(clean);
  });

  it('redacts an object that is referenced twice, at both places', () => {
    const auth = { password: 'P-shared' };
    const out = redactFields({ before: auth, after: { auth } }) as { before: unknown; after: { auth: unknown } };
    expect(out.before).toEqual({ password: REDACTED });
    expect(out.after.auth).toEqual({ password: REDACTED });
  });

  it('never lets a credential through by nesting it deeper than the walk goes', () => {
    let deep: Record<string, unknown> = { token: 'T-deep' };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    expect(JSON.stringify(redactFields(deep))).not.toContain('T-deep');
    // What the walk could not check is not printed, secret or not; above that depth the fields stay.
    let harmless: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < MAX_REDACT_DEPTH; i++) harmless = { next: harmless };
    let out = redactFields(harmless) as Record<string, unknown>;
    for (let i = 0; i < MAX_REDACT_DEPTH - 1; i++) out = out.next as Record<string, unknown>;
    expect(out.next).toBe(TOO_DEEP);
    let shallow: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < MAX_REDACT_DEPTH - 1; i++) shallow = { next: shallow };
    expect(redactFields(shallow)).toBe(shallow);
  });
});

describe('second look', () => {
  it('Basic auth: the decoded password is scrubbed too, not only the base64 form', async () => {
    const { SecretSet } = await import('../../src/redact.js');
    const secrets = new SecretSet();
    secrets.add(`Basic ${Buffer.from('admin:correct-horse-battery').toString('base64')}`);
    expect(secrets.scrub('server says correct-horse-battery')).toBe('server says [redacted]');
  });

  it('table cells never carry a terminal escape sequence from a server', async () => {
    const { formatColumns } = await import('../../src/table.js');
    expect(formatColumns([['api', 'v1.37 \x1b]0;owned\x07\x1b[2J']])).toBe('api  v1.37 ?]0;owned??[2J\n');
  });
});
