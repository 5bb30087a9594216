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
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const length = varint();
      const list = out.get(field) ?? [];
      list.push(bytes.subarray(i, i + length));
      out.set(field, list);
      i += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
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
