/**
 * ttl-janitor: deletes objects of one custom resource, in every namespace, whose
 * `kubepoll.io/ttl` annotation (e.g. `30m`, `24h`, `7d`) has run out since their
 * `creationTimestamp`. Objects without the annotation are never touched; an
 * annotation that does not parse is reported and skipped. At most
 * `JANITOR_MAX_DELETIONS` objects are deleted per run. Under --dry-run the deletes
 * are sent with dryRun=All and logged as "would delete".
 *
 * Environment (read when the module loads, because the resource is also what the
 * job declares, and so what `kubepoll manifests` grants: set the same values when
 * you generate the manifests and in the CronJob):
 * - `JANITOR_RESOURCE`: `<plural>.<group>/<version>` of the resource to clean
 *   (default `pipelineruns.tekton.dev/v1`, Tekton PipelineRuns).
 * - `JANITOR_MAX_DELETIONS`: deletions per run (default 50).
 */
import { defineJob } from 'kubepoll';

const TTL_ANNOTATION = 'kubepoll.io/ttl';
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function targetResource(spec: string) {
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

const target = targetResource(process.env.JANITOR_RESOURCE ?? 'pipelineruns.tekton.dev/v1');

export default defineJob({
  schedule: '*/30 * * * *',
  timeoutSeconds: 600,
  resources: [{ ...target, verbs: ['list', 'delete'], namespaces: '*' }],
  async run(ctx) {
    const max = Number(process.env.JANITOR_MAX_DELETIONS ?? '50');
    if (!Number.isInteger(max) || max < 0)
      throw new Error(`JANITOR_MAX_DELETIONS must be a whole number, got "${process.env.JANITOR_MAX_DELETIONS}"`);
    const now = Date.now();
    const deleted: string[] = [];
    const invalid: string[] = [];
    let expiredLeft = 0;
    let checked = 0;
    for await (const object of ctx.list(target, { allNamespaces: true })) {
      checked++;
      const meta = object.metadata ?? {};
      const id = `${meta.namespace}/${meta.name}`;
      const ttlText = (meta.annotations as Record<string, string> | undefined)?.[TTL_ANNOTATION];
      if (ttlText === undefined) continue;
      const ttl = parseTtl(ttlText);
      const created = Date.parse(String(meta.creationTimestamp));
      if (ttl === undefined || !Number.isFinite(created)) {
        invalid.push(id);
        ctx.log.warn({ object: id, annotation: ttlText }, `cannot read ${TTL_ANNOTATION}; use e.g. 30m, 24h or 7d`);
        continue;
      }
      if (created + ttl > now) continue;
      if (deleted.length >= max) {
        expiredLeft++;
        continue;
      }
      await ctx.delete(target, meta.name as string, { namespace: meta.namespace as string });
      deleted.push(id);
      ctx.log.info(
        { object: id, ttl: ttlText, created: meta.creationTimestamp },
        ctx.dryRun ? 'expired; would delete' : 'expired; deleted',
      );
    }
    if (expiredLeft > 0) ctx.log.warn({ expiredLeft, max }, 'deletion limit reached; the rest waits for the next run');
    return { checked, deleted, invalid, expiredLeft, dryRun: ctx.dryRun };
  },
});
