/**
 * ttl-janitor: deletes objects of one custom resource, in every namespace, whose
 * `kubepoll.io/ttl` annotation (e.g. `30m`, `24h`, `7d`) has run out since their
 * `creationTimestamp`. Objects without the annotation are never touched; an
 * annotation that does not parse is reported and skipped. It lists metadata only
 * (names, annotations, timestamps: a fraction of the bytes of whole objects) and
 * deletes a few at a time. At most `JANITOR_MAX_DELETIONS` objects are deleted
 * per run; the rest waits for the next run. Under --dry-run the deletes are sent
 * with dryRun=All and logged as "would delete".
 *
 * Settings (environment, or `--set`):
 * - `JANITOR_RESOURCE`: `<plural>.<group>/<version>` of the resource to clean
 *   (default `pipelineruns.tekton.dev/v1`, Tekton PipelineRuns). It is also what
 *   the job declares: `kubepoll manifests --set JANITOR_RESOURCE=...` grants that
 *   resource and puts the same value in the CronJob's env.
 * - `JANITOR_MAX_DELETIONS`: deletions per run (default 50, at most 1000: the
 *   job's write budget, a safety rail that fails the run with exit 5).
 */
import { defineJob } from 'kubepoll';

const TTL_ANNOTATION = 'kubepoll.io/ttl';
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WRITE_BUDGET = 1000;

/** `pipelineruns.tekton.dev/v1` as a ref. */
export function targetResource(spec: string) {
  const match = /^([a-z0-9-]+)\.([a-z0-9.-]+)\/(v[0-9a-z]+)$/.exec(spec);
  if (!match)
    throw new Error(`JANITOR_RESOURCE must look like <plural>.<group>/<version>, e.g. pipelineruns.tekton.dev/v1; got "${spec}"`);
  const [, plural = '', group = '', version = ''] = match;
  return { group, version, plural, namespaced: true };
}

/** `90s`, `30m`, `24h`, `7d`, or a sum such as `1d12h`, in ms; `undefined` when it does not parse. */
export function parseTtl(text: string): number | undefined {
  if (!/^(\d+[smhd])+$/.test(text.trim())) return undefined;
  let total = 0;
  for (const [, n, unit] of text.trim().matchAll(/(\d+)([smhd])/g)) total += Number(n) * (UNIT_MS[unit as string] ?? 0);
  return total;
}

export default defineJob({
  name: 'ttl-janitor',
  schedule: '*/30 * * * *',
  timeoutSeconds: 600,
  settings: {
    JANITOR_RESOURCE: {
      description: '<plural>.<group>/<version> of the resource to clean',
      default: 'pipelineruns.tekton.dev/v1',
    },
    JANITOR_MAX_DELETIONS: { description: 'deletions per run', default: '50' },
  },
  resources: ({ JANITOR_RESOURCE }) => [{ ...targetResource(JANITOR_RESOURCE), verbs: ['list', 'delete'], namespaces: '*' }],
  limits: { writes: WRITE_BUDGET },
  async run(ctx) {
    const target = targetResource(ctx.settings.JANITOR_RESOURCE);
    const max = Number(ctx.settings.JANITOR_MAX_DELETIONS);
    if (!Number.isInteger(max) || max < 0 || max > WRITE_BUDGET) {
      throw new Error(
        `JANITOR_MAX_DELETIONS must be a whole number from 0 to ${WRITE_BUDGET}, got "${ctx.settings.JANITOR_MAX_DELETIONS}"`,
      );
    }
    const now = Date.now();
    const deleted: string[] = [];
    const invalid: string[] = [];
    let expiredLeft = 0;
    let checked = 0;
    let reserved = 0;
    await ctx.forEach(
      ctx.list(target, { allNamespaces: true, metadataOnly: true }),
      async ({ metadata: meta }) => {
        checked++;
        const { name, namespace = '' } = meta;
        const id = `${namespace}/${name}`;
        const ttlText = meta.annotations?.[TTL_ANNOTATION];
        if (ttlText === undefined) return;
        const ttl = parseTtl(ttlText);
        const created = Date.parse(meta.creationTimestamp);
        if (ttl === undefined || !Number.isFinite(created)) {
          invalid.push(id);
          ctx.log.warn({ object: id, annotation: ttlText }, `cannot read ${TTL_ANNOTATION}; use e.g. 30m, 24h or 7d`);
          return;
        }
        if (created + ttl > now) return;
        if (reserved >= max) {
          expiredLeft++;
          return;
        }
        reserved++; // taken before the await, so concurrent deletes never exceed max
        await ctx.delete(target, name, { namespace });
        deleted.push(id);
        ctx.log.info(
          { object: id, ttl: ttlText, created: meta.creationTimestamp },
          ctx.dryRun ? 'expired; would delete' : 'expired; deleted',
        );
      },
      { concurrency: 4 },
    );
    if (expiredLeft > 0) ctx.log.warn({ expiredLeft, max }, 'deletion limit reached; the rest waits for the next run');
    deleted.sort();
    return { checked, deleted, invalid, expiredLeft, dryRun: ctx.dryRun };
  },
});
