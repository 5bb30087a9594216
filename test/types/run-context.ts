// Type test, compiled by `npm run typecheck` and never run: what a job author touches is typed —
// refs carry their object type through every ctx call, settings are typed from their declaration,
// and a wrong field, option or setting is a compile error (each `@ts-expect-error` must be one,
// or the type check fails).
import {
  defineJob,
  type ObjectMeta,
  type PartialObjectMetadata,
  type ResourceRef,
  type RunContext,
  resource,
  type Stored,
} from 'kubepoll';
import { expectTypeOf } from 'vitest';

interface Widget {
  apiVersion?: 'example.com/v1';
  kind?: 'Widget';
  metadata?: ObjectMeta;
  spec?: { size?: number; colour?: 'red' | 'blue' };
  status?: { ready?: boolean };
}

const widgets = resource<Widget>({ group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true });
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
declare const ctx: RunContext;

export async function typedCalls() {
  expectTypeOf(widgets).toEqualTypeOf<ResourceRef<Widget>>();
  for await (const w of ctx.list(widgets)) {
    expectTypeOf(w).toEqualTypeOf<Stored<Widget>>();
    expectTypeOf(w.metadata.name).toEqualTypeOf<string>();
    expectTypeOf(w.metadata.uid).toEqualTypeOf<string>();
    expectTypeOf(w.spec?.size).toEqualTypeOf<number | undefined>();
    // @ts-expect-error no such field on a Widget
    void w.spec?.weight;
  }
  for await (const m of ctx.list(widgets, { metadataOnly: true })) {
    expectTypeOf(m).toEqualTypeOf<PartialObjectMetadata>();
    expectTypeOf(m.metadata.creationTimestamp).toEqualTypeOf<string>();
    // @ts-expect-error metadata-only objects have no spec
    void m.spec;
  }
  expectTypeOf(await ctx.get(widgets, 'a')).toEqualTypeOf<Stored<Widget> | undefined>();
  expectTypeOf(await ctx.get(widgets, 'a', { metadataOnly: true })).toEqualTypeOf<PartialObjectMetadata | undefined>();
  expectTypeOf(await ctx.create(widgets, { metadata: { name: 'a' }, spec: { size: 1 } })).toEqualTypeOf<Stored<Widget>>();
  expectTypeOf(await ctx.patch(widgets, 'a', { spec: { colour: 'red' } })).toEqualTypeOf<Stored<Widget>>();
  await ctx.patch(widgets, 'a', { status: { ready: true } }, { subresource: 'status' });
  await ctx.patch(widgets, 'a', [{ op: 'replace', path: '/spec/size', value: 2 }], { type: 'json' });
  // @ts-expect-error a merge patch of a Widget cannot set a field it does not have
  await ctx.patch(widgets, 'a', { spec: { weight: 3 } });
  // @ts-expect-error colour is 'red' or 'blue'
  await ctx.patch(widgets, 'a', { spec: { colour: 'green' } });
  // @ts-expect-error a JSON patch needs { type: 'json' }
  await ctx.patch(widgets, 'a', [{ op: 'remove', path: '/spec' }]);
  expectTypeOf(
    await ctx.apply(
      widgets,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' }, spec: { size: 3 } },
      { force: true },
    ),
  ).toEqualTypeOf<Stored<Widget>>();
  // @ts-expect-error an apply configuration needs apiVersion, kind and metadata.name
  await ctx.apply(widgets, { spec: { size: 3 } });
  // @ts-expect-error only the status subresource exists
  await ctx.patch(widgets, 'a', {}, { subresource: 'scale' });
  // Untyped refs still work, with fields as unknown.
  for await (const cm of ctx.list(configMaps)) expectTypeOf(cm.data).toEqualTypeOf<unknown>();
  await ctx.record(
    { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' } },
    { type: 'Warning', reason: 'Odd', note: 'x' },
  );
  // @ts-expect-error an Event's type is Normal or Warning
  await ctx.record({ metadata: { name: 'a' } }, { type: 'Error', reason: 'Odd', note: 'x' });
  const done = await ctx.forEach(ctx.list(widgets), async (w) => expectTypeOf(w).toEqualTypeOf<Stored<Widget>>(), {
    concurrency: 4,
  });
  expectTypeOf(done.failures[0]?.item).toEqualTypeOf<Stored<Widget> | undefined>();
  expectTypeOf(ctx.shard).toEqualTypeOf<{ index: number; count: number }>();
}

export const typedSettings = defineJob({
  settings: {
    WITH_DEFAULT: { description: 'has a default', default: '5' },
    REQUIRED: { description: 'must be given', required: true },
    OPTIONAL: { description: 'may be absent' },
  },
  resources: (settings) => {
    expectTypeOf(settings.REQUIRED).toEqualTypeOf<string>();
    return [{ ...widgets, verbs: ['list'], namespaces: [settings.REQUIRED] }];
  },
  limits: { writes: 10 },
  rateLimit: { qps: 5, burst: 10 },
  shards: 2,
  async run(ctx) {
    expectTypeOf(ctx.settings.WITH_DEFAULT).toEqualTypeOf<string>();
    expectTypeOf(ctx.settings.REQUIRED).toEqualTypeOf<string>();
    expectTypeOf(ctx.settings.OPTIONAL).toEqualTypeOf<string | undefined>();
    // @ts-expect-error an undeclared setting
    void ctx.settings.UNDECLARED;
    return { ok: true };
  },
});

// @ts-expect-error a declaration's verbs are get, list, create, patch, delete
export const badVerb = defineJob({ resources: [{ ...widgets, verbs: ['watch'] }], run() {} });
