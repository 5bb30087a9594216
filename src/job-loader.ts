import { execFile } from 'node:child_process';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, firstLine, JobLoadError } from './errors.js';
import type { LoadedJob } from './job.js';
import { type SettingSources, validateJob } from './job-validate.js';
import { registerKubepollResolution } from './module-hooks.js';

/** File endings a job module may have, in the order they are looked for. */
export const JOB_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/** The jobs folder used when `--jobs` is not given. */
export const DEFAULT_JOBS_DIR = 'jobs';

/**
 * Finds the module for `nameOrPath`: a path (it contains a `/` or ends with a
 * job extension) is taken as it is; a bare name is looked up in `jobsDir` as
 * `<name>.ts`, `.mts`, `.js` or `.mjs`.
 */
export async function resolveJobFile(nameOrPath: string, jobsDir: string): Promise<string> {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes(path.sep) || hasJobExtension(nameOrPath);
  if (looksLikePath) {
    const file = path.resolve(nameOrPath);
    if (!hasJobExtension(file)) {
      throw new JobLoadError(`${nameOrPath}: a job module must end with ${JOB_EXTENSIONS.join(', ')}`);
    }
    if (!(await exists(file))) throw new JobLoadError(`job module ${nameOrPath} does not exist`);
    return file;
  }
  const dir = path.resolve(jobsDir);
  for (const ext of JOB_EXTENSIONS) {
    const file = path.join(dir, nameOrPath + ext);
    if (await exists(file)) return file;
  }
  const known = await listJobFiles(dir).catch(() => undefined);
  if (known === undefined) throw new JobLoadError(`unknown job "${nameOrPath}": jobs folder ${dir} does not exist (set --jobs)`);
  const names = known.map(jobNameFromFile);
  throw new JobLoadError(
    `unknown job "${nameOrPath}" in ${dir}${names.length ? ` (jobs there: ${names.join(', ')})` : ' (no job modules there)'}`,
  );
}

/**
 * Every job module file in `dir`, sorted by name (test files and type
 * declarations excluded). Symlinks to files count: kubelet mounts a ConfigMap's
 * keys as `x.ts -> ..data/x.ts`; its `..data` entries are skipped.
 */
export async function listJobFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const candidates = entries.filter(
    (e) =>
      (e.isFile() || e.isSymbolicLink()) &&
      !e.name.startsWith('..') &&
      hasJobExtension(e.name) &&
      !/\.(test|spec|d)\.[^.]+$/.test(e.name),
  );
  const files: string[] = [];
  for (const e of candidates) {
    const file = path.join(dir, e.name);
    if (
      e.isFile() ||
      (await stat(file).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      files.push(file);
  }
  return files.sort();
}

/**
 * Imports and validates a job module, with its settings from `sources`. Every
 * problem of the module is reported in one `JobLoadError` whose message starts
 * with the file's path (and, for a syntax error or an exception at the module's
 * top level, the line and column, and the code there).
 */
export async function loadJobFile(file: string, sources: SettingSources = {}): Promise<LoadedJob> {
  const shown = path.relative(process.cwd(), file) || file;
  // A job in a folder with no node_modules (a mounted ConfigMap) may still import 'kubepoll'.
  registerKubepollResolution();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const where = await errorLocation(error, file);
    const at = where ? `${shown}:${where.line}:${where.column}` : shown;
    const code = where?.code ? ` (at: ${JSON.stringify(where.code)})` : '';
    throw new JobLoadError(`${at}: cannot load job module: ${errorName(error)}${firstLine(error)}${code}`, { cause: error });
  }
  if (!('default' in mod) || mod.default === undefined) {
    throw new JobLoadError(`${shown}: no default export; export the job with "export default defineJob({ ... })"`);
  }
  return validateJob(mod.default, jobNameFromFile(file), shown, file, sources);
}

/** The named jobs, or every job module in the folder (sorted by name). */
export async function loadJobs(names: readonly string[], jobsDir: string, sources: SettingSources = {}): Promise<LoadedJob[]> {
  if (names.length > 0) return Promise.all(names.map((name) => loadJob(name, jobsDir, sources)));
  const dir = path.resolve(jobsDir);
  const files = await listJobFiles(dir).catch(() => {
    throw new JobLoadError(`jobs folder ${dir} does not exist (set --jobs)`);
  });
  if (files.length === 0) throw new JobLoadError(`no job modules in ${dir}`);
  return Promise.all(files.map((file) => loadJobFile(file, sources)));
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
}

/**
 * Where in `file` loading failed: from the stack (an exception at top level,
 * a TypeScript syntax error), or, for a JavaScript syntax error (whose stack
 * names no location when the module is imported), from `node --check`.
 */
async function errorLocation(error: unknown, file: string): Promise<{ line: number; column: number; code?: string } | undefined> {
  const url = pathToFileURL(file).href;
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frame = new RegExp(`${escapeRegExp(url)}:(\\d+)(?::(\\d+))?`).exec(stack);
  let line: number | undefined;
  let column: number | undefined;
  if (frame) {
    line = Number(frame[1]);
    // TypeScript syntax errors put a caret under the code instead of a column.
    column = frame[2] === undefined ? caretColumn(stack.slice(frame.index)) : Number(frame[2]);
  } else if (error instanceof SyntaxError) {
    const checked = await checkSyntax(file);
    if (checked) [line, column] = [checked.line, checked.column];
  }
  if (line === undefined) return undefined;
  const source = await readFile(file, 'utf8').catch(() => '');
  const code = source.split('\n')[line - 1]?.trim();
  return { line, column: column ?? 1, ...(code ? { code: code.slice(0, 120) } : {}) };
}

/** The column of the `^` under the failing line in Node's error decoration (location, code lines, carets). */
function caretColumn(decorated: string): number | undefined {
  const caret = decorated
    .split('\n')
    .slice(1, 8)
    .find((l) => /^\s*\^+\s*$/.test(l));
  return caret === undefined ? undefined : caret.indexOf('^') + 1;
}

function checkSyntax(file: string): Promise<{ line: number; column: number } | undefined> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--check', file], { timeout: 10_000 }, (_error, _stdout, stderr) => {
      const m = /:(\d+)\n[^\n]*\n([^\n]*)\^/.exec(stderr);
      resolve(m ? { line: Number(m[1]), column: (m[2]?.length ?? 0) + 1 } : undefined);
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A `--set` for a setting none of `jobs` declares is a typo, not something to ignore: exit 2, naming what they do declare. */
export function assertSetsDeclared(set: Readonly<Record<string, string>>, jobs: readonly LoadedJob[]): void {
  const declared = [...new Set(jobs.flatMap((j) => Object.keys(j.settings ?? {})))].sort();
  const unknown = Object.keys(set).find((name) => !declared.includes(name));
  if (unknown !== undefined) {
    throw new ConfigError(
      `--set ${unknown}: ${jobs.length > 1 ? 'none of the jobs declares' : 'the job does not declare'} that setting (${declared.join(', ') || 'it declares none'})`,
    );
  }
}

/** A job's default name: its module's file name without the extension. */
export function jobNameFromFile(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}

/** Resolves and loads a job by name or path. */
export async function loadJob(
  nameOrPath: string,
  jobsDir: string = DEFAULT_JOBS_DIR,
  sources: SettingSources = {},
): Promise<LoadedJob> {
  return loadJobFile(await resolveJobFile(nameOrPath, jobsDir), sources);
}

function hasJobExtension(file: string): boolean {
  return JOB_EXTENSIONS.some((ext) => file.endsWith(ext));
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
