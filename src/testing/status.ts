/** Status bodies with the API server's own reasons, messages and details (an empty group is left out, as Go omits it). */
import { errorList, type FieldError } from './validation.js';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code?: number;
}

export function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** `plural.group`, as the API server names a resource in messages. */
export const qualified = (group: string, plural: string) => (group ? `${plural}.${group}` : plural);

/** StatusDetails: name, group and kind, each only when set. */
const details = (name: string | undefined, group: string, kind: string, more: Record<string, unknown> = {}) => ({
  ...(name ? { name } : {}),
  ...(group ? { group } : {}),
  kind,
  ...more,
});

export const unauthorized = () => status(401, 'Unauthorized', 'Unauthorized');

/** A built-in group serves no such resource (a group no CRD serves answers the plain-text `404 page not found` instead). */
export const unknownResource = () => status(404, 'NotFound', 'the server could not find the requested resource', {});

export const notFound = (group: string, plural: string, name: string) =>
  status(404, 'NotFound', `${qualified(group, plural)} "${name}" not found`, details(name, group, plural));

export const namespaceNotFound = (namespace: string) => notFound('', 'namespaces', namespace);

export const alreadyExists = (group: string, plural: string, name: string) =>
  status(409, 'AlreadyExists', `${qualified(group, plural)} "${name}" already exists`, details(name, group, plural));

export const conflict = (group: string, plural: string, name: string) =>
  status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(name, group, plural),
  );

export function forbidden(
  user: string,
  verb: string,
  group: string,
  plural: string,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
) {
  const subject = name === undefined ? qualified(group, plural) : `${qualified(group, plural)} "${name}"`;
  const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const what = subresource ? `resource "${plural}/${subresource}"` : `resource "${plural}"`;
  return status(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} ${what} in API group "${group}" ${where}`,
    details(name, group, plural),
  );
}

/** A create in a namespace that is being deleted. */
export const namespaceTerminating = (group: string, plural: string, name: string, namespace: string) =>
  status(
    403,
    'Forbidden',
    `${qualified(group, plural)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
    details(name, group, plural, {
      causes: [
        { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ],
    }),
  );

/** 422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <message>` (a list in brackets for several). */
export const invalid = (kind: string, group: string, name: string, errors: readonly FieldError[]) =>
  status(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${errorList(errors)}`, {
    ...details(name, group, kind),
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });

/** A bad query parameter (`dryRun`, `force`, `fieldManager`): `PatchOptions.meta.k8s.io "" is invalid: ...`. */
export const invalidOptions = (options: string, errors: readonly FieldError[]) => invalid(options, 'meta.k8s.io', '', errors);

export const badRequest = (message: string) => status(400, 'BadRequest', message);

export const methodNotAllowed = () =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** A patch content type the server does not take at all. */
export const unsupportedMediaType = () => status(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});

/** A patch type this resource does not take (a custom resource and strategic merge patch). */
export const unsupportedPatchType = (accepted: readonly string[]) => {
  const s = status(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
  return s;
};

/** What a JSON patch that cannot be applied gets. */
export const patchRejected = () => status(422, 'Invalid', 'the server rejected our request due to an error in our request', {});

export const applyConflict = (message: string, causes: readonly Record<string, string>[]) =>
  status(409, 'Conflict', message, { causes });

/** The answer to a delete of most resources: Success, naming what was deleted. */
export const deleted = (group: string, plural: string, name: string, uid: string | undefined): Status => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details: details(name, group, plural, uid ? { uid } : {}),
});

export function expired(continueToken: string | undefined): Status {
  const base =
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter';
  const body = continueToken
    ? status(
        410,
        'Expired',
        `${base}, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`,
      )
    : status(410, 'Expired', `${base}.`);
  if (continueToken) body.metadata.continue = continueToken;
  return body;
}
