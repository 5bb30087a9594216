/**
 * stale-backups: checks Velero. Reports Schedules whose last completed Backup
 * is older than expected, and Backups that failed or partly failed recently,
 * and records a Warning Event (events.k8s.io/v1) on each object it reports, so
 * `kubectl events` and event exporters show it. Under --dry-run the Events are
 * sent with dryRun=All (and logged as "would record").
 *
 * Settings (environment, or `--set`):
 * - `VELERO_NAMESPACE`: where Velero runs (default `velero`); it is also what the
 *   job declares, so `kubepoll manifests --set VELERO_NAMESPACE=...` grants that one.
 * - `MAX_BACKUP_AGE_HOURS`: how old a schedule's newest completed backup may be
 *   (default 26: a daily schedule plus two hours). A Schedule can set its own with
 *   the annotation `kubepoll.io/max-backup-age-hours`.
 * - `FAILED_LOOKBACK_HOURS`: how far back failed backups are reported (default 24).
 */
import { defineJob } from 'kubepoll';
import { backups, schedules } from './types/velero.ts';

const events = { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true };
const FAILED_PHASES = new Set(['Failed', 'PartiallyFailed', 'FailedValidation']);

function hours(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of hours, got "${value}"`);
  return n;
}

export default defineJob({
  name: 'stale-backups',
  schedule: '15 * * * *',
  timeoutSeconds: 120,
  settings: {
    VELERO_NAMESPACE: { description: 'the namespace Velero runs in', default: 'velero' },
    MAX_BACKUP_AGE_HOURS: { description: "how old a schedule's newest completed backup may be", default: '26' },
    FAILED_LOOKBACK_HOURS: { description: 'how far back failed backups are reported', default: '24' },
  },
  resources: ({ VELERO_NAMESPACE }) => [
    { ...backups, verbs: ['list'], namespaces: [VELERO_NAMESPACE] },
    { ...schedules, verbs: ['list'], namespaces: [VELERO_NAMESPACE] },
    { ...events, verbs: ['create'], namespaces: [VELERO_NAMESPACE] },
  ],
  async run(ctx) {
    const namespace = ctx.settings.VELERO_NAMESPACE;
    const maxAgeHours = hours('MAX_BACKUP_AGE_HOURS', ctx.settings.MAX_BACKUP_AGE_HOURS);
    const lookbackHours = hours('FAILED_LOOKBACK_HOURS', ctx.settings.FAILED_LOOKBACK_HOURS);
    const now = Date.now();
    const newestCompleted = new Map<string, number>();
    const stale: string[] = [];
    const failed: string[] = [];

    for await (const backup of ctx.list(backups, { namespace })) {
      const phase = backup.status?.phase;
      const finished = Date.parse(backup.status?.completionTimestamp ?? backup.status?.startTimestamp ?? '');
      const scheduleName = backup.metadata.labels?.['velero.io/schedule-name'];
      if (phase === 'Completed' && scheduleName && Number.isFinite(finished)) {
        newestCompleted.set(scheduleName, Math.max(newestCompleted.get(scheduleName) ?? 0, finished));
      }
      if (phase && FAILED_PHASES.has(phase) && Number.isFinite(finished) && now - finished <= lookbackHours * 3600_000) {
        const why =
          backup.status?.failureReason ?? (backup.status?.errors ? `${backup.status.errors} errors` : 'no reason given');
        failed.push(backup.metadata.name);
        ctx.log.warn({ object: `Backup/${backup.metadata.name}`, phase }, `backup ${phase}: ${why}`);
        await ctx.record(backup, { type: 'Warning', reason: 'BackupFailed', note: `Backup ${phase}: ${why}` });
      }
    }

    let checked = 0;
    for await (const schedule of ctx.list(schedules, { namespace })) {
      checked++;
      const name = schedule.metadata.name;
      const annotated = Number(schedule.metadata.annotations?.['kubepoll.io/max-backup-age-hours']);
      const allowedHours = Number.isFinite(annotated) && annotated > 0 ? annotated : maxAgeHours;
      const newest = newestCompleted.get(name);
      const ageHours = newest === undefined ? Number.POSITIVE_INFINITY : (now - newest) / 3600_000;
      if (ageHours > allowedHours) {
        const last = newest === undefined ? 'no completed backup at all' : `last completed backup ${ageHours.toFixed(1)}h ago`;
        stale.push(name);
        ctx.log.warn({ object: `Schedule/${name}` }, `${last}; expected within ${allowedHours}h`);
        await ctx.record(schedule, { type: 'Warning', reason: 'BackupStale', note: `${last}; expected within ${allowedHours}h` });
      }
    }
    return { schedulesChecked: checked, stale, failed };
  },
});
