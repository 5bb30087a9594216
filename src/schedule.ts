import { CronExpressionParser } from 'cron-parser';

const FIELDS_5 = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const FIELDS_6 = ['second', ...FIELDS_5];

/**
 * Checks a cron expression: 5 fields (minute hour day-of-month month day-of-week),
 * 6 with a leading seconds field, or a macro such as `@hourly`. Returns a problem
 * that names the bad field, or `undefined` when it parses.
 */
export function scheduleProblem(schedule: string, timeZone?: string): string | undefined {
  const trimmed = schedule.trim();
  if (!trimmed.startsWith('@')) {
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      return `schedule "${schedule}" has ${fields.length} fields; expected 5 (${FIELDS_5.join(' ')}) or 6 with seconds first`;
    }
    const error = parseError(trimmed, timeZone);
    if (error === undefined) return undefined;
    const names = fields.length === 5 ? FIELDS_5 : FIELDS_6;
    const bad = fields.findIndex(
      (_, i) => parseError(fields.map((f, j) => (i === j ? '*' : f)).join(' '), timeZone) === undefined,
    );
    const where = bad >= 0 ? ` in the ${names[bad]} field "${fields[bad]}"` : '';
    return `schedule "${schedule}" is invalid${where}: ${error}`;
  }
  const error = parseError(trimmed, timeZone);
  return error === undefined ? undefined : `schedule "${schedule}" is invalid: ${error}`;
}

function parseError(expression: string, timeZone: string | undefined): string | undefined {
  try {
    CronExpressionParser.parse(expression, timeZone === undefined ? {} : { tz: timeZone }).next();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** True when `zone` is an IANA time zone this Node.js knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` run times of a schedule after `from`, in its time zone (default `Etc/UTC`). */
export function nextRuns(schedule: string, timeZone: string | undefined, from: Date, count: number): Date[] {
  const expression = CronExpressionParser.parse(schedule.trim(), { tz: timeZone ?? 'Etc/UTC', currentDate: from });
  return Array.from({ length: count }, () => expression.next().toDate());
}
