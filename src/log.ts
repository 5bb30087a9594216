import pino, { type DestinationStream, type Logger } from 'pino';
import { KubepollError } from './errors.js';
import { redactFields, type SecretSet } from './redact.js';

export type { Logger } from 'pino';
export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; default stdout (written synchronously, so the last line survives `process.exit`). */
  stream?: DestinationStream;
  /** Colour the level in pretty output (the CLI sets it for a terminal without NO_COLOR). */
  colour?: boolean;
  /** Credentials to scrub from every line (the run's tokens, as they are read). */
  secrets?: SecretSet;
}

/**
 * The only place pino is configured. JSON lines with `level` as a label and an
 * ISO `time`; no pid or hostname (the pod already says where it ran). Fields
 * that hold credentials are redacted at any depth (`redactFields`), and every
 * line is scrubbed of the run's known credentials before it is written.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const json = options.stream ?? pino.destination({ fd: 1, sync: true });
  const scrubbed = options.secrets ? scrubStream(json, options.secrets) : json;
  const stream = options.format === 'pretty' ? prettyStream(scrubbed, options.colour ?? false) : scrubbed;
  return pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactFields(object) as Record<string, unknown>,
      },
      serializers: { err: serializeError },
    },
    stream,
  );
}

/**
 * `logger` whose children redact their bindings as log lines are redacted
 * (`ctx.log.child({ headers })` must not print an Authorization header); pino
 * hands bindings to no formatter a child could use, so `child` is wrapped.
 */
export function redactingChildren(logger: Logger): Logger {
  const child = logger.child.bind(logger);
  const wrapped = (bindings: Record<string, unknown>, options?: Parameters<Logger['child']>[1]) =>
    redactingChildren(child(redactFields(bindings) as Record<string, unknown>, options) as unknown as Logger);
  logger.child = wrapped as unknown as Logger['child'];
  return logger;
}

/**
 * A logger that writes whatever the level: the `run finished` line is the run's
 * result, not chatter, so `--log-level error` (or `silent`) still shows it.
 */
export function alwaysLogger(logger: Logger): Logger {
  return logger.child({}, { level: 'trace' });
}

/** Errors in log lines: type, message and the API fields; a stack only for errors that are not kubepoll's own. */
export function serializeError(value: unknown): Record<string, unknown> {
  if (!(value instanceof Error)) return { message: String(value) };
  const out: Record<string, unknown> = { type: value.name, message: value.message };
  for (const key of ['code', 'status', 'reason', 'verb', 'resource', 'namespace', 'objectName', 'errno'] as const) {
    const field = (value as unknown as Record<string, unknown>)[key];
    if (field !== undefined && typeof field !== 'function') out[key] = field;
  }
  if (!(value instanceof KubepollError) && value.stack) out.stack = value.stack;
  return out;
}

const LEVEL_COLOURS: Record<string, string> = {
  fatal: '\x1b[41m',
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  debug: '\x1b[36m',
  trace: '\x1b[90m',
};

/** A small human format: `12:00:01.123 INFO  [job] message key=value ...`. */
export function formatPretty(line: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, job, runId, ...rest } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const label = String(level ?? '')
    .toUpperCase()
    .padEnd(5);
  const tag = colour ? `${LEVEL_COLOURS[String(level)] ?? ''}${label}\x1b[0m` : label;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${clock} ${tag} [${job ?? 'kubepoll'}] ${msg ?? ''}${fields ? ` ${fields}` : ''}\n`;
}

function scrubStream(out: DestinationStream, secrets: SecretSet): DestinationStream {
  return {
    write(chunk: string) {
      out.write(secrets.size === 0 ? chunk : secrets.scrub(chunk));
    },
  };
}

function prettyStream(out: DestinationStream, colour: boolean): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(formatPretty(line, colour));
    },
  };
}
