import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import type { SecretSet } from './redact.js';

/**
 * Where the bearer token (or other Authorization header) of a run comes from.
 * Implementations cache for at most `maxAgeMs` so a rotated credential is
 * picked up within a minute, and `refresh()` after a 401 bypasses the cache.
 */
export interface Credentials {
  /** The Authorization header value, or `undefined` (client-certificate auth). */
  authorization(): Promise<string | undefined>;
  /** Drops the cache and reads the credential again. */
  refresh(): Promise<void>;
}

/** How long a token read from a file is used before it is read again. */
export const TOKEN_MAX_AGE_MS = 60_000;

/** Credentials recomputed by a function (kubeconfig exec plugins, token files), cached for `maxAgeMs`. */
export class RefreshingCredentials implements Credentials {
  readonly #load: () => Promise<string | undefined>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #keepOnError: boolean;
  readonly #secrets: SecretSet | undefined;
  #value: string | undefined;
  #loadedAt: number | undefined;

  /**
   * `keepOnError`: a reload that fails after a first success keeps the value it
   * has (and its age), instead of failing the run; the next reload tries again.
   */
  constructor(
    load: () => Promise<string | undefined>,
    options: { maxAgeMs?: number; now?: () => number; keepOnError?: boolean; secrets?: SecretSet } = {},
  ) {
    this.#load = load;
    this.#secrets = options.secrets;
    this.#maxAgeMs = options.maxAgeMs ?? TOKEN_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
    this.#keepOnError = options.keepOnError ?? false;
  }

  async authorization(): Promise<string | undefined> {
    if (this.#loadedAt === undefined || this.#now() - this.#loadedAt >= this.#maxAgeMs) await this.refresh();
    return this.#value;
  }

  async refresh(): Promise<void> {
    try {
      this.#value = await this.#load();
      this.#secrets?.add(this.#value);
    } catch (error) {
      if (this.#keepOnError && this.#value !== undefined) return;
      throw error;
    }
    this.#loadedAt = this.#now();
  }
}

/**
 * A bearer token read from a file: the projected service-account token, which
 * kubelet rotates by an atomic symlink swap (`..data`), so every read sees
 * either the old or the new file whole. A read that fails mid-rotation keeps the
 * token we have; the next reload (its age running out, or a 401) tries again.
 */
export class TokenFileCredentials extends RefreshingCredentials {
  constructor(file: string, options: { maxAgeMs?: number; now?: () => number; secrets?: SecretSet } = {}) {
    super(() => readToken(file), { ...options, keepOnError: true });
  }
}

async function readToken(file: string): Promise<string> {
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new ConfigError(`cannot read service-account token ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      cause: error,
    });
  }
  if (token === '') throw new ConfigError(`service-account token file ${file} is empty`);
  return `Bearer ${token}`;
}
