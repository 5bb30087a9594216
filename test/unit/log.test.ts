import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createLogger, formatPretty, serializeError } from '../../src/log.js';
import { SecretSet } from '../../src/redact.js';
import { captureLogs } from '../support/log-capture.js';

describe('logs', () => {
  it('writes JSON lines with a level label and never a token or Authorization header', () => {
    const { logger, lines, text } = captureLogs();
    logger.info(
      { token: 'abc123', headers: { authorization: 'Bearer abc123' }, request: { authorization: 'Bearer abc123' } },
      'hello',
    );
    expect(lines()[0]).toMatchObject({ level: 'info', msg: 'hello', token: '[redacted]' });
    expect(text()).not.toContain('abc123');
  });

  it('serialises kubepoll errors without a stack, and job errors with one', () => {
    expect(serializeError(new ConfigError('no config'))).toEqual({ type: 'ConfigError', message: 'no config', code: 'CONFIG' });
    expect(serializeError(new Error('boom')).stack).toMatch(/^Error: boom/);
  });

  it('formats a line for humans', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-11-30T10:11:12.345Z',
      job: 'j',
      runId: 'r',
      msg: 'careful',
      n: 2,
      s: 'x',
    });
    expect(formatPretty(line, false)).toBe('10:11:12.345 WARN  [j] careful n=2 s=x\n');
  });

  it('keeps every credential a job logs out of the written line: nested, in headers, in arrays, in the message', () => {
    const written: string[] = [];
    const secrets = new SecretSet();
    secrets.add('Bearer run-token-0123456789');
    const logger = createLogger({ stream: { write: (line: string) => written.push(line) }, secrets });
    const request = { headers: { authorization: 'Bearer header-secret-1' } };
    logger.info(
      {
        a: { b: { token: 'nested-secret-2' } },
        request,
        attempts: [request, { headers: { Authorization: 'Bearer header-secret-3' } }, { user: { password: 'pw-secret-4' } }],
      },
      'the server said: invalid token run-token-0123456789, and again run-token-0123456789',
    );
    expect(written).toHaveLength(1);
    const line = written[0] as string;
    for (const secret of ['run-token-0123456789', 'header-secret-1', 'nested-secret-2', 'header-secret-3', 'pw-secret-4']) {
      expect(line).not.toContain(secret);
    }
    // Still one JSON line saying what happened, with the structure kept.
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      msg: 'the server said: invalid token [redacted], and again [redacted]',
      a: { b: { token: '[redacted]' } },
      request: { headers: { authorization: '[redacted]' } },
      attempts: [
        { headers: { authorization: '[redacted]' } },
        { headers: { Authorization: '[redacted]' } },
        { user: { password: '[redacted]' } },
      ],
    });
  });

  it('scrubs a credential learnt after the logger was made (a rotated token)', () => {
    const written: string[] = [];
    const secrets = new SecretSet();
    const logger = createLogger({ stream: { write: (line: string) => written.push(line) }, secrets });
    logger.info('before new-token-abcdefgh');
    secrets.add('Bearer new-token-abcdefgh');
    logger.info({ echoed: 'x new-token-abcdefgh y' }, 'after');
    expect(written[0]).toContain('new-token-abcdefgh');
    expect(written[1]).not.toContain('new-token-abcdefgh');
    expect(JSON.parse(written[1] as string)).toMatchObject({ echoed: 'x [redacted] y' });
  });
});

describe('what a job logs, redacted (second look)', () => {
  it("a Secret's data, credential-named fields, and child logger bindings never reach the line", async () => {
    const { captureLogs } = await import('../support/log-capture.js');
    const { redactingChildren } = await import('../../src/log.js');
    const logs = captureLogs();
    const log = redactingChildren(logs.logger);
    log.info(
      { object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { 'tls.key': 'S0VZLURBVEE=' } } },
      'read',
    );
    log.info({ apiKey: 'ak-1234', client_secret: 'cs-5678', privateKey: 'pk-9', passwd: 'pw-0' }, 'fields');
    log.child({ headers: { authorization: 'Bearer child-binding-token' } }).info('from a child');
    log.child({ a: 1 }).child({ password: 'grandchild-pass' }).info('from a grandchild');
    const text = logs.text();
    for (const secret of ['S0VZLURBVEE=', 'ak-1234', 'cs-5678', 'pk-9', 'pw-0', 'child-binding-token', 'grandchild-pass']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('tls.key'); // the key stays, so the line still says what it was
  });
});
