/**
 * expiring-certificates: reports cert-manager Certificates, in every namespace,
 * that are not Ready, that have expired, or whose `status.notAfter` falls
 * within a threshold. Read-only.
 *
 * Settings (environment, or `--set`):
 * - `EXPIRY_THRESHOLD_DAYS`: how close to expiry counts as expiring (default 14).
 */
import { defineJob } from 'kubepoll';
import { certificates } from './types/cert-manager.ts';

export default defineJob({
  name: 'expiring-certificates',
  schedule: '0 */6 * * *',
  timeZone: 'Etc/UTC',
  timeoutSeconds: 300,
  settings: {
    EXPIRY_THRESHOLD_DAYS: { description: 'days before notAfter that count as expiring', default: '14' },
  },
  resources: [{ ...certificates, verbs: ['list'], namespaces: '*' }],
  async run(ctx) {
    const days = Number(ctx.settings.EXPIRY_THRESHOLD_DAYS);
    if (!Number.isFinite(days) || days < 0) {
      throw new Error(`EXPIRY_THRESHOLD_DAYS must be a number of days, got "${ctx.settings.EXPIRY_THRESHOLD_DAYS}"`);
    }
    const now = Date.now();
    const cutoff = now + days * 86_400_000;
    let checked = 0;
    const notReady: string[] = [];
    const expired: string[] = [];
    const expiring: string[] = [];
    for await (const cert of ctx.list(certificates, { allNamespaces: true })) {
      const id = `${cert.metadata.namespace}/${cert.metadata.name}`;
      checked++;
      const notAfter = cert.status?.notAfter ? Date.parse(cert.status.notAfter) : Number.NaN;
      if (Number.isFinite(notAfter) && notAfter <= now) {
        expired.push(id);
        ctx.log.error({ certificate: id, notAfter: cert.status?.notAfter }, 'certificate expired');
        continue;
      }
      const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') {
        notReady.push(id);
        ctx.log.warn({ certificate: id, reason: ready?.reason, message: ready?.message }, 'certificate is not ready');
        continue;
      }
      if (Number.isFinite(notAfter) && notAfter <= cutoff) {
        expiring.push(id);
        ctx.log.warn({ certificate: id, notAfter: cert.status?.notAfter, thresholdDays: days }, 'certificate expires soon');
      }
    }
    return { checked, notReady, expired, expiring, thresholdDays: days };
  },
});
