import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import type { SecretSet } from '../../src/redact.js';

/** A JSON logger whose lines a test can read back (scrubbed of `secrets`, as the CLI's are). */
export function captureLogs(secrets?: SecretSet): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', stream, ...(secrets ? { secrets } : {}) }),
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw.join('\n'),
  };
}
