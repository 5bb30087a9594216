import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';

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

/**
 * A bearer token read from a file: the projected service-account token, which
 * kubelet rotates by an atomic symlink swap (`..data`), so every read sees
 * either the old or the new file whole.
 */
export class TokenFileCredentials implements Credentials {
  readonly #file: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = 0;

  constructor(file: string, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#file = file;
    this.#maxAgeMs = options.maxAgeMs ?? TOKEN_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  async authorization(): Promise<string> {
    if (this.#token === undefined || this.#now() - this.#readAt >= this.#maxAgeMs) await this.refresh();
    return `Bearer ${this.#token}`;
  }

  async refresh(): Promise<void> {
    let token: string;
    try {
      token = (await readFile(this.#file, 'utf8')).trim();
    } catch (error) {
      // A read that fails mid-rotation keeps the token we have; the next read or a 401 tries again.
      if (this.#token !== undefined) return;
      throw new ConfigError(
        `cannot read service-account token ${this.#file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        {
          cause: error,
        },
      );
    }
    if (token === '') {
      if (this.#token !== undefined) return;
      throw new ConfigError(`service-account token file ${this.#file} is empty`);
    }
    this.#token = token;
    this.#readAt = this.#now();
  }
}

/** A fixed Authorization header (or none), for kubeconfigs with static credentials. */
export class StaticCredentials implements Credentials {
  readonly #value: string | undefined;
  constructor(value: string | undefined) {
    this.#value = value;
  }
  async authorization(): Promise<string | undefined> {
    return this.#value;
  }
  async refresh(): Promise<void> {}
}

/** Credentials recomputed by a function (kubeconfig exec plugins, token files), cached for `maxAgeMs`. */
export class RefreshingCredentials implements Credentials {
  readonly #load: () => Promise<string | undefined>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #value: string | undefined;
  #loadedAt: number | undefined;

  constructor(load: () => Promise<string | undefined>, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#load = load;
    this.#maxAgeMs = options.maxAgeMs ?? TOKEN_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  async authorization(): Promise<string | undefined> {
    if (this.#loadedAt === undefined || this.#now() - this.#loadedAt >= this.#maxAgeMs) await this.refresh();
    return this.#value;
  }

  async refresh(): Promise<void> {
    this.#value = await this.#load();
    this.#loadedAt = this.#now();
  }
}
