/**
 * Lets a job module outside any project import kubepoll. A job mounted from a
 * ConfigMap (`/etc/kubepoll/jobs/x.ts`) has no `node_modules` above it, so
 * Node cannot find `kubepoll` for its `import { defineJob } from 'kubepoll'`;
 * the only kubepoll there is the one running the job. This adds that fallback:
 * when Node's own resolution finds no `kubepoll`, the import gets the running
 * CLI's package. A `kubepoll` installed next to the job still wins.
 */
import module from 'node:module';

/** The bare specifiers a job (or its test) may import from kubepoll. */
const SPECIFIERS = ['kubepoll', 'kubepoll/testing', 'kubepoll/package.json'] as const;

/** Codes of "no such package": `import` says ERR_MODULE_NOT_FOUND, `require` says MODULE_NOT_FOUND. */
const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

let registered = false;

/**
 * Makes `kubepoll`, `kubepoll/testing` and `kubepoll/package.json` resolve to
 * this kubepoll when normal resolution fails. Idempotent; the job loader calls
 * it before it imports a job module. On a Node without `module.registerHooks`
 * (before 22.15) it does nothing, and such a job must have kubepoll installed
 * next to it.
 *
 * @example
 * ```ts
 * registerKubepollResolution();
 * const job = await import(pathToFileURL('/etc/kubepoll/jobs/x.ts').href); // its `import 'kubepoll'` works
 * ```
 */
export function registerKubepollResolution(): void {
  if (registered) return;
  registered = true;
  if (typeof module.registerHooks !== 'function') return;
  // Resolved once, here, through the package's own `exports` (a package may import itself by name).
  const own = new Map<string, string>(SPECIFIERS.map((specifier) => [specifier, import.meta.resolve(specifier)]));
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const fallback = own.get(specifier);
      if (fallback === undefined) return nextResolve(specifier, context);
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (!NOT_FOUND.has((error as { code?: string }).code ?? '')) throw error;
        return { url: fallback, shortCircuit: true };
      }
    },
  });
}
