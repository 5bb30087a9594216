import { KubepollError } from './errors.js';

/**
 * A request that got no whole HTTP answer: connection refused or reset, no
 * answer within the request timeout, or an answer larger than the size cap.
 */
export class TransportError extends KubepollError {
  override name = 'TransportError';
  readonly code = 'TRANSPORT';
  /** The socket-level code: `ECONNREFUSED`, `ECONNRESET`, `KUBEPOLL_REQUEST_TIMEOUT`, ... */
  readonly errno: string;
  /** True when the request certainly never reached the server (safe to resend any verb). */
  readonly notSent: boolean;

  constructor(message: string, errno: string, options: { cause?: unknown }) {
    super(message, options);
    this.errno = errno;
    this.notSent = NOT_SENT.has(errno);
  }
}

const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * The server's certificate did not verify against the configured CA (or its
 * name does not match): a configuration problem, never retried, exit 2. The
 * request, and so the token, was never sent.
 */
export class TlsError extends KubepollError {
  override name = 'TlsError';
  readonly code = 'TLS';
  /** OpenSSL's reason: `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`, ... */
  readonly errno: string;
  constructor(message: string, errno: string, options: { cause?: unknown }) {
    super(message, options);
    this.errno = errno;
  }
}
