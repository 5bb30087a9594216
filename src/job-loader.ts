import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine, JobLoadError } from './errors.js';
import type { LoadedJob } from './job.js';
import { validateJob } from './job-validate.js';

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

/** Every job module file in `dir`, sorted by name (test files and type declarations excluded). */
export async function listJobFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && hasJobExtension(e.name) && !/\.(test|spec|d)\.[^.]+$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/**
 * Imports and validates a job module. Every problem of the module is reported in
 * one `JobLoadError` whose message starts with the file's path.
 */
export async function loadJobFile(file: string): Promise<LoadedJob> {
  const shown = path.relative(process.cwd(), file) || file;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new JobLoadError(`${shown}: cannot load job module: ${firstLine(error)}`, { cause: error });
  }
  if (!('default' in mod) || mod.default === undefined) {
    throw new JobLoadError(`${shown}: no default export; export the job with "export default defineJob({ ... })"`);
  }
  return validateJob(mod.default, jobNameFromFile(file), shown, file);
}

/** The named jobs, or every job module in the folder (sorted by name). */
export async function loadJobs(names: readonly string[], jobsDir: string): Promise<LoadedJob[]> {
  if (names.length > 0) return Promise.all(names.map((name) => loadJob(name, jobsDir)));
  const dir = path.resolve(jobsDir);
  const files = await listJobFiles(dir).catch(() => {
    throw new JobLoadError(`jobs folder ${dir} does not exist (set --jobs)`);
  });
  if (files.length === 0) throw new JobLoadError(`no job modules in ${dir}`);
  return Promise.all(files.map((file) => loadJobFile(file)));
}

/** A job's default name: its module's file name without the extension. */
export function jobNameFromFile(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}

/** Resolves and loads a job by name or path. */
export async function loadJob(nameOrPath: string, jobsDir: string = DEFAULT_JOBS_DIR): Promise<LoadedJob> {
  return loadJobFile(await resolveJobFile(nameOrPath, jobsDir));
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
