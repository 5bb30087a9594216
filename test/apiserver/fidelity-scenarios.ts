// The one list of raw API requests that the fake API server and the real one
// must answer alike (test/apiserver/fidelity.test.ts runs it against both).
// Steps run in order, on each side in its own copy of the same starting state:
// the CRDs below installed and the namespaces `fidelity` and `doomed` created.
import type { KubeObject } from '../../src/job.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What each side answered so far, by step name (parsed JSON bodies), for steps that build on earlier ones. */
export type Earlier = (name: string) => Record<string, unknown>;

export interface Step {
  name: string;
  method: Method;
  path: string | ((earlier: Earlier) => string);
  body?: unknown | ((earlier: Earlier) => unknown);
  contentType?: string;
  accept?: string;
  /**
   * Who asks: the admin (default; on the fake, its unrestricted token), the
   * service account `fidelity:kubepoll` with only `SERVICE_ACCOUNT_GRANTS`, or
   * a token the server never issued.
   */
  as?: 'admin' | 'serviceaccount' | 'bad-token';
  /** Dotted paths in the body whose values differ by nature (a generated name): compared by presence only. */
  mask?: string[];
  /** Compare only this part of the body: discovery documents list more than the fake serves. */
  pick?: (body: unknown) => unknown;
  /** Also compare whether the resourceVersion is the one that step answered (a no-op write keeps it). */
  sameResourceVersionAs?: string;
}

const NS = '/api/v1/namespaces/fidelity';
const CM = `${NS}/configmaps`;
const W = '/apis/example.com/v1/namespaces/fidelity/widgets';
const EVENTS = '/apis/events.k8s.io/v1/namespaces/fidelity/events';
const APPLY = 'application/apply-patch+yaml';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const PARTIAL_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const PARTIAL = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** Namespaced, with a status subresource and a structural schema. */
export const WIDGET_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer' },
                  color: { type: 'string' },
                  tags: { type: 'array', items: { type: 'string' } },
                  extra: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' }, observed: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

/** Cluster-scoped, no status subresource, schema that keeps unknown fields. */
export const GADGET_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/** What the service account may do in the 403 steps: get ConfigMaps in its own namespace, nothing else. */
export const SERVICE_ACCOUNT_GRANTS = [
  { group: '', version: 'v1', plural: 'configmaps', namespaced: true, verbs: ['get'] as const },
];

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});
const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, ...extra },
  spec,
});
const continueOf = (earlier: Earlier, step: string) =>
  encodeURIComponent((earlier(step).metadata as { continue: string }).continue);
const rvOf = (earlier: Earlier, step: string) => (earlier(step).metadata as { resourceVersion: string }).resourceVersion;

const event = (fields: Record<string, unknown>) => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'w1.kubepoll' },
  regarding: { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w1', namespace: 'fidelity' },
  reason: 'WidgetStale',
  action: 'Checked',
  reportingController: 'kubepoll.dev/fidelity',
  reportingInstance: 'fidelity-pod',
  eventTime: '2026-12-01T10:00:00.000000Z',
  note: 'widget w1 is stale',
  type: 'Normal',
  ...fields,
});

/** Keeps the entries of a discovery list that name what both sides serve. */
const discoveryOf = (names: string[]) => (body: unknown) => {
  const b = body as { resources?: { name: string }[]; groups?: { name: string }[] };
  if (b.resources) return { ...b, resources: b.resources.filter((r) => names.includes(r.name)) };
  if (b.groups) return { ...b, groups: b.groups.filter((g) => names.includes(g.name)) };
  return b;
};

