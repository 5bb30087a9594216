/**
 * create, update (PUT), patch (merge, JSON, strategic for built-ins, apply)
 * and delete, in kube-apiserver's order: options, body, admission (the
 * namespace must exist and not be terminating), ownership (managedFields),
 * the registry strategy, validation, storage. Each answer is the one the
 * real server gives, Status bodies included.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../job.js';
import { schemaErrors } from './crd-schema.js';
import {
  apiVersionOf,
  dryRunError,
  existingOf,
  type FakeRequest,
  goJsonError,
  isDryRun,
  json,
  managerOf,
  parseBody,
  type Reply,
} from './fake-request.js';
import {
  ApplyConflict,
  applyConfiguration,
  conflictCauses,
  encodeManagedFields,
  type ManagerEntry,
  recordUpdate,
} from './field-manager.js';
import { deepEqual } from './field-ops.js';
import { applyJsonPatch, JsonPatchError } from './json-patch.js';
import {
  decode,
  isCustom,
  kindKey,
  prepareCreate,
  prepareUpdate,
  resetFields,
  unknownFields,
  zeroValue,
} from './object-kinds.js';
import * as S from './status.js';
import { mergePatch, type ServedResource } from './store.js';
import { eventErrors, type FieldError, forbidden, metadataErrors, nameErrors, required } from './validation.js';

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const APPLY_CBOR = 'application/apply-patch+cbor';

/** Characters the API server draws generated name suffixes from. */
const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

const writer = (req: FakeRequest) => ({
  manager: managerOf(req),
  apiVersion: apiVersionOf(req.resource),
  subresource: req.subresource,
});

/** How kube-apiserver quotes a body in a decoding error: its first 30 characters. */
const quoted = (body: string) => (body.length > 30 ? `${body.slice(0, 30)} ...` : body);

