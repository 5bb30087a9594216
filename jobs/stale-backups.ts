/**
 * stale-backups: checks Velero in the `velero` namespace. Reports Schedules whose
 * last completed Backup is older than expected, and Backups that failed or partly
 * failed recently, and records a Warning Event on each object it reports, so
 * `kubectl describe schedule ...` and event exporters show it. Under --dry-run the
 * Events are sent with dryRun=All (and logged as "would create").
 *
 * Environment:
 * - `MAX_BACKUP_AGE_HOURS`: how old a schedule's newest completed backup may be
 *   (default 26: a daily schedule plus two hours). A Schedule can set its own with
 *   the annotation `kubepoll.io/max-backup-age-hours`.
 * - `FAILED_LOOKBACK_HOURS`: how far back failed backups are reported (default 24).
 *
 * Velero runs in the `velero` namespace by default; if yours differs, change
 * VELERO_NAMESPACE below (it is also what the job declares, and so what RBAC grants).
 */
import { createHash } from 'node:crypto';
import { defineJob, type KubeObject, type RunContext } from 'kubepoll';

const VELERO_NAMESPACE = 'velero';
const backups = { group: 'velero.io', version: 'v1', plural: 'backups', namespaced: true };
const schedules = { group: 'velero.io', version: 'v1', plural: 'schedules', namespaced: true };
const events = { group: '', version: 'v1', plural: 'events', namespaced: true };
const FAILED_PHASES = new Set(['Failed', 'PartiallyFailed', 'FailedValidation']);

interface Backup extends KubeObject {
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string> };
  status?: { phase?: string; startTimestamp?: string; completionTimestamp?: string; failureReason?: string; errors?: number };
}

interface Problem {
  kind: 'Schedule' | 'Backup';
  name: string;
  uid: string | undefined;
  reason: 'BackupStale' | 'BackupFailed';
  message: string;
}

function hoursFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number of hours, got "${process.env[name]}"`);
  return value;
}

export default defineJob({
  schedule: '15 * * * *',
  timeoutSeconds: 120,
  resources: [
    { ...backups, verbs: ['list'], namespaces: [VELERO_NAMESPACE] },
    { ...schedules, verbs: ['list'], namespaces: [VELERO_NAMESPACE] },
    { ...events, verbs: ['create'], namespaces: [VELERO_NAMESPACE] },
  ],
  async run(ctx) {
    const maxAgeHours = hoursFromEnv('MAX_BACKUP_AGE_HOURS', 26);
    const lookbackHours = hoursFromEnv('FAILED_LOOKBACK_HOURS', 24);
    const now = Date.now();
    const newestCompleted = new Map<string, number>();
    const problems: Problem[] = [];

    for await (const item of ctx.list(backups, { namespace: VELERO_NAMESPACE })) {
      const backup = item as Backup;
      const phase = backup.status?.phase;
      const finished = Date.parse(backup.status?.completionTimestamp ?? backup.status?.startTimestamp ?? '');
      const scheduleName = backup.metadata.labels?.['velero.io/schedule-name'];
      if (phase === 'Completed' && scheduleName && Number.isFinite(finished)) {
        newestCompleted.set(scheduleName, Math.max(newestCompleted.get(scheduleName) ?? 0, finished));
      }
      if (phase && FAILED_PHASES.has(phase) && Number.isFinite(finished) && now - finished <= lookbackHours * 3600_000) {
        const why =
          backup.status?.failureReason ?? (backup.status?.errors ? `${backup.status.errors} errors` : 'no reason given');
        problems.push({
          kind: 'Backup',
          name: backup.metadata.name,
          uid: backup.metadata.uid,
          reason: 'BackupFailed',
          message: `Backup ${phase}: ${why}`,
        });
      }
    }

    let checked = 0;
    for await (const schedule of ctx.list(schedules, { namespace: VELERO_NAMESPACE })) {
      checked++;
      const name = schedule.metadata?.name as string;
      const annotated = Number(
        (schedule.metadata?.annotations as Record<string, string> | undefined)?.['kubepoll.io/max-backup-age-hours'],
      );
      const allowedHours = Number.isFinite(annotated) && annotated > 0 ? annotated : maxAgeHours;
      const newest = newestCompleted.get(name);
      const ageHours = newest === undefined ? Number.POSITIVE_INFINITY : (now - newest) / 3600_000;
      if (ageHours > allowedHours) {
        const last = newest === undefined ? 'no completed backup at all' : `last completed backup ${ageHours.toFixed(1)}h ago`;
        problems.push({
          kind: 'Schedule',
          name,
          uid: schedule.metadata?.uid as string | undefined,
          reason: 'BackupStale',
          message: `${last}; expected within ${allowedHours}h`,
        });
      }
    }

    for (const problem of problems) {
      ctx.log.warn({ object: `${problem.kind}/${problem.name}`, reason: problem.reason }, problem.message);
      await recordEvent(ctx, problem, now);
    }
    return {
      schedulesChecked: checked,
      stale: problems.filter((p) => p.reason === 'BackupStale').map((p) => p.name),
      failed: problems.filter((p) => p.reason === 'BackupFailed').map((p) => p.name),
    };
  },
});

/** One Warning Event per object, reason and day: a repeat within the day is already recorded (409) and skipped. */
async function recordEvent(ctx: RunContext, problem: Problem, now: number) {
  const day = new Date(now).toISOString().slice(0, 10);
  const suffix = createHash('sha256')
    .update(`${problem.kind}/${problem.name}/${problem.reason}/${day}`)
    .digest('hex')
    .slice(0, 10);
  const timestamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${problem.name}.kubepoll-${suffix}`, namespace: VELERO_NAMESPACE },
    involvedObject: {
      apiVersion: 'velero.io/v1',
      kind: problem.kind,
      name: problem.name,
      namespace: VELERO_NAMESPACE,
      ...(problem.uid ? { uid: problem.uid } : {}),
    },
    reason: problem.reason,
    message: problem.message,
    type: 'Warning',
    source: { component: 'kubepoll-stale-backups' },
    reportingComponent: 'kubepoll.io/stale-backups',
    reportingInstance: ctx.runId,
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    count: 1,
  };
  try {
    await ctx.create(events, event, { namespace: VELERO_NAMESPACE });
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
    ctx.log.debug({ event: event.metadata.name }, 'event already recorded today');
  }
}
