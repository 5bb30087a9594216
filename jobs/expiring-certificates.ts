/**
 * expiring-certificates: reports cert-manager Certificates, in every namespace,
 * that are not Ready or whose `status.notAfter` falls within a threshold.
 * Read-only.
 *
 * Environment:
 * - `EXPIRY_THRESHOLD_DAYS`: how close to expiry counts as expiring (default 14).
 */
import { defineJob } from 'kubepoll';

const certificates = { group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespaced: true };

interface Certificate {
  metadata?: { name?: string; namespace?: string };
  spec?: { secretName?: string; dnsNames?: string[] };
  status?: { notAfter?: string; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
}

export default defineJob({
  schedule: '0 */6 * * *',
  timeZone: 'Etc/UTC',
  timeoutSeconds: 300,
  resources: [{ ...certificates, verbs: ['list'], namespaces: '*' }],
  async run(ctx) {
    const days = Number(process.env.EXPIRY_THRESHOLD_DAYS ?? '14');
    if (!Number.isFinite(days) || days < 0)
      throw new Error(`EXPIRY_THRESHOLD_DAYS must be a number of days, got "${process.env.EXPIRY_THRESHOLD_DAYS}"`);
    const cutoff = Date.now() + days * 86_400_000;
    let checked = 0;
    const notReady: string[] = [];
    const expiring: string[] = [];
    for await (const item of ctx.list(certificates, { allNamespaces: true })) {
      const cert = item as Certificate;
      const id = `${cert.metadata?.namespace}/${cert.metadata?.name}`;
      checked++;
      const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') {
        notReady.push(id);
        ctx.log.warn({ certificate: id, reason: ready?.reason, message: ready?.message }, 'certificate is not ready');
        continue;
      }
      const notAfter = cert.status?.notAfter ? Date.parse(cert.status.notAfter) : Number.NaN;
      if (Number.isFinite(notAfter) && notAfter <= cutoff) {
        expiring.push(id);
        ctx.log.warn({ certificate: id, notAfter: cert.status?.notAfter, thresholdDays: days }, 'certificate expires soon');
      }
    }
    return { checked, notReady, expiring, thresholdDays: days };
  },
});
