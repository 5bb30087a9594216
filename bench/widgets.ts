/**
 * The bench's custom resource: `widgets.bench.kubepoll.io`, namespaced, in 20
 * namespaces, each object about 1.3 KB of JSON as the fake serves it (with
 * uid, resourceVersion and creationTimestamp), shaped like a real custom
 * resource: labels, an annotation, a spec with a list and free text, a status
 * with a condition. The real kube-apiserver adds managedFields and generation,
 * so its objects are larger: the bench measures and reports the size per server.
 */
export const GROUP = 'bench.kubepoll.io';
export const VERSION = 'v1';
export const PLURAL = 'widgets';
export const LIST_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
export const NAMESPACES = 20;

/** The CustomResourceDefinition (structural schema; everything under spec and status is kept). */
export const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${PLURAL}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: PLURAL, singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

const NOTE =
  'Widgets are polled every five minutes; a widget that stays unready for an hour is reported to its owner. ' +
  'This text stands for the free-form description, runbook link and contact details real resources carry. ';

/** Widget number `i` (names sort in creation order: `widget-0000042`). */
export function widget(i: number): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Widget',
    metadata: {
      name: `widget-${String(i).padStart(7, '0')}`,
      namespace: `ns-${i % NAMESPACES}`,
      labels: {
        'app.kubernetes.io/name': 'widget',
        'app.kubernetes.io/part-of': 'bench',
        tier: i % 2 ? 'backend' : 'frontend',
      },
      annotations: { 'bench.kubepoll.io/description': `a widget for measuring list throughput, number ${i}` },
    },
    spec: {
      size: i,
      colour: ['red', 'green', 'blue'][i % 3],
      owner: `team-${i % 7}`,
      replicas: 3,
      paused: false,
      endpoints: [
        { host: `widget-${i}.ns-${i % NAMESPACES}.svc`, port: 8443, protocol: 'TCP' },
        { host: `widget-${i}-metrics.ns-${i % NAMESPACES}.svc`, port: 9090, protocol: 'TCP' },
      ],
      notes: NOTE.repeat(2).slice(0, 420),
    },
    status: {
      phase: 'Ready',
      observedGeneration: 1,
      readyReplicas: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'AsExpected',
          message: 'all replicas are ready',
          lastTransitionTime: '2026-11-30T00:00:00Z',
        },
      ],
    },
  };
}

/** The CRD and `count` widgets, as the fake server's `objects`. */
export function widgets(count: number): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [WIDGET_CRD];
  for (let i = 0; i < count; i++) objects.push(widget(i));
  return objects;
}
