import type { KubeObject } from '../../src/job.js';

/** A CRD like the ones people apply, for the fake cluster to serve. */
export function crd(group: string, kind: string, plural: string, scope: 'Namespaced' | 'Cluster' = 'Namespaced'): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true }],
    },
  };
}

export const widgets = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true };

/** `count` widgets spread over three namespaces, with labels to select on. */
export function widgetObjects(count: number): KubeObject[] {
  return [
    crd('example.com', 'Widget', 'widgets'),
    ...Array.from({ length: count }, (_, i) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: {
        name: `widget-${String(i).padStart(5, '0')}`,
        namespace: ['team-a', 'team-b', 'team-c'][i % 3] as string,
        labels: { tier: i % 2 ? 'backend' : 'frontend', ...(i % 5 === 0 ? { canary: 'true' } : {}) },
      },
      spec: { size: i },
    })),
  ];
}

export function configMap(name: string, namespace: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}
