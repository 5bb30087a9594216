/**
 * A CRD's structural schema (OpenAPI v3 with Kubernetes extensions) as the plain
 * JSON Schema that json-schema-to-typescript understands. Pure.
 *
 * Only what decides a TypeScript type is kept (type, properties, required, items,
 * additionalProperties, enum, nullable, description and the `x-kubernetes-*`
 * extensions below); validation-only keywords (pattern, minimum, maxItems, CEL
 * rules, `allOf`/`anyOf`/`oneOf`/`not`, which a structural schema may only use
 * for value validation) are dropped, so they cannot turn into odd types.
 *
 * - no `additionalProperties`: the API server prunes unknown fields, so an object
 *   type has no index signature unless the schema keeps unknown fields;
 * - `x-kubernetes-preserve-unknown-fields`: `[k: string]: unknown` next to the
 *   declared fields, or `unknown` when the node has no type at all;
 * - `x-kubernetes-int-or-string`: `number | string`;
 * - `x-kubernetes-embedded-resource`: `apiVersion`, `kind` and `metadata: ObjectMeta`;
 * - `nullable`: `| null`; `enum`: a union of literals (never a TypeScript enum);
 * - `type: object` with no fields at all: `Record<string, never>` (the server
 *   prunes whatever is sent).
 */

/** The subset of JSON Schema (plus json-schema-to-typescript's `tsType`) this module emits. */
export interface TypeSchema {
  description?: string;
  type?: string | string[];
  properties?: Record<string, TypeSchema>;
  required?: string[];
  items?: TypeSchema;
  additionalProperties?: boolean | TypeSchema;
  enum?: (string | number | boolean | null)[];
  /** Emitted as is by json-schema-to-typescript. */
  tsType?: string;
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Converts one node of a CRD's `openAPIV3Schema` (and everything under it).
 * `path` names the node in errors (`spec.template`).
 *
 * @example
 * ```ts
 * typeSchema({ type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true } } }, 'spec');
 * // → { type: 'object', properties: { port: { tsType: 'number | string' } } }
 * ```
 */
export function typeSchema(node: unknown, path: string): TypeSchema {
  if (!isNode(node)) throw new Error(`${path}: a schema must be an object, got ${JSON.stringify(node)}`);
  const out: TypeSchema = {};
  if (typeof node.description === 'string' && node.description.trim() !== '') out.description = node.description;
  const nullable = node.nullable === true;

  if (node['x-kubernetes-int-or-string'] === true) return withTsType(out, 'number | string', nullable);

  const type = typeof node.type === 'string' ? node.type : undefined;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = node['x-kubernetes-embedded-resource'] === true;
  if (Array.isArray(node.enum)) {
    const values = node.enum.filter(
      (v): v is string | number | boolean | null =>
        v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean',
    );
    out.enum = nullable && !values.includes(null) ? [...values, null] : values;
    return out;
  }

  if (type === undefined && !embedded && !isNode(node.properties) && node.additionalProperties === undefined) {
    // An untyped node holds any JSON value (a structural schema allows it only with preserve-unknown-fields).
    return withTsType(out, 'unknown', false);
  }

  if (type === 'array') {
    out.items = isNode(node.items) ? typeSchema(node.items, `${path}[]`) : { tsType: 'unknown' };
    return withType(out, 'array', nullable);
  }

  if (type === 'object' || type === undefined) {
    // A Map, not an object, so that a field named `__proto__` or `constructor` is just a field.
    const properties = new Map<string, TypeSchema>();
    if (embedded) {
      properties.set('apiVersion', { type: 'string' });
      properties.set('kind', { type: 'string' });
      properties.set('metadata', { tsType: 'ObjectMeta' });
    }
    for (const [name, child] of Object.entries(isNode(node.properties) ? node.properties : {})) {
      const converted = typeSchema(child, `${path}.${name}`);
      // An embedded resource's metadata is ObjectMeta, whatever its schema says (usually just `type: object`).
      properties.set(name, embedded && name === 'metadata' ? { ...describedAs(converted), tsType: 'ObjectMeta' } : converted);
    }
    if (properties.size > 0) out.properties = Object.fromEntries(properties);
    if (Array.isArray(node.required)) {
      const required = node.required.filter((r): r is string => typeof r === 'string' && properties.has(r));
      if (required.length > 0) out.required = required;
    }
    if (isNode(node.additionalProperties)) {
      out.additionalProperties = typeSchema(node.additionalProperties, `${path}{}`);
    } else if (preserve || node.additionalProperties === true) {
      out.additionalProperties = true;
    } else if (out.properties === undefined) {
      return withTsType(out, 'Record<string, never>', nullable);
    }
    return withType(out, 'object', nullable);
  }

  if (type === 'integer' || type === 'number' || type === 'string' || type === 'boolean') {
    return withType(out, type, nullable);
  }
  throw new Error(`${path}: unknown schema type "${type}"`);
}

/** Only the description of a converted node. */
function describedAs(schema: TypeSchema): TypeSchema {
  return schema.description === undefined ? {} : { description: schema.description };
}

function withType(schema: TypeSchema, type: string, nullable: boolean): TypeSchema {
  schema.type = nullable ? [type, 'null'] : type;
  return schema;
}

function withTsType(schema: TypeSchema, tsType: string, nullable: boolean): TypeSchema {
  schema.tsType = nullable ? `${tsType} | null` : tsType;
  return schema;
}
