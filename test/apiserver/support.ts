// Shared by the real API server tier: one server per test file (started once,
// stopped after the file), and namespaces no other test uses (nothing is ever
// finalised on a bare API server, so tests never reuse one).
import { afterAll, beforeAll } from 'vitest';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../src/testing/apiserver.js';

/** Starts one real API server for the file; call the returned function inside tests to get it. */
export function useApiServer(options: ApiServerOptions = {}): () => ApiServer {
  let server: ApiServer | undefined;
  beforeAll(async () => {
    server = await startApiServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the API server is not started yet (use it inside a test or hook)');
    return server;
  };
}

let counter = 0;
/** A DNS-label namespace name unique to this run. */
export function uniqueNamespace(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36).slice(-4)}${counter}`;
}

/** Polls `condition` every 100 ms until it holds; throws after `timeoutMs`. */
export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
