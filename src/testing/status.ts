/** Status bodies with the API server's own reasons and messages. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: Record<string, unknown>;
  code: number;
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

export const unauthorized = () => status(401, 'Unauthorized', 'Unauthorized');

export const unknownResource = () => status(404, 'NotFound', 'the server could not find the requested resource', {});

export const notFound = (group: string, plural: string, name: string) =>
  status(404, 'NotFound', `${qualified(group, plural)} "${name}" not found`, { name, group, kind: plural });

export const alreadyExists = (group: string, plural: string, name: string) =>
  status(409, 'AlreadyExists', `${qualified(group, plural)} "${name}" already exists`, { name, group, kind: plural });

export const conflict = (group: string, plural: string, name: string) =>
  status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: plural },
  );

export function forbidden(
  user: string,
  verb: string,
  group: string,
  plural: string,
  namespace: string | undefined,
  name?: string,
) {
  const subject = name === undefined ? qualified(group, plural) : `${qualified(group, plural)} "${name}"`;
  const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return status(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${group}" ${where}`,
    { ...(name === undefined ? {} : { name }), group, kind: plural },
  );
}

export const invalid = (kind: string, group: string, name: string, field: string, detail: string) =>
  status(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${field}: ${detail}`, {
    name,
    group,
    kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });

export const badRequest = (message: string) => status(400, 'BadRequest', message);

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
