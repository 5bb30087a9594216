/**
 * Just enough of Kubernetes' protobuf encoding to read a SelfSubjectAccessReview,
 * which kubectl (`kubectl auth can-i`) sends as protobuf, never JSON. The envelope
 * is the magic `k8s\0` followed by a runtime.Unknown message whose field 2 holds
 * the object's own bytes.
 */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Length-delimited fields of one message, by field number. Other wire types are skipped. */
function fields(bytes: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  for (const { field, value } of allFields(bytes)) {
    if (typeof value === 'number') continue;
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const text = (m: Map<number, Buffer[]>, field: number) => m.get(field)?.[0]?.toString('utf8') ?? '';

/** The resource attributes of a protobuf SelfSubjectAccessReview, or `undefined` if it is not one. */
export function decodeAccessReview(
  body: Buffer,
): { namespace: string; verb: string; group: string; version: string; resource: string; name: string } | undefined {
  if (!body.subarray(0, 4).equals(MAGIC)) return undefined;
  const unknown = fields(body.subarray(4));
  const raw = unknown.get(2)?.[0];
  if (!raw) return undefined;
  const spec = fields(raw).get(2)?.[0];
  const attributes = spec && fields(spec).get(1)?.[0];
  if (!attributes) return undefined;
  const a = fields(attributes);
  return {
    namespace: text(a, 1),
    verb: text(a, 2),
    group: text(a, 3),
    version: text(a, 4),
    resource: text(a, 5),
    name: text(a, 7),
  };
}

/** Every field of one message: number, wire type and value (a Buffer for length-delimited, a number for varints). */
function allFields(bytes: Buffer): { field: number; value: Buffer | number }[] {
  const out: { field: number; value: Buffer | number }[] = [];
  let i = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[i++];
      if (byte === undefined) throw new Error('truncated protobuf');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (i < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 2) {
      const length = varint();
      out.push({ field, value: bytes.subarray(i, i + length) });
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

type FieldKind = 'string' | 'bytes' | 'int' | 'bool' | 'map' | 'bytesMap' | 'strings';
type MessageSchema = Record<number, [string, FieldKind | MessageSchema]>;

const OBJECT_META: MessageSchema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  14: ['finalizers', 'strings'],
};

/** The built-in kinds kubectl's typed commands send as protobuf (`kubectl create configmap|secret|namespace`). */
const KINDS: Record<string, MessageSchema> = {
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'map'], 3: ['binaryData', 'bytesMap'], 4: ['immutable', 'bool'] },
  Secret: {
    1: ['metadata', OBJECT_META],
    2: ['data', 'bytesMap'],
    3: ['type', 'string'],
    4: ['stringData', 'map'],
    5: ['immutable', 'bool'],
  },
  Namespace: {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['finalizers', 'strings'] }],
    3: ['status', { 1: ['phase', 'string'] }],
  },
};

function decodeMessage(bytes: Buffer, schema: MessageSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, value } of allFields(bytes)) {
    const entry = schema[field];
    if (!entry) continue;
    const [name, kind] = entry;
    if (typeof kind === 'object') out[name] = decodeMessage(value as Buffer, kind);
    else if (kind === 'string') {
      // proto2 writes empty strings; Go's JSON leaves them out.
      if ((value as Buffer).length > 0) out[name] = (value as Buffer).toString('utf8');
    } else if (kind === 'bytes') out[name] = (value as Buffer).toString('base64');
    else if (kind === 'int') out[name] = value as number;
    else if (kind === 'bool') out[name] = value === 1;
    else if (kind === 'strings') out[name] = [...((out[name] as string[] | undefined) ?? []), (value as Buffer).toString('utf8')];
    else {
      const pair = fields(value as Buffer);
      const key = text(pair, 1);
      const raw = pair.get(2)?.[0] ?? Buffer.alloc(0);
      out[name] = {
        ...((out[name] as object | undefined) ?? {}),
        [key]: kind === 'bytesMap' ? raw.toString('base64') : raw.toString('utf8'),
      };
    }
  }
  return out;
}

/**
 * A protobuf-encoded object of a kind listed above, as its JSON form (what
 * kubectl's typed commands send), or `undefined` when the body is not one.
 */
export function decodeObject(body: Buffer): Record<string, unknown> | undefined {
  if (!body.subarray(0, 4).equals(MAGIC)) return undefined;
  const unknown = fields(body.subarray(4));
  const typeMeta = unknown.get(1)?.[0];
  const raw = unknown.get(2)?.[0];
  if (!typeMeta || !raw) return undefined;
  const t = fields(typeMeta);
  const kind = text(t, 2);
  const schema = KINDS[kind];
  if (!schema) return undefined;
  return { apiVersion: text(t, 1), kind, ...decodeMessage(raw, schema) };
}
