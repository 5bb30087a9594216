import { describe, expect, it } from 'vitest';
import { EVENTS_REF, eventFor, eventKey, MAX_NOTE_BYTES } from '../../src/events.js';
import type { EventNote, EventSubject } from '../../src/job.js';

const backup: EventSubject = {
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name: 'nightly', namespace: 'velero', uid: 'b-uid-1', resourceVersion: '42' },
};
const node: EventSubject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n-uid-1' } };
const stale: EventNote = { type: 'Warning', reason: 'BackupStale', note: 'last backup is 3 days old' };
const source = {
  reportingController: 'kubepoll.dev/stale-backups',
  reportingInstance: 'stale-backups-7d9f-x2k4q',
  runId: 'run-1',
  now: Date.UTC(2026, 11, 1, 10, 11, 12, 345),
};
/** A DNS subdomain, as Kubernetes requires of an Event's name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('eventFor', () => {
  it('is an events.k8s.io/v1 Event about the object, in its namespace', () => {
    const { namespace, event } = eventFor(backup, stale, source);
    expect(namespace).toBe('velero');
    expect(event).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: expect.stringMatching(/^nightly\.[0-9a-f]{16}$/), namespace: 'velero' },
      eventTime: '2026-12-01T10:11:12.345000Z',
      reportingController: 'kubepoll.dev/stale-backups',
      reportingInstance: 'stale-backups-7d9f-x2k4q',
      action: 'BackupStale',
      reason: 'BackupStale',
      note: 'last backup is 3 days old',
      type: 'Warning',
      regarding: {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        name: 'nightly',
        namespace: 'velero',
        uid: 'b-uid-1',
        resourceVersion: '42',
      },
    });
    expect(EVENTS_REF).toEqual({ group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true });
  });

  it('puts an Event about a cluster-scoped object in "default", with no namespace in regarding', () => {
    const { namespace, event } = eventFor(node, { type: 'Normal', reason: 'Drained', note: 'ok', action: 'Drain' }, source);
    expect(namespace).toBe('default');
    expect(event.metadata).toMatchObject({ namespace: 'default' });
    expect(event.regarding).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-uid-1' });
    expect(event).toMatchObject({ action: 'Drain', reason: 'Drained', type: 'Normal' });
  });

  it('writes eventTime with microseconds, as metav1.MicroTime', () => {
    const { event } = eventFor(backup, stale, { ...source, now: Date.UTC(2026, 0, 2, 3, 4, 5, 6) });
    expect(event.eventTime).toBe('2026-01-02T03:04:05.006000Z');
  });

  it('cuts reportingInstance to the 128 characters the API server allows', () => {
    const { event } = eventFor(backup, stale, { ...source, reportingInstance: 'p'.repeat(300) });
    expect(event.reportingInstance).toBe('p'.repeat(128));
  });

  it('keeps a note of exactly 1024 bytes, and cuts a longer one to 1024 bytes ending in "..."', () => {
    expect(MAX_NOTE_BYTES).toBe(1024);
    const exact = 'a'.repeat(1024);
    expect(eventFor(backup, { ...stale, note: exact }, source).event.note).toBe(exact);
    expect(eventFor(backup, { ...stale, note: 'a'.repeat(2000) }, source).event.note).toBe(`${'a'.repeat(1021)}...`);
  });

  it('cuts a note on a UTF-8 character boundary, never inside a character', () => {
    // "€" is 3 bytes: 1021 bytes hold 340 of them and one byte of the next.
    const euro = eventFor(backup, { ...stale, note: '€'.repeat(400) }, source).event.note as string;
    expect(euro).toBe(`${'€'.repeat(340)}...`);
    expect(Buffer.byteLength(euro)).toBe(1023);
    // "😀" is 4 bytes (2 UTF-16 units): after "abc", 1021 bytes hold 254 of them and 2 bytes of the next.
    const emoji = eventFor(backup, { ...stale, note: `abc${'😀'.repeat(300)}` }, source).event.note as string;
    expect(emoji).toBe(`abc${'😀'.repeat(254)}...`);
    expect(Buffer.byteLength(emoji)).toBe(1022);
    expect(emoji).not.toContain('\ufffd');
    // After "ab" the cut keeps 3 of the 4 bytes: one replacement character that would just fit in 1024 bytes.
    const three = eventFor(backup, { ...stale, note: `ab${'😀'.repeat(300)}` }, source).event.note as string;
    expect(three).toBe(`ab${'😀'.repeat(254)}...`);
    expect(Buffer.byteLength(three)).toBe(1021);
  });

  it('names the Event deterministically per object, note and run: a retried create is an AlreadyExists', () => {
    const name = (subject: EventSubject, note: EventNote, s = source) => eventFor(subject, note, s).event.metadata?.name;
    const first = name(backup, stale);
    expect(name(backup, stale, { ...source, now: source.now + 5000 })).toBe(first);
    expect(name(backup, stale, { ...source, runId: 'run-2' })).not.toBe(first);
    expect(name(backup, { ...stale, note: 'last backup is 4 days old' })).not.toBe(first);
    expect(name(backup, { ...stale, type: 'Normal' })).not.toBe(first);
    expect(name({ ...backup, metadata: { ...backup.metadata, uid: 'b-uid-2' } }, stale)).not.toBe(first);
  });

  it('makes a valid Event name from any object name', () => {
    const name = (objectName: string) =>
      eventFor({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: objectName } }, stale, source)
        .event.metadata?.name as string;
    expect(name('system:controller:job-controller')).toMatch(/^system-controller-job-controller\.[0-9a-f]{16}$/);
    // Cut at 200 characters this one would end in ".", making "..": the dot goes.
    const long = name(`${'a'.repeat(199)}.${'b'.repeat(50)}`);
    expect(long).toMatch(/^a{199}\.[0-9a-f]{16}$/);
    for (const n of [long, name('Mixed_Case:Name'), name('-.-'), name(`${'x-'.repeat(150)}y`)]) {
      expect(n).toMatch(DNS_SUBDOMAIN);
      expect(n.length).toBeLessThanOrEqual(253);
    }
  });

  it.each([
    [{ ...stale, type: 'Info' }, "ctx.record type must be 'Normal' or 'Warning', got \"Info\""],
    [
      { ...stale, reason: 'Backup stale' },
      'ctx.record reason must be UpperCamelCase letters and digits (at most 128), got "Backup stale"',
    ],
    [{ ...stale, reason: '' }, 'ctx.record reason must be'],
    [{ ...stale, reason: '1Stale' }, 'ctx.record reason must be'],
    [{ ...stale, reason: 'R'.repeat(129) }, 'ctx.record reason must be'],
  ])('refuses a bad note with a TypeError: %j', (note, message) => {
    expect(() => eventFor(backup, note as EventNote, source)).toThrow(TypeError);
    expect(() => eventFor(backup, note as EventNote, source)).toThrow(message);
  });

  it('accepts a reason of exactly 128 characters', () => {
    expect(eventFor(backup, { ...stale, reason: 'R'.repeat(128) }, source).event.reason).toBe('R'.repeat(128));
  });

  it('refuses an object it cannot name', () => {
    expect(() => eventFor({ apiVersion: 'v1', kind: 'Pod', metadata: {} }, stale, source)).toThrow(
      new TypeError('ctx.record needs an object with metadata.name'),
    );
    expect(() => eventFor({ apiVersion: 'v1', kind: 'Pod' }, stale, source)).toThrow(TypeError);
    expect(() => eventFor({ kind: 'Pod', metadata: { name: 'p' } }, stale, source)).toThrow(
      new TypeError('ctx.record needs an object with apiVersion and kind'),
    );
    expect(() => eventFor({ apiVersion: 'v1', metadata: { name: 'p' } }, stale, source)).toThrow(/apiVersion and kind/);
  });
});

describe('eventKey', () => {
  it('is the same for the same object, type, reason and note: recorded once per run', () => {
    expect(eventKey(backup, stale)).toBe(eventKey({ ...backup }, { ...stale }));
    // The action is not part of it: the same finding said twice is one Event.
    expect(eventKey(backup, { ...stale, action: 'Check' })).toBe(eventKey(backup, stale));
  });

  it('differs when the note, type, reason or object differs', () => {
    const key = eventKey(backup, stale);
    expect(eventKey(backup, { ...stale, note: 'other' })).not.toBe(key);
    expect(eventKey(backup, { ...stale, type: 'Normal' })).not.toBe(key);
    expect(eventKey(backup, { ...stale, reason: 'BackupOld' })).not.toBe(key);
    expect(eventKey({ ...backup, metadata: { ...backup.metadata, uid: 'b-uid-2' } }, stale)).not.toBe(key);
  });

  it('tells objects without a uid apart by kind, namespace and name', () => {
    const cm = (namespace: string, name: string, kind = 'ConfigMap'): EventSubject => ({
      apiVersion: 'v1',
      kind,
      metadata: { name, namespace },
    });
    const key = eventKey(cm('a', 'x'), stale);
    expect(eventKey(cm('a', 'x'), stale)).toBe(key);
    expect(eventKey(cm('b', 'x'), stale)).not.toBe(key);
    expect(eventKey(cm('a', 'y'), stale)).not.toBe(key);
    expect(eventKey(cm('a', 'x', 'Secret'), stale)).not.toBe(key);
  });
});
