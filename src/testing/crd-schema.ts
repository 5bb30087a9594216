/**
 * What kube-apiserver does with a custom resource's body against its CRD's
 * structural schema: unknown fields are pruned (unless
 * `x-kubernetes-preserve-unknown-fields`), nulls of non-nullable fields
 * dropped, and types, required fields and enums checked, with the API
 * server's messages.
 */
import type { JsonSchema } from './field-schema.js';
import { type FieldError, notSupported, required } from './validation.js';

type Json = unknown;
type Schema = JsonSchema & { nullable?: boolean };

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body without what the schema does not know; `metadata`, `apiVersion` and `kind` are left alone. */
export function pruneToSchema(object: Record<string, Json>, schema: Schema | undefined): Record<string, Json> {
  if (!schema) return object;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') out[key] = value;
    else {
      const child = childSchema(schema, key);
      if (child === undefined) continue;
      const pruned = prune(value, child);
      if (pruned !== undefined) out[key] = pruned;
    }
  }
  return out;
}

const KEEP: Schema = { 'x-kubernetes-preserve-unknown-fields': true };

function childSchema(schema: Schema, key: string): Schema | undefined {
  const named = schema.properties?.[key];
  if (named) return named;
  if (typeof schema.additionalProperties === 'object') return schema.additionalProperties;
  // Below a node that preserves unknown fields, an unknown field is kept whole.
  if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields']) return KEEP;
  return undefined;
}

function prune(value: Json, schema: Schema): Json {
  if (value === null) return schema.nullable ? null : undefined;
  if (Array.isArray(value)) return schema.items ? value.map((v) => prune(v, schema.items as Schema) ?? null) : value;
  if (!isObject(value)) return value;
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties && !schema.additionalProperties) return value;
  if (schema['x-kubernetes-embedded-resource']) return pruneToSchema(value, schema);
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(value)) {
    const child = childSchema(schema, key);
    if (child === undefined) continue;
    const pruned = prune(v, child);
    if (pruned !== undefined) out[key] = pruned;
  }
  return out;
}

const typeOf = (v: Json): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'integer'
          : 'number'
        : typeof v;

/** The schema errors of a (pruned) body, in field order. */
export function schemaErrors(object: Record<string, Json>, schema: Schema | undefined): FieldError[] {
  if (!schema) return [];
  const errs: FieldError[] = [];
  const walk = (value: Json, s: Schema, path: string) => {
    if (value === undefined) return;
    const actual = typeOf(value);
    if (s['x-kubernetes-int-or-string']) {
      if (actual !== 'integer' && actual !== 'string') errs.push(typeError(path, actual, 'integer,string'));
      return;
    }
    if (s.type && !(s.type === actual || (s.type === 'number' && actual === 'integer') || (actual === 'null' && s.nullable))) {
      errs.push(typeError(path, actual, s.type));
      return;
    }
    if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errs.push(
        notSupported(
          path,
          value,
          s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
        ),
      );
    }
    if (isObject(value)) {
      for (const key of s.required ?? []) if (!(key in value)) errs.push(required(path ? `${path}.${key}` : key));
      for (const [key, v] of Object.entries(value)) {
        if (!path && (key === 'metadata' || key === 'apiVersion' || key === 'kind')) continue;
        const child = childSchema(s, key);
        if (child) walk(v, child, path ? `${path}.${key}` : key);
      }
    } else if (Array.isArray(value) && s.items) {
      for (const [i, v] of value.entries()) walk(v, s.items as Schema, `${path}[${i}]`);
    }
  };
  walk(object, schema, '');
  return errs;
}

function typeError(path: string, actual: string, expected: string): FieldError {
  return {
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${JSON.stringify(actual)}: ${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`,
    field: path,
  };
}
