import { KubepollError } from './errors.js';
import type { SecretSet } from './redact.js';

/** What a request was about, for error messages and logs. Never holds credentials. */
export interface RequestDescription {
  verb: string;
  /** `plural.group`, or just `plural` for the core group (as kubectl names them). */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/** The parts of a Kubernetes `Status` object that kubepoll reads. */
export interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  metadata?: { continue?: string };
}

/** The Status `reason` the API server gives each HTTP status (used when a body has none, and by the test kit). */
export const REASON_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The API server's message when the URL names no resource of a built-in group it serves. */
const UNKNOWN_RESOURCE_MESSAGE = 'the server could not find the requested resource';
/** What the API server answers, in text/plain, for a path no handler serves: a custom resource with no CRD. */
const NO_HANDLER_BODY = '404 page not found';

/** One field that another field manager owns, from a server-side apply conflict. */
export interface ApplyConflict {
  /** The other manager, e.g. `kubectl-client-side-apply`. */
  manager: string;
  /** The field, e.g. `.spec.replicas`. */
  field: string;
}

/**
 * The API server answered with an error status. Carries the status code, the
 * Status reason, the verb and resource of the request and the server's own
 * message, parsed from the Status body when there is one (API Priority and
 * Fairness answers 429 in plain text, and a 401 may have no body at all).
 *
 * @example
 * ```ts
 * try { await ctx.patch(ref, 'a', { spec: {} }); }
 * catch (err) { if (err instanceof ApiError && err.status === 409) ctx.log.warn('conflict'); else throw err; }
 * ```
 */
export class ApiError extends KubepollError {
  override name = 'ApiError';
  readonly code = 'API';
  readonly status: number;
  readonly reason: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly objectName: string | undefined;
  /** The server's message (Status `message`, or the start of a plain-text body). */
  readonly serverMessage: string;
  /** The raw `Retry-After` header, if any. */
  readonly retryAfter: string | undefined;
  /** On `410 Expired`: the inconsistent-continue token from the Status's `metadata.continue`. */
  readonly continueToken: string | undefined;
  /** True for a 404 that means "no such resource type" rather than "no such object". */
  readonly unknownResource: boolean;
  /** On a server-side apply conflict (409): the fields other managers own. */
  readonly conflicts: readonly ApplyConflict[];

  constructor(init: {
    status: number;
    reason: string;
    request: RequestDescription;
    serverMessage: string;
    retryAfter?: string | undefined;
    continueToken?: string | undefined;
    unknownResource?: boolean;
    conflicts?: readonly ApplyConflict[];
    hint?: string | undefined;
  }) {
    const { request } = init;
    super(
      `${describeRequest(request)}: ${init.status} ${init.reason}: ${init.serverMessage}${init.hint ? ` (${init.hint})` : ''}`,
    );
    this.status = init.status;
    this.reason = init.reason;
    this.verb = request.verb;
    this.resource = request.resource;
    this.namespace = request.namespace;
    this.objectName = request.name;
    this.serverMessage = init.serverMessage;
    this.retryAfter = init.retryAfter;
    this.continueToken = init.continueToken;
    this.unknownResource = init.unknownResource ?? false;
    this.conflicts = init.conflicts ?? [];
  }

  /** Retrying cannot fix it and the Job should fail at once (exit code 3). */
  get permanent(): boolean {
    return this.status === 401 || this.status === 403 || this.unknownResource;
  }
}

/** A request as errors name it: `get widgets.example.com "a" in namespace x`. */
export function describeRequest(request: RequestDescription): string {
  const name = request.name === undefined ? '' : ` "${request.name}"`;
  const namespace = request.namespace === undefined ? '' : ` in namespace ${request.namespace}`;
  return `${request.verb} ${request.resource}${name}${namespace}`;
}

/**
 * Builds an `ApiError` from a raw response: status, `Retry-After` header, content
 * type and body text. Every server-supplied string is scrubbed of the run's
 * credentials (a server may echo the Authorization header back).
 */
export function apiErrorFromResponse(
  response: { status: number; retryAfter?: string | undefined; contentType?: string | undefined; bodyText: string },
  request: RequestDescription,
  secrets?: SecretSet,
): ApiError {
  const { status } = response;
  const scrub = (text: string) => (secrets ? secrets.scrub(text) : text);
  const body = parseStatus(response.bodyText);
  const plain = scrub(response.bodyText.trim().split('\n')[0] ?? '').slice(0, 300);
  // Capped, as the plain-text line is: a hostile server's 5 MB message is not an error message.
  const serverMessage =
    body?.message === undefined ? plain || REASON_BY_STATUS[status] || 'no message' : scrub(body.message).slice(0, 1000);
  const reason = (body?.reason && scrub(body.reason)) || REASON_BY_STATUS[status] || `HTTP${status}`;
  const noHandler = status === 404 && body === undefined && response.bodyText.trim() === NO_HANDLER_BODY;
  const unknownResource =
    noHandler || (status === 404 && body?.details?.name === undefined && body?.message === UNKNOWN_RESOURCE_MESSAGE);
  const conflicts = status === 409 ? applyConflicts(body) : [];
  let hint: string | undefined;
  if (unknownResource)
    hint = `the server does not serve ${request.resource}: is its CustomResourceDefinition installed, and the version right?`;
  else if (conflicts.length > 0) hint = 'another field manager owns these fields; pass { force: true } to take them over';
  return new ApiError({
    status,
    reason,
    request,
    serverMessage,
    retryAfter: response.retryAfter,
    continueToken: body?.metadata?.continue || undefined,
    unknownResource,
    conflicts,
    hint,
  });
}

/** The conflicts of a server-side apply, from the Status causes (`conflict with "kubectl" using v1: .spec.x`). */
function applyConflicts(body: StatusBody | undefined): ApplyConflict[] {
  const out: ApplyConflict[] = [];
  for (const cause of body?.details?.causes ?? []) {
    if (typeof cause !== 'object' || cause === null || cause.reason !== 'FieldManagerConflict') continue;
    const manager = /conflict with "([^"]*)"/.exec(cause.message ?? '')?.[1] ?? '';
    out.push({ manager, field: cause.field ?? '' });
  }
  return out;
}

/** Parses a Kubernetes Status body; `undefined` for anything else (plain text, HTML, empty). */
export function parseStatus(bodyText: string): StatusBody | undefined {
  if (!bodyText.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(bodyText);
    if (typeof value === 'object' && value !== null && (value as StatusBody).kind === 'Status') {
      const status = value as StatusBody;
      // Only strings are trusted as strings: a hostile server may send anything.
      if (status.message !== undefined && typeof status.message !== 'string') status.message = JSON.stringify(status.message);
      if (status.reason !== undefined && typeof status.reason !== 'string') delete status.reason;
      if (status.metadata && typeof status.metadata.continue !== 'string') delete status.metadata.continue;
      if (status.details?.causes !== undefined && !Array.isArray(status.details.causes)) status.details.causes = [];
      return status;
    }
  } catch {
    // not JSON: treated as plain text by the caller
  }
  return undefined;
}
