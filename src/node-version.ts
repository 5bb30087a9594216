/**
 * Whether Node `found` satisfies an `engines.node` range of the form kubepoll
 * uses (`>=22`, `>=22.12.0`); a one-line problem naming both, or `undefined`.
 * Written for old Nodes: plain syntax, no imports.
 */
export function nodeVersionProblem(range: string | undefined, found: string): string | undefined {
  const wanted = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range ?? '');
  if (!wanted) return undefined;
  const need = [Number(wanted[1]), Number(wanted[2] ?? 0), Number(wanted[3] ?? 0)];
  const have = found.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const h = have[i] ?? 0;
    const n = need[i] ?? 0;
    if (h > n) return undefined;
    if (h < n) {
      return `kubepoll needs Node.js ${range?.trim()}, but this is Node.js v${found.replace(/^v/, '')}; install a newer Node (24 LTS recommended) and run it again`;
    }
  }
  return undefined;
}