export const STEPS: Step[] = [
  // --- CRUD on a built-in resource
  { name: 'create a ConfigMap', method: 'POST', path: CM, body: cm('a', { k: 'v' }, { x: '1' }) },
  { name: 'get it', method: 'GET', path: `${CM}/a` },
  { name: 'create it again: AlreadyExists', method: 'POST', path: CM, body: cm('a') },
  { name: 'create with an invalid name', method: 'POST', path: CM, body: cm('Bad_Name') },
  { name: 'create with no name', method: 'POST', path: CM, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } },
  {
    name: 'create with generateName',
    method: 'POST',
    path: CM,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } },
    mask: ['metadata.name'],
  },
  {
    name: 'delete the generated one',
    method: 'DELETE',
    path: (e) => `${CM}/${(e('create with generateName').metadata as { name: string }).name}`,
    mask: ['details.name'],
  },
  {
    name: 'create in a namespace that does not exist',
    method: 'POST',
    path: '/api/v1/namespaces/missing/configmaps',
    body: cm('a'),
  },
  {
    name: 'create with a body namespace that differs from the URL',
    method: 'POST',
    path: CM,
    body: { ...cm('b'), metadata: { name: 'b', namespace: 'other' } },
  },
  { name: 'create with a body that is not JSON', method: 'POST', path: CM, body: '{"apiVersion":' },
  {
    name: 'create with the wrong kind',
    method: 'POST',
    path: CM,
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c' } },
  },
  { name: 'get one that does not exist', method: 'GET', path: `${CM}/nope` },
  { name: 'get in a namespace that does not exist', method: 'GET', path: '/api/v1/namespaces/missing/configmaps/a' },
  { name: 'list in a namespace that does not exist', method: 'GET', path: '/api/v1/namespaces/missing/configmaps' },
  {
    name: 'replace with a stale resourceVersion: Conflict',
    method: 'PUT',
    path: `${CM}/a`,
    body: { ...cm('a', { k: 'v2' }), metadata: { name: 'a', resourceVersion: '1' } },
  },
  { name: 'replace without a resourceVersion', method: 'PUT', path: `${CM}/a`, body: cm('a', { k: 'v2' }) },
  {
    name: 'replace with the current resourceVersion',
    method: 'PUT',
    path: `${CM}/a`,
    body: (e: Earlier) => ({
      ...cm('a', { k: 'v2' }, { x: '1' }),
      metadata: { name: 'a', labels: { x: '1' }, resourceVersion: rvOf(e, 'replace without a resourceVersion') },
    }),
  },
  { name: 'replace one that does not exist', method: 'PUT', path: `${CM}/nope`, body: cm('nope') },
  { name: 'replace with a name that differs from the URL', method: 'PUT', path: `${CM}/a`, body: cm('other') },

  // --- merge patch, JSON patch, content types
  {
    name: 'merge patch: add a key, drop a label',
    method: 'PATCH',
    path: `${CM}/a`,
    body: { data: { k2: 'v' }, metadata: { labels: { x: null } } },
    contentType: MERGE,
  },
  { name: 'merge patch one that does not exist', method: 'PATCH', path: `${CM}/nope`, body: { data: {} }, contentType: MERGE },
  { name: 'merge patch that is not JSON', method: 'PATCH', path: `${CM}/a`, body: 'nope', contentType: MERGE },
  {
    name: 'patch with a wrong content type: 415',
    method: 'PATCH',
    path: `${CM}/a`,
    body: { data: {} },
    contentType: 'text/plain',
  },
  {
    name: 'JSON patch: add, replace, remove',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [
      { op: 'add', path: '/data/k3', value: 'three' },
      { op: 'replace', path: '/data/k', value: 'replaced' },
      { op: 'remove', path: '/data/k2' },
    ],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: a failing test op',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [{ op: 'test', path: '/data/k', value: 'other' }],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: remove a path that is not there',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [{ op: 'remove', path: '/data/absent' }],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: replace a path that is not there',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [{ op: 'replace', path: '/data/absent', value: 'x' }],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: add below a missing parent',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [{ op: 'add', path: '/metadata/annotations/a', value: 'x' }],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: a body that is not a list',
    method: 'PATCH',
    path: `${CM}/a`,
    body: { op: 'add' },
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: an unknown op',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [{ op: 'frobnicate', path: '/data/k' }],
    contentType: JSON_PATCH,
  },
  {
    name: 'JSON patch: move and copy',
    method: 'PATCH',
    path: `${CM}/a`,
    body: [
      { op: 'copy', from: '/data/k', path: '/data/copied' },
      { op: 'move', from: '/data/k3', path: '/data/moved' },
    ],
    contentType: JSON_PATCH,
  },

  // --- dry run, delete
  { name: 'dry-run create', method: 'POST', path: `${CM}?dryRun=All`, body: cm('dry') },
  { name: 'the dry-run object is not there', method: 'GET', path: `${CM}/dry` },
  { name: 'dry-run delete', method: 'DELETE', path: `${CM}/a?dryRun=All` },
  { name: 'still there after a dry-run delete', method: 'GET', path: `${CM}/a` },
  { name: 'dry-run merge patch', method: 'PATCH', path: `${CM}/a?dryRun=All`, body: { data: { dry: 'x' } }, contentType: MERGE },
  { name: 'unchanged after a dry-run patch', method: 'GET', path: `${CM}/a` },
  { name: 'a dryRun value that is not All', method: 'POST', path: `${CM}?dryRun=Yes`, body: cm('dry2') },
  { name: 'create one to delete', method: 'POST', path: CM, body: cm('gone') },
  { name: 'delete', method: 'DELETE', path: `${CM}/gone` },
  { name: 'delete one that does not exist', method: 'DELETE', path: `${CM}/gone` },

  // --- lists: paging and selectors
  ...['p1', 'p2', 'p3', 'p4', 'p5'].map(
    (n, i): Step => ({
      name: `create ${n}`,
      method: 'POST',
      path: CM,
      body: cm(n, {}, { page: 'yes', tier: i % 2 ? 'back' : 'front' }),
    }),
  ),
  { name: 'list page 1 of limit 2', method: 'GET', path: `${CM}?labelSelector=page%3Dyes&limit=2` },
  {
    name: 'list page 2',
    method: 'GET',
    path: (e) => `${CM}?labelSelector=page%3Dyes&limit=2&continue=${continueOf(e, 'list page 1 of limit 2')}`,
  },
  {
    name: 'list page 3, the last',
    method: 'GET',
    path: (e) => `${CM}?labelSelector=page%3Dyes&limit=2&continue=${continueOf(e, 'list page 2')}`,
  },
  { name: 'list without a limit', method: 'GET', path: CM },
  { name: 'list limit 2 without selectors: remainingItemCount', method: 'GET', path: `${CM}?limit=2` },
  { name: 'label selector in', method: 'GET', path: `${CM}?labelSelector=tier%20in%20(back)` },
  { name: 'label selector notin and exists', method: 'GET', path: `${CM}?labelSelector=page,tier%20notin%20(back)` },
  { name: 'label selector does-not-exist', method: 'GET', path: `${CM}?labelSelector=!page` },
  { name: 'label selector !=', method: 'GET', path: `${CM}?labelSelector=tier!%3Dfront` },
  { name: 'an invalid label selector', method: 'GET', path: `${CM}?labelSelector=a%20b%20c` },
  { name: 'field selector metadata.name', method: 'GET', path: `${CM}?fieldSelector=metadata.name%3Dp2` },
  { name: 'an unsupported field selector', method: 'GET', path: `${CM}?fieldSelector=data.k%3Dv` },
  { name: 'a continue token that cannot be decoded', method: 'GET', path: `${CM}?limit=2&continue=garbage` },
  { name: 'list every namespace', method: 'GET', path: '/api/v1/configmaps?labelSelector=page%3Dyes' },

  // --- unknown things
  { name: 'a built-in group resource that does not exist', method: 'GET', path: `${NS}/foos` },
  {
    name: 'a custom resource no CRD serves: plain-text 404',
    method: 'GET',
    path: '/apis/nope.example.com/v1/namespaces/fidelity/things',
  },
  { name: 'a version a served group does not have', method: 'GET', path: '/apis/example.com/v2/namespaces/fidelity/widgets' },
  { name: 'a namespaced resource without a namespace, by name', method: 'GET', path: '/apis/example.com/v1/widgets/w1' },
  {
    name: 'a cluster-scoped resource under a namespace',
    method: 'GET',
    path: '/apis/example.com/v1/namespaces/fidelity/gadgets',
  },
  { name: 'POST to an object path', method: 'POST', path: `${CM}/a`, body: cm('a') },

  // --- custom resources, the status subresource, generation
  { name: 'create a Widget', method: 'POST', path: W, body: widget('w1', { size: 1, tags: ['a'] }) },
  {
    name: 'create a Widget with status: status is dropped',
    method: 'POST',
    path: W,
    body: { ...widget('w2', { size: 2 }), status: { phase: 'Set' } },
  },
  { name: 'list Widgets', method: 'GET', path: W },
  { name: 'list Widgets across namespaces', method: 'GET', path: '/apis/example.com/v1/widgets' },
  { name: 'get a Widget by short name path: not a path', method: 'GET', path: '/apis/example.com/v1/namespaces/fidelity/wd' },
  {
    name: 'merge patch spec: generation goes up',
    method: 'PATCH',
    path: `${W}/w1`,
    body: { spec: { size: 5 } },
    contentType: MERGE,
  },
  {
    name: 'merge patch a label: generation stays',
    method: 'PATCH',
    path: `${W}/w1`,
    body: { metadata: { labels: { l: 'v' } } },
    contentType: MERGE,
  },
  {
    name: 'merge patch status on the main resource: ignored',
    method: 'PATCH',
    path: `${W}/w1`,
    body: { status: { phase: 'Ignored' } },
    contentType: MERGE,
  },
  {
    name: 'merge patch /status: only status changes',
    method: 'PATCH',
    path: `${W}/w1/status`,
    body: { spec: { size: 99 }, status: { phase: 'Ready' } },
    contentType: MERGE,
  },
  { name: 'get /status', method: 'GET', path: `${W}/w1/status` },
  {
    name: 'JSON patch /status',
    method: 'PATCH',
    path: `${W}/w1/status`,
    body: [{ op: 'add', path: '/status/observed', value: 2 }],
    contentType: JSON_PATCH,
  },
  {
    name: 'strategic merge patch on a custom resource: 415',
    method: 'PATCH',
    path: `${W}/w1`,
    body: { spec: { size: 6 } },
    contentType: 'application/strategic-merge-patch+json',
  },
  { name: 'create a Widget with a wrong field type', method: 'POST', path: W, body: widget('w3', { size: 'big' }) },
  {
    name: 'create a Gadget (cluster-scoped)',
    method: 'POST',
    path: '/apis/example.com/v1/gadgets',
    body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { any: { thing: 1 } } },
  },
  { name: '/status of a CRD without the subresource', method: 'GET', path: '/apis/example.com/v1/gadgets/g1/status' },
  { name: 'delete a Widget', method: 'DELETE', path: `${W}/w2` },

  // --- server-side apply
  {
    name: 'apply creates',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: widget('sw', { size: 1, color: 'red', extra: { k: 'v' } }, { labels: { team: 'a' } }),
    contentType: APPLY,
  },
  {
    name: 'apply the same again: nothing changes',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: widget('sw', { size: 1, color: 'red', extra: { k: 'v' } }, { labels: { team: 'a' } }),
    contentType: APPLY,
    sameResourceVersionAs: 'apply creates',
  },
  {
    name: 'another manager sets the same value: shared, no conflict',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=bob`,
    body: widget('sw', { size: 1 }),
    contentType: APPLY,
  },
  {
    name: 'another manager changes a field: Conflict',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=bob`,
    body: widget('sw', { size: 1, color: 'blue' }),
    contentType: APPLY,
  },
  {
    name: 'two conflicts',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=bob`,
    body: widget('sw', { size: 2, color: 'blue' }),
    contentType: APPLY,
  },
  {
    name: 'with force it takes the field over',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=bob&force=true`,
    body: widget('sw', { size: 1, color: 'blue' }),
    contentType: APPLY,
  },
  {
    name: 'the first manager drops a field it alone owns: removed',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: widget('sw', { size: 1 }, { labels: { team: 'a' } }),
    contentType: APPLY,
  },
  {
    name: 'an update takes over a field from an applier (no conflict)',
    method: 'PATCH',
    path: `${W}/sw`,
    body: { metadata: { labels: { team: 'b' } } },
    contentType: MERGE,
  },
  {
    name: 'the applier now conflicts with the updater',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: widget('sw', { size: 1 }, { labels: { team: 'a' } }),
    contentType: APPLY,
  },
  {
    name: 'apply status through /status',
    method: 'PATCH',
    path: `${W}/sw/status?fieldManager=carol`,
    body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'sw' }, status: { phase: 'Ready' } },
    contentType: APPLY,
  },
  { name: 'apply without a fieldManager', method: 'PATCH', path: `${W}/sw`, body: widget('sw', { size: 1 }), contentType: APPLY },
  {
    name: 'apply with a name that differs from the URL',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: widget('other', { size: 1 }),
    contentType: APPLY,
  },
  {
    name: 'apply without apiVersion and kind',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=alice`,
    body: { metadata: { name: 'sw' }, spec: { size: 1 } },
    contentType: APPLY,
  },
  { name: 'force on a merge patch', method: 'PATCH', path: `${W}/sw?force=true`, body: { spec: {} }, contentType: MERGE },
  {
    name: 'dry-run apply creates nothing',
    method: 'PATCH',
    path: `${W}/dryw?fieldManager=alice&dryRun=All`,
    body: widget('dryw', { size: 1 }),
    contentType: APPLY,
  },
  { name: 'the dry-run applied object is not there', method: 'GET', path: `${W}/dryw` },
  {
    name: 'apply a ConfigMap',
    method: 'PATCH',
    path: `${CM}/applied?fieldManager=kubepoll-fidelity`,
    body: cm('applied', { a: '1' }, { app: 'x' }),
    contentType: APPLY,
  },
  {
    name: 'apply into a namespace that does not exist',
    method: 'PATCH',
    path: '/api/v1/namespaces/missing/configmaps/applied?fieldManager=kubepoll-fidelity',
    body: cm('applied', { a: '1' }),
    contentType: APPLY,
  },

  // --- more writes a job (or kubectl) makes
  {
    name: 'replace a custom resource without a resourceVersion',
    method: 'PUT',
    path: `${W}/w1`,
    body: widget('w1', { size: 5 }),
  },
  {
    name: 'replace a custom resource with a stale resourceVersion',
    method: 'PUT',
    path: `${W}/w1`,
    body: { ...widget('w1', { size: 5 }), metadata: { name: 'w1', resourceVersion: '1' } },
  },
  {
    name: 'merge patch with a stale resourceVersion precondition',
    method: 'PATCH',
    path: `${CM}/a`,
    body: { metadata: { resourceVersion: '1' }, data: { x: 'y' } },
    contentType: MERGE,
  },
  {
    name: 'strategic merge patch of a ConfigMap',
    method: 'PATCH',
    path: `${CM}/a`,
    body: { data: { strategic: 'yes' } },
    contentType: 'application/strategic-merge-patch+json',
  },
  { name: 'JSON patch that is not JSON', method: 'PATCH', path: `${CM}/a`, body: '[{', contentType: JSON_PATCH },
  {
    name: 'create a Widget with an unknown field: pruned',
    method: 'POST',
    path: W,
    body: widget('w4', { size: 4, unknown: 'dropped' }),
  },
  {
    name: 'create a Widget with generateName',
    method: 'POST',
    path: W,
    body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { generateName: 'wg-' }, spec: { size: 1 } },
    mask: ['metadata.name'],
  },
  {
    name: 'delete the generated Widget',
    method: 'DELETE',
    path: (e) => `${W}/${(e('create a Widget with generateName').metadata as { name: string }).name}`,
    mask: ['details.name'],
  },
  {
    name: 'create a Widget without kind and apiVersion',
    method: 'POST',
    path: W,
    body: { metadata: { name: 'w5' }, spec: { size: 5 } },
  },
  {
    name: 'create a ConfigMap without kind and apiVersion: taken from the URL',
    method: 'POST',
    path: CM,
    body: { metadata: { name: 'kindless' }, data: { a: '1' } },
  },
  {
    name: 'kubectl create -f of a custom resource: fieldValidation=Strict and an unknown field',
    method: 'POST',
    path: `${W}?fieldManager=kubectl-create&fieldValidation=Strict`,
    body: widget('w6', { size: 6, bogus: true }),
  },
  {
    name: 'kubectl create: fieldValidation=Strict and an unknown field',
    method: 'POST',
    path: `${CM}?fieldManager=kubectl-create&fieldValidation=Strict`,
    body: { ...cm('strict'), extra: 'field' },
  },
  {
    name: 'a label key that is not valid',
    method: 'GET',
    path: `${CM}?labelSelector=a%24b%3Dc`,
  },
  { name: 'an unsupported field selector on a custom resource', method: 'GET', path: `${W}?fieldSelector=spec.size%3D1` },
  {
    name: 'create a Secret with stringData',
    method: 'POST',
    path: `${NS}/secrets`,
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, stringData: { password: 'hunter2' } },
  },
  {
    name: 'create a Lease',
    method: 'POST',
    path: '/apis/coordination.k8s.io/v1/namespaces/fidelity/leases',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader' },
      spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, renewTime: '2026-12-01T10:00:00.000000Z' },
    },
  },
  {
    name: 'renew the Lease (merge patch)',
    method: 'PATCH',
    path: '/apis/coordination.k8s.io/v1/namespaces/fidelity/leases/leader',
    body: { spec: { renewTime: '2026-12-01T10:00:05.000000Z' } },
    contentType: MERGE,
  },
  {
    name: 'apply a ConfigMap again without one key: the key is removed',
    method: 'PATCH',
    path: `${CM}/applied?fieldManager=kubepoll-fidelity`,
    body: cm('applied', { b: '2' }, { app: 'x' }),
    contentType: APPLY,
  },
  {
    name: 'apply /status of an object that does not exist',
    method: 'PATCH',
    path: `${W}/absent/status?fieldManager=carol`,
    body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'absent' }, status: { phase: 'x' } },
    contentType: APPLY,
  },
  {
    name: 'dry-run apply onto an existing object',
    method: 'PATCH',
    path: `${W}/sw?fieldManager=dave&dryRun=All`,
    body: widget('sw', { tags: ['t'] }),
    contentType: APPLY,
    sameResourceVersionAs: 'apply status through /status',
  },
  { name: 'delete a cluster-scoped Gadget', method: 'DELETE', path: '/apis/example.com/v1/gadgets/g1' },
  { name: 'get the terminating namespace', method: 'GET', path: '/api/v1/namespaces/doomed' },

  // --- metadata-only reads
  { name: 'PartialObjectMetadataList', method: 'GET', path: `${CM}?labelSelector=page%3Dyes&limit=2`, accept: PARTIAL_LIST },
  { name: 'PartialObjectMetadata', method: 'GET', path: `${W}/w1`, accept: PARTIAL },
  { name: 'PartialObjectMetadata of one that does not exist', method: 'GET', path: `${W}/nope`, accept: PARTIAL },
  { name: 'PartialObjectMetadataList of custom resources', method: 'GET', path: W, accept: PARTIAL_LIST },

  // --- events.k8s.io
  { name: 'create an Event', method: 'POST', path: EVENTS, body: event({}) },
  {
    name: 'an Event without the required fields',
    method: 'POST',
    path: EVENTS,
    body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bare' }, eventTime: '2026-12-01T10:00:00.000000Z' },
  },
  {
    name: 'an Event without eventTime',
    method: 'POST',
    path: EVENTS,
    body: event({ metadata: { name: 'no-time' }, eventTime: undefined }),
  },
  {
    name: 'an Event whose note is over 1 KB',
    method: 'POST',
    path: EVENTS,
    body: event({ metadata: { name: 'long' }, note: 'x'.repeat(1025) }),
  },
  {
    name: 'an Event of an unknown type',
    method: 'POST',
    path: EVENTS,
    body: event({ metadata: { name: 'info' }, type: 'Info' }),
  },
  { name: 'list Events', method: 'GET', path: EVENTS },

  // --- namespaces
  {
    name: 'create a namespace with an invalid name',
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bad.Name' } },
  },
  { name: 'delete a namespace: it terminates', method: 'DELETE', path: '/api/v1/namespaces/doomed' },
  { name: 'create in a terminating namespace', method: 'POST', path: '/api/v1/namespaces/doomed/configmaps', body: cm('late') },
  { name: 'get a namespace', method: 'GET', path: '/api/v1/namespaces/fidelity' },

  // --- authentication and authorisation
  { name: 'a token the server never issued: 401', method: 'GET', path: `${CM}/a`, as: 'bad-token' },
  { name: 'the service account gets what it may', method: 'GET', path: `${CM}/a`, as: 'serviceaccount' },
  { name: 'the service account lists what it may not: 403', method: 'GET', path: CM, as: 'serviceaccount' },
  { name: 'the service account gets a Secret: 403 names it', method: 'GET', path: `${NS}/secrets/s`, as: 'serviceaccount' },
  {
    name: 'the service account lists namespaces: 403 at the cluster scope',
    method: 'GET',
    path: '/api/v1/namespaces',
    as: 'serviceaccount',
  },
  {
    name: 'the service account creates a Widget: 403 with the group',
    method: 'POST',
    path: W,
    body: widget('nope', {}),
    as: 'serviceaccount',
  },

  {
    name: 'a SelfSubjectAccessReview the account passes',
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'configmaps', namespace: 'fidelity' } },
    },
    as: 'serviceaccount',
    pick: (b) => ({ kind: (b as { kind: string }).kind, allowed: (b as { status: { allowed: boolean } }).status.allowed }),
  },
  {
    name: 'a SelfSubjectAccessReview the account fails',
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'delete', resource: 'configmaps', namespace: 'fidelity' } },
    },
    as: 'serviceaccount',
    pick: (b) => ({ kind: (b as { kind: string }).kind, status: (b as { status: unknown }).status }),
  },

  // --- discovery (restricted to what the fake serves)
  {
    name: 'discovery of a CRD group version',
    method: 'GET',
    path: '/apis/example.com/v1',
    // kube-apiserver lists a group's CRDs in its informer cache's order, which varies: compare by name.
    pick: (b) => {
      const doc = b as { resources: { name: string }[] };
      return { ...doc, resources: [...doc.resources].sort((x, y) => (x.name < y.name ? -1 : 1)) };
    },
  },
  { name: 'discovery of a CRD group', method: 'GET', path: '/apis/example.com' },
  { name: 'discovery /api', method: 'GET', path: '/api', pick: (b) => (b as { versions: unknown }).versions },
  {
    name: 'discovery /apis (the groups the fake serves)',
    method: 'GET',
    path: '/apis',
    pick: discoveryOf(['example.com', 'events.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io']),
  },
  {
    name: 'discovery /api/v1 (the resources the fake serves)',
    method: 'GET',
    path: '/api/v1',
    pick: discoveryOf(['configmaps', 'namespaces', 'namespaces/status', 'secrets', 'serviceaccounts', 'events', 'pods']),
  },
  { name: 'discovery of events.k8s.io/v1', method: 'GET', path: '/apis/events.k8s.io/v1' },
  { name: 'discovery of coordination.k8s.io/v1', method: 'GET', path: '/apis/coordination.k8s.io/v1' },
];