/** The body as an object of this resource's kind, or the 400 the API server gives. */
function bodyObject(req: FakeRequest): KubeObject | Reply {
  const { resource } = req;
  const parsed = parseBody(req.body);
  const unrecognized = (why: string) =>
    json(
      400,
      S.badRequest(`the object provided is unrecognized (must be of type ${resource.kind}): ${why} (${quoted(req.body)})`),
    );
  if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return unrecognized(
      `couldn't get version/kind; json parse error: ${parsed === undefined ? goJsonError(req.body) : 'Object is not a map'}`,
    );
  }
  const object = parsed as KubeObject;
  // A built-in type takes its kind from the URL; a custom resource's body must say it.
  if (isCustom(resource) && !object.kind) return unrecognized(`Object 'Kind' is missing in '${req.body}'`);
  const expected = apiVersionOf(resource);
  if (object.kind !== undefined && (object.kind !== resource.kind || (object.apiVersion ?? expected) !== expected)) {
    const [g = '', v = ''] = String(object.apiVersion ?? '').includes('/')
      ? String(object.apiVersion).split('/')
      : ['', object.apiVersion ?? ''];
    const from = `${g ? `${g.split('.')[0]}.` : ''}${v}.${object.kind}`;
    return json(
      400,
      S.badRequest(
        `${object.kind} in version "${v}" cannot be handled as a ${resource.kind}: converting (${from}) to (${resource.group ? resource.group.split('.')[0] : 'core'}.${resource.kind}): unknown conversion`,
      ),
    );
  }
  if (req.query.get('fieldValidation') === 'Strict') {
    const unknown = unknownFields(resource, object);
    if (unknown.length > 0) {
      return json(
        400,
        S.badRequest(
          `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
        ),
      );
    }
  }
  return object;
}

const isReply = (v: unknown): v is Reply => typeof v === 'object' && v !== null && 'status' in v && ('json' in v || 'text' in v);

/** Namespaced writes that create an object need the namespace, and it must not be terminating. */
function admitCreate(req: FakeRequest, name: string): Reply | undefined {
  if (!req.resource.namespaced || req.namespace === undefined) return undefined;
  const namespaces = req.store.resource('', 'v1', 'namespaces') as ServedResource;
  const ns = req.store.get(namespaces, undefined, req.namespace);
  if (!ns) return json(404, S.namespaceNotFound(req.namespace));
  if (ns.metadata?.deletionTimestamp)
    return json(403, S.namespaceTerminating(req.resource.group, req.resource.plural, name, req.namespace));
  return undefined;
}

/** Validation of a new or changed object: names, labels, the kind's own rules, the CRD schema. */
function validate(resource: ServedResource, object: KubeObject, isCreate: boolean): FieldError[] {
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const metaErrors = [
    ...(isCreate ? nameErrors(meta, kindKey(resource) === '/Namespace' ? 'label' : 'subdomain') : []),
    ...metadataErrors(meta),
  ];
  if (kindKey(resource) === 'events.k8s.io/Event' && isCreate) {
    return eventErrors(object as Record<string, unknown>, meta.namespace as string | undefined, metaErrors);
  }
  if (isCustom(resource)) return [...metaErrors, ...schemaErrors(object as Record<string, unknown>, resource.schema)];
  return metaErrors;
}

/** Invalid names the kind by its internal type's group: an events.k8s.io Event is a core Event inside. */
const invalidReply = (resource: ServedResource, name: string, errors: FieldError[]) =>
  json(422, S.invalid(resource.kind, resource.storage?.group ?? resource.group, name, errors));

function withManagers(object: KubeObject, managers: ManagerEntry[]): KubeObject {
  const metadata = { ...(object.metadata ?? {}) };
  const encoded = encodeManagedFields(managers);
  if (encoded.length > 0) metadata.managedFields = encoded as NonNullable<NonNullable<KubeObject['metadata']>['managedFields']>;
  else delete metadata.managedFields;
  return { ...object, metadata };
}

/** Stores a changed object; a write that changes nothing is not stored and keeps its resourceVersion. */
function store(req: FakeRequest, old: KubeObject | undefined, next: KubeObject, status: number): Reply {
  if (old) {
    const { resourceVersion: _a, ...oldMeta } = old.metadata ?? {};
    const { resourceVersion: _b, ...nextMeta } = next.metadata ?? {};
    if (deepEqual({ ...old, metadata: oldMeta }, { ...next, metadata: nextMeta })) return json(200, old);
  }
  return json(status, req.store.put(req.resource, next, { dryRun: isDryRun(req) }));
}

export function create(req: FakeRequest): Reply {
  const { resource } = req;
  const bad = dryRunError(req, 'CreateOptions');
  if (bad) return bad;
  const body = bodyObject(req);
  if (isReply(body)) return body;
  const metadata = { ...(body.metadata ?? {}) } as Record<string, unknown>;
  if (resource.namespaced) {
    if (metadata.namespace !== undefined && metadata.namespace !== req.namespace) {
      return json(400, S.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    }
    metadata.namespace = req.namespace;
  } else delete metadata.namespace;
  if (!metadata.name && typeof metadata.generateName === 'string' && metadata.generateName) {
    metadata.name = `${metadata.generateName}${Array.from({ length: 5 }, () => SUFFIX[Math.floor(Math.random() * SUFFIX.length)]).join('')}`;
  }
  const name = String(metadata.name ?? '');
  const admitted = admitCreate(req, name);
  if (admitted) return admitted;
  const object = decode(resource, { ...body, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata });
  return createObject(req, object, (o) =>
    recordUpdate(zeroValue(resource), o, resource.fieldType, writer(req), resetFields(resource, undefined)),
  );
}

function createObject(req: FakeRequest, object: KubeObject, managersOf: (o: KubeObject) => ManagerEntry[]): Reply {
  const { resource } = req;
  const name = String(object.metadata?.name ?? '');
  const errors = validate(resource, object, true);
  if (errors.length > 0) return invalidReply(resource, name, errors);
  if (req.store.get(resource, resource.namespaced ? req.namespace : undefined, name)) {
    return json(409, S.alreadyExists(resource.group, resource.plural, name));
  }
  const managers = managersOf(object);
  return store(req, undefined, withManagers(prepareCreate(resource, object), managers), 201);
}

export function update(req: FakeRequest): Reply {
  const { resource } = req;
  const bad = dryRunError(req, 'UpdateOptions');
  if (bad) return bad;
  const body = bodyObject(req);
  if (isReply(body)) return body;
  const name = req.name as string;
  if (body.metadata?.name !== undefined && body.metadata.name !== name) {
    return json(400, S.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`));
  }
  if (resource.namespaced && body.metadata?.namespace !== undefined && body.metadata.namespace !== req.namespace) {
    return json(400, S.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  const existing = existingOf(req);
  if (!existing) return json(404, S.notFound(resource.group, resource.plural, name));
  const rv = body.metadata?.resourceVersion;
  if (rv === undefined && isCustom(resource)) {
    // The storage layer says this one, naming the resource (plural), not the kind.
    return json(
      422,
      S.invalid(resource.plural, resource.group, name, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ]),
    );
  }
  if (rv !== undefined && rv !== existing.metadata?.resourceVersion)
    return json(409, S.conflict(resource.group, resource.plural, name));
  const metadata = { ...(body.metadata ?? {}), name, ...(resource.namespaced ? { namespace: req.namespace as string } : {}) };
  return updateObject(
    req,
    existing,
    decode(resource, { ...body, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata }),
  );
}

function updateObject(req: FakeRequest, existing: KubeObject, next: KubeObject): Reply {
  const { resource } = req;
  const managers = recordUpdate(existing, next, resource.fieldType, writer(req), resetFields(resource, req.subresource));
  const prepared = prepareUpdate(resource, existing, withManagers(next, managers), req.subresource);
  const errors = validate(resource, prepared, false);
  if (errors.length > 0) return invalidReply(resource, req.name as string, errors);
  return store(req, existing, prepared, 200);
}

export function patch(req: FakeRequest): Reply {
  const { resource } = req;
  const bad = dryRunError(req, 'PatchOptions');
  if (bad) return bad;
  const type = req.contentType.split(';')[0]?.trim() ?? '';
  const accepted = [JSON_PATCH, MERGE, APPLY, ...(resource.builtin ? [STRATEGIC] : [])];
  if (type === APPLY_CBOR || (type === STRATEGIC && !resource.builtin)) {
    return json(415, S.unsupportedPatchType(accepted.filter((t) => t !== STRATEGIC)));
  }
  if (![JSON_PATCH, MERGE, APPLY, STRATEGIC].includes(type)) return json(415, S.unsupportedMediaType());
  if (req.query.has('force') && type !== APPLY) {
    return json(422, S.invalidOptions('PatchOptions', [forbidden('force', 'may not be specified for non-apply patch')]));
  }
  if (type === APPLY) return apply(req);
  const name = req.name as string;
  const existing = existingOf(req);
  if (!existing) return json(404, S.notFound(resource.group, resource.plural, name));
  let next: KubeObject;
  if (type === JSON_PATCH) {
    const ops = parseBody(req.body);
    if (ops === undefined) return json(400, S.badRequest('invalid JSON patch'));
    if (!Array.isArray(ops)) {
      return json(
        400,
        S.badRequest('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'),
      );
    }
    try {
      next = applyJsonPatch(existing, ops) as KubeObject;
    } catch (error) {
      if (error instanceof JsonPatchError) return json(422, S.patchRejected());
      throw error;
    }
  } else {
    // Strategic merge patch of the kinds the fake serves is a merge patch: none of their lists merges by key.
    const change = parseBody(req.body);
    if (change === undefined) return json(400, S.badRequest('invalid JSON patch'));
    const wantedRv = (change as KubeObject | null)?.metadata?.resourceVersion;
    if (wantedRv !== undefined && wantedRv !== existing.metadata?.resourceVersion) {
      return json(409, S.conflict(resource.group, resource.plural, name));
    }
    next = mergePatch(existing, change) as KubeObject;
  }
  const metadata = { ...(next.metadata ?? {}), name, ...(resource.namespaced ? { namespace: req.namespace as string } : {}) };
  return updateObject(
    req,
    existing,
    decode(resource, { ...next, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata }),
  );
}

function apply(req: FakeRequest): Reply {
  const { resource } = req;
  const name = req.name as string;
  if (!req.query.get('fieldManager')) {
    return json(422, S.invalidOptions('PatchOptions', [required('fieldManager', 'is required for apply patch')]));
  }
  let config: KubeObject;
  try {
    config = parseYaml(req.body) as KubeObject;
  } catch (error) {
    return json(400, S.badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`));
  }
  if (!config || typeof config !== 'object' || !config.apiVersion || !config.kind) {
    const gv = String(config?.apiVersion ?? '');
    const [g, v] = gv.includes('/') ? gv.split('/') : ['', gv];
    return json(400, S.badRequest(`invalid object type: ${g}/${v}, Kind=${config?.kind ?? ''}`));
  }
  if (config.metadata?.name !== undefined && config.metadata.name !== name) {
    return json(
      400,
      S.badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`),
    );
  }
  if (resource.namespaced && config.metadata?.namespace !== undefined && config.metadata.namespace !== req.namespace) {
    return json(400, S.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  const existing = existingOf(req);
  if (!existing) {
    if (req.subresource) return json(404, S.notFound(resource.group, resource.plural, name));
    const admitted = admitCreate(req, name);
    if (admitted) return admitted;
  }
  const metadata = { ...(config.metadata ?? {}), name, ...(resource.namespaced ? { namespace: req.namespace as string } : {}) };
  const decoded = decode(resource, { ...config, metadata });
  let result: ReturnType<typeof applyConfiguration>;
  try {
    result = applyConfiguration(existing, decoded, resource.fieldType, writer(req), {
      force: req.query.get('force') === 'true',
      reset: resetFields(resource, req.subresource),
    });
  } catch (error) {
    if (error instanceof ApplyConflict) return json(409, S.applyConflict(error.message, conflictCauses(error.conflicts)));
    throw error;
  }
  const object = { ...result.object, apiVersion: apiVersionOf(resource), kind: resource.kind } as KubeObject;
  if (!existing) return createObject(req, object, () => result.managers);
  const prepared = prepareUpdate(resource, existing, withManagers(object, result.managers), req.subresource);
  const errors = validate(resource, prepared, false);
  if (errors.length > 0) return invalidReply(resource, name, errors);
  return store(req, existing, prepared, 200);
}

export function remove(req: FakeRequest): Reply {
  const { resource } = req;
  const bad = dryRunError(req, 'DeleteOptions');
  if (bad) return bad;
  const name = req.name as string;
  const existing = existingOf(req);
  if (!existing) return json(404, S.notFound(resource.group, resource.plural, name));
  if (kindKey(resource) === '/Namespace') {
    // No namespace controller runs (as in a bare API server): the namespace stays Terminating.
    if (existing.metadata?.deletionTimestamp) return json(200, existing);
    const terminating = {
      ...existing,
      metadata: { ...existing.metadata, deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      status: { ...((existing.status as object | undefined) ?? {}), phase: 'Terminating' },
    };
    return json(200, req.store.put(resource, terminating, { dryRun: isDryRun(req) }));
  }
  req.store.remove(resource, resource.namespaced ? req.namespace : undefined, name, { dryRun: isDryRun(req) });
  return json(200, S.deleted(resource.group, resource.plural, name, existing.metadata?.uid));
}
