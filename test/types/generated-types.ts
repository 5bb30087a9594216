// Type test, compiled by `npm run typecheck` and never run: the types `kubepoll types`
// generated for the example CRDs (jobs/types/) give a job typed objects through its
// ctx calls with no cast, and reading or writing a field wrongly is a compile error
// (each `@ts-expect-error` below must be one, or the type check fails).
import type { ResourceRef, RunContext, Stored } from 'kubepoll';
import { expectTypeOf } from 'vitest';
import { type Certificate, certificates } from '../../jobs/types/cert-manager.ts';
import { type PipelineRun, type PipelineRunV1beta1, pipelineruns, pipelinerunsV1beta1 } from '../../jobs/types/tekton.ts';
import { type Backup, backups, type Schedule, schedules } from '../../jobs/types/velero.ts';

declare const ctx: RunContext;

export async function certificateFields() {
  expectTypeOf(certificates).toEqualTypeOf<ResourceRef<Certificate>>();
  for await (const cert of ctx.list(certificates, { allNamespaces: true })) {
    expectTypeOf(cert).toEqualTypeOf<Stored<Certificate>>();
    expectTypeOf(cert.apiVersion).toEqualTypeOf<'cert-manager.io/v1'>();
    expectTypeOf(cert.metadata.name).toEqualTypeOf<string>();
    expectTypeOf(cert.spec?.secretName).toEqualTypeOf<string | undefined>();
    expectTypeOf(cert.spec?.dnsNames).toEqualTypeOf<string[] | undefined>();
    expectTypeOf(cert.spec?.issuerRef.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(cert.status?.notAfter).toEqualTypeOf<string | undefined>();
    const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
    expectTypeOf(ready?.status).toEqualTypeOf<'True' | 'False' | 'Unknown' | undefined>();
    expectTypeOf(ready?.reason).toEqualTypeOf<string | undefined>();
    expectTypeOf(cert.status?.revision).toEqualTypeOf<number | undefined>();
    // @ts-expect-error a misspelt field
    void cert.spec?.secretNam;
    // @ts-expect-error `notAfter` is an RFC 3339 string, not a number
    const expires: number | undefined = cert.status?.notAfter;
    // @ts-expect-error a condition's status is 'True', 'False' or 'Unknown'
    void (ready?.status === 'true');
    void expires;
  }
  const got = await ctx.get(certificates, 'shop-tls', { namespace: 'shop' });
  expectTypeOf(got).toEqualTypeOf<Stored<Certificate> | undefined>();
}

export const certificate: Certificate = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'shop-tls', namespace: 'shop' },
  spec: { secretName: 'shop-tls', dnsNames: ['shop.example.com'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
};
// @ts-expect-error spec.issuerRef is required
export const noIssuer: Certificate = { spec: { secretName: 'shop-tls' } };
// @ts-expect-error not one of the private key algorithms
export const badKey: Certificate = { spec: { secretName: 'x', issuerRef: { name: 'ca' }, privateKey: { algorithm: 'DSA' } } };
// @ts-expect-error the ref of another kind
export const wrongRef: ResourceRef<Certificate> = backups;

export async function veleroFields() {
  for await (const backup of ctx.list(backups, { namespace: 'velero' })) {
    expectTypeOf(backup).toEqualTypeOf<Stored<Backup>>();
    expectTypeOf(backup.metadata.labels).toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf(backup.status?.completionTimestamp).toEqualTypeOf<string | null | undefined>();
    expectTypeOf(backup.status?.errors).toEqualTypeOf<number | undefined>();
    expectTypeOf(backup.status?.failureReason).toEqualTypeOf<string | undefined>();
    expectTypeOf(backup.status?.progress?.itemsBackedUp).toEqualTypeOf<number | undefined>();
    expectTypeOf(backup.spec?.includedNamespaces).toEqualTypeOf<string[] | null | undefined>();
    expectTypeOf(backup.status?.phase)
      .extract<'Completed' | 'PartiallyFailed' | 'Failed'>()
      .toEqualTypeOf<'Completed' | 'PartiallyFailed' | 'Failed'>();
    // @ts-expect-error there is no phase "Complete"
    void (backup.status?.phase === 'Complete');
    // @ts-expect-error the items count is in status.progress
    void backup.status?.itemsBackedUp;
  }
  for await (const schedule of ctx.list(schedules, { namespace: 'velero' })) {
    expectTypeOf(schedule).toEqualTypeOf<Stored<Schedule>>();
    expectTypeOf(schedule.spec?.schedule).toEqualTypeOf<string | undefined>();
    expectTypeOf(schedule.spec?.template.ttl).toEqualTypeOf<string | undefined>();
    expectTypeOf(schedule.status?.lastBackup).toEqualTypeOf<string | null | undefined>();
    expectTypeOf(schedule.status?.phase).toEqualTypeOf<'New' | 'Enabled' | 'FailedValidation' | undefined>();
  }
}

// @ts-expect-error a Schedule needs its backup template
export const noTemplate: Schedule = { spec: { schedule: '0 2 * * *' } };

export async function tektonFields() {
  for await (const run of ctx.list(pipelineruns, { allNamespaces: true })) {
    expectTypeOf(run).toEqualTypeOf<Stored<PipelineRun>>();
    expectTypeOf(run.metadata.annotations).toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf(run.metadata.creationTimestamp).toEqualTypeOf<string>();
    expectTypeOf(run.spec?.taskRunTemplate?.serviceAccountName).toEqualTypeOf<string | undefined>();
    expectTypeOf(run.spec?.params?.[0]?.value).toEqualTypeOf<unknown>();
    expectTypeOf(run.status?.conditions?.[0]?.status).toEqualTypeOf<string | undefined>();
    expectTypeOf(run.spec?.pipelineSpec).toEqualTypeOf<unknown>();
    expectTypeOf(run.spec?.taskRunSpecs?.[0]?.computeResources?.limits?.cpu).toEqualTypeOf<number | string | undefined>();
    // @ts-expect-error v1 moved serviceAccountName into spec.taskRunTemplate
    void run.spec?.serviceAccountName;
  }
  for await (const run of ctx.list(pipelinerunsV1beta1, { allNamespaces: true })) {
    expectTypeOf(run).toEqualTypeOf<Stored<PipelineRunV1beta1>>();
    expectTypeOf(run.apiVersion).toEqualTypeOf<'tekton.dev/v1beta1'>();
    expectTypeOf(run.spec?.serviceAccountName).toEqualTypeOf<string | undefined>();
  }
}
