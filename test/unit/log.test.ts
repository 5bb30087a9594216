import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { formatPretty, serializeError } from '../../src/log.js';
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
});
