import { KubepollError } from './errors.js';

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
  details?: { name?: string; kind?: string; group?: string; causes?: unknown[]; retryAfterSeconds?: number };
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

/** The API server's message when the URL names no resource it serves. */
const UNKNOWN_RESOURCE_MESSAGE = 'the server could not find the requested resource';

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

  constructor(init: {
    status: number;
    reason: string;
    request: RequestDescription;
    serverMessage: string;
    retryAfter?: string | undefined;
    continueToken?: string | undefined;
    unknownResource?: boolean;
  }) {
    const { request } = init;
    const where = [
      request.name === undefined ? request.resource : `${request.resource} "${request.name}"`,
      request.namespace === undefined ? undefined : `in namespace ${request.namespace}`,
    ]
      .filter(Boolean)
      .join(' ');
    super(`${request.verb} ${where}: ${init.status} ${init.reason}: ${init.serverMessage}`);
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
  }

  /** Retrying cannot fix it and the Job should fail at once (exit code 3). */
  get permanent(): boolean {
    return this.status === 401 || this.status === 403 || this.unknownResource;
  }
}

/** Builds an `ApiError` from a raw response: status, `Retry-After` header and body text. */
export function apiErrorFromResponse(
  status: number,
  retryAfter: string | undefined,
  bodyText: string,
  request: RequestDescription,
): ApiError {
  const body = parseStatus(bodyText);
  const plain = bodyText.trim().split('\n')[0]?.slice(0, 300) ?? '';
  const serverMessage = body?.message ?? (plain || REASON_BY_STATUS[status] || 'no message');
  const reason = body?.reason || REASON_BY_STATUS[status] || `HTTP${status}`;
  return new ApiError({
    status,
    reason,
    request,
    serverMessage,
    retryAfter,
    continueToken: body?.metadata?.continue || undefined,
    unknownResource: status === 404 && body?.details?.name === undefined && serverMessage === UNKNOWN_RESOURCE_MESSAGE,
  });
}

/** Parses a Kubernetes Status body; `undefined` for anything else (plain text, HTML, empty). */
export function parseStatus(bodyText: string): StatusBody | undefined {
  if (!bodyText.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(bodyText);
    if (typeof value === 'object' && value !== null && (value as StatusBody).kind === 'Status') return value as StatusBody;
  } catch {
    // not JSON: treated as plain text by the caller
  }
  return undefined;
}
