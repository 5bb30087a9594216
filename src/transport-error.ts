import { KubepollError } from './errors.js';

/**
 * A request that got no HTTP answer: connection refused or reset, TLS failure,
 * or no response headers / body within the per-request timeout.
 */
export class TransportError extends KubepollError {
  override name = 'TransportError';
  readonly code = 'TRANSPORT';
  /** The socket-level code: `ECONNREFUSED`, `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, ... */
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
