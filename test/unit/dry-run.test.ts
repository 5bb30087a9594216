import { describe, expect, it } from 'vitest';
import { changedFields, printable, printableChanges } from '../../src/dry-run.js';
import { REDACTED } from '../../src/redact.js';

describe('changedFields', () => {
  it('lists the leaf fields that change, added and removed ones too, sorted by path', () => {
    const before = { spec: { replicas: 1, paused: true, template: { image: 'a:1', pullPolicy: 'Always' } } };
    const after = { spec: { replicas: 3, template: { image: 'a:2', pullPolicy: 'Always' }, minReady: 5 } };
    expect(changedFields(before, after)).toEqual([
      { path: 'spec.minReady', to: 5 },
      { path: 'spec.paused', from: true },
      { path: 'spec.replicas', from: 1, to: 3 },
      { path: 'spec.template.image', from: 'a:1', to: 'a:2' },
    ]);
  });

  it('is empty when nothing changes', () => {
    const object = { metadata: { name: 'x', labels: { a: 'b' } }, spec: { list: [1, { k: 'v' }] } };
    expect(changedFields(object, structuredClone(object))).toEqual([]);
  });

  it('compares arrays as whole values', () => {
    expect(changedFields({ spec: { ports: [80, 443] } }, { spec: { ports: [80, 8443] } })).toEqual([
      { path: 'spec.ports', from: [80, 443], to: [80, 8443] },
    ]);
    expect(changedFields({ spec: { ports: [80] } }, { spec: { ports: [80, 443] } })).toEqual([
      { path: 'spec.ports', from: [80], to: [80, 443] },
    ]);
    // The order of keys inside an array's objects is not a change.
    expect(changedFields({ env: [{ name: 'A', value: '1' }] }, { env: [{ value: '1', name: 'A' }] })).toEqual([]);
  });

  it('reports an object that becomes a scalar (or the reverse) as one change', () => {
    expect(changedFields({ a: { b: 1 } }, { a: 2 })).toEqual([{ path: 'a', from: { b: 1 }, to: 2 }]);
    expect(changedFields({ a: null }, { a: { b: 1 } })).toEqual([{ path: 'a', from: null, to: { b: 1 } }]);
  });

  it('leaves out the metadata the server sets on every write', () => {
    const live = {
      metadata: {
        name: 'x',
        uid: 'u1',
        resourceVersion: '10',
        generation: 1,
        creationTimestamp: '2026-12-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl' }],
        labels: { team: 'a' },
      },
    };
    const result = {
      metadata: {
        name: 'x',
        uid: 'u1',
        resourceVersion: '11',
        generation: 2,
        creationTimestamp: '2026-12-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl' }, { manager: 'kubepoll-job' }],
        labels: { team: 'b' },
      },
    };
    expect(changedFields(live, result)).toEqual([{ path: 'metadata.labels.team', from: 'a', to: 'b' }]);
    // Only at that place: a field of the same name elsewhere is the job's.
    expect(changedFields({ spec: { generation: 1 } }, { spec: { generation: 2 } })).toEqual([
      { path: 'spec.generation', from: 1, to: 2 },
    ]);
  });
});

describe('printable', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'ns' },
    type: 'Opaque',
    data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' },
    stringData: { token: 'plain-token' },
  };

  it("hides every value of a Secret's data and stringData, keeping the keys", () => {
    expect(printable(secret, true)).toEqual({
      ...secret,
      data: { password: REDACTED, user: REDACTED },
      stringData: { token: REDACTED },
    });
    expect(secret.data.password).toBe('aHVudGVyMg=='); // the object itself is untouched
  });

  it('hides the values in a merge patch of a Secret, and leaves its other fields', () => {
    expect(printable({ metadata: { labels: { a: 'b' } }, data: { password: null, key: 'bmV3' } }, true)).toEqual({
      metadata: { labels: { a: 'b' } },
      data: { password: REDACTED, key: REDACTED },
    });
  });

  it('hides the value of every JSON patch operation on data or stringData', () => {
    const patch = [
      { op: 'add', path: '/data/password', value: 'c2VjcmV0' },
      { op: 'replace', path: '/stringData', value: { token: 't' } },
      { op: 'test', path: '/data', value: { a: 'Yg==' } },
      { op: 'remove', path: '/data/old' },
      { op: 'replace', path: '/metadata/labels/team', value: 'b' },
      { op: 'add', path: '/dataset', value: 'not data' },
    ];
    expect(printable(patch, true)).toEqual([
      { op: 'add', path: '/data/password', value: REDACTED },
      { op: 'replace', path: '/stringData', value: REDACTED },
      { op: 'test', path: '/data', value: REDACTED },
      { op: 'remove', path: '/data/old' },
      { op: 'replace', path: '/metadata/labels/team', value: 'b' },
      { op: 'add', path: '/dataset', value: 'not data' },
    ]);
  });

  it('leaves anything that is not a Secret as it is', () => {
    const configMap = { kind: 'ConfigMap', data: { 'app.conf': 'x=1' } };
    expect(printable(configMap, false)).toBe(configMap);
    const patch = [{ op: 'add', path: '/data/a', value: 'x' }];
    expect(printable(patch, false)).toBe(patch);
  });
});

describe('printableChanges', () => {
  it("hides a Secret's data and stringData values, from and to, and keeps what changed", () => {
    const changes = [
      { path: 'data.password', from: 'b2xk', to: 'bmV3' },
      { path: 'data.tls.crt', to: 'Y2VydA==' },
      { path: 'stringData.token', from: 't' },
      { path: 'data', to: { a: 'Yg==' } },
      { path: 'metadata.labels.team', from: 'a', to: 'b' },
      { path: 'dataset', from: 1, to: 2 },
    ];
    expect(printableChanges(changes, true)).toEqual([
      { path: 'data.password', from: REDACTED, to: REDACTED },
      { path: 'data.tls.crt', to: REDACTED },
      { path: 'stringData.token', from: REDACTED },
      { path: 'data', to: REDACTED },
      { path: 'metadata.labels.team', from: 'a', to: 'b' },
      { path: 'dataset', from: 1, to: 2 },
    ]);
  });

  it('leaves the changes of other resources alone', () => {
    const changes = [{ path: 'data.password', from: 'a', to: 'b' }];
    expect(printableChanges(changes, false)).toBe(changes);
  });
});
