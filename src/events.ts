import { createHash } from 'node:crypto';
import { microTime } from './clock.js';
import type { EventNote, EventSubject, KubeObject } from './job.js';

/** The ref of `events.k8s.io/v1` Events: what a job declares (`create`) to use `ctx.record`. */
export const EVENTS_REF = { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true } as const;

/** The longest note the API server accepts (events.k8s.io/v1 validation). */
export const MAX_NOTE_BYTES = 1024;

export interface EventSource {
  /** `kubepoll.dev/<job>`. */
  reportingController: string;
  /** The pod's name when known, else `kubepoll-<job>-<run id>`: at most 128 characters. */
  reportingInstance: string;
  runId: string;
  now: number;
}

/**
 * The `events.k8s.io/v1` Event that records `note` about `subject`, and the
 * namespace it goes to: the object's own, or `default` for a cluster-scoped
 * object (as client-go's recorder does). Its name is the object's name and a
 * hash of what it says and of the run, so a retried create is an
 * AlreadyExists, not a second Event.
 */
export function eventFor(subject: EventSubject, note: EventNote, source: EventSource): { namespace: string; event: KubeObject } {
  const meta = subject.metadata ?? {};
  const name = meta.name;
  if (!name) throw new TypeError('ctx.record needs an object with metadata.name');
  if (!subject.kind || !subject.apiVersion) throw new TypeError('ctx.record needs an object with apiVersion and kind');
  if (note.type !== 'Normal' && note.type !== 'Warning') {
    throw new TypeError(`ctx.record type must be 'Normal' or 'Warning', got ${JSON.stringify(note.type)}`);
  }
  if (typeof note.reason !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,127}$/.test(note.reason)) {
    throw new TypeError(
      `ctx.record reason must be UpperCamelCase letters and digits (at most 128), got ${JSON.stringify(note.reason)}`,
    );
  }
  const namespace = meta.namespace || 'default';
  const action = note.action ?? note.reason;
  const digest = createHash('sha256')
    .update([meta.uid ?? '', namespace, name, note.type, note.reason, action, note.note, source.runId].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  const regarding: Record<string, string> = { apiVersion: subject.apiVersion, kind: subject.kind, name };
  if (meta.namespace) regarding.namespace = meta.namespace;
  if (meta.uid) regarding.uid = meta.uid;
  if (meta.resourceVersion) regarding.resourceVersion = meta.resourceVersion;
  return {
    namespace,
    event: {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${eventNameBase(name)}.${digest}`, namespace },
      eventTime: microTime(source.now),
      reportingController: source.reportingController,
      reportingInstance: source.reportingInstance.slice(0, 128),
      action,
      reason: note.reason,
      note: truncateUtf8(String(note.note), MAX_NOTE_BYTES),
      type: note.type,
      regarding,
    },
  };
}

/** The dedup key of a note within a run: the same object, type, reason and note are recorded once. */
export function eventKey(subject: EventSubject, note: EventNote): string {
  const meta = subject.metadata ?? {};
  return [meta.uid ?? `${subject.kind}/${meta.namespace ?? ''}/${meta.name ?? ''}`, note.type, note.reason, note.note].join(
    '\u0000',
  );
}

/**
 * The object's name made a valid start of an Event name (a DNS subdomain):
 * some kinds allow names an Event may not have (a ClusterRole's
 * `system:controller:x`), and a name cut at 200 characters may end in `.` or `-`.
 */
function eventNameBase(name: string): string {
  const labels = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, ''))
    .filter(Boolean);
  return (
    labels
      .join('.')
      .slice(0, 200)
      .replace(/[-.]+$/, '') || 'object'
  );
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = Buffer.from(text)
    .subarray(0, maxBytes - 3)
    .toString('utf8');
  while (Buffer.byteLength(`${out}...`) > maxBytes || out.endsWith('\ufffd')) out = out.slice(0, -1);
  return `${out}...`;
}
