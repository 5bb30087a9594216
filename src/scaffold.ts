/**
 * Writing a project from a template folder: read and fill the templates first,
 * then move the whole tree into place, so a failure leaves the target as it was.
 *
 * A template folder mirrors the project it makes, with two renames: every file
 * ends in `.tmpl` (so no tool mistakes the template of a test, a fixture or a
 * package.json for the real thing), and a leading `_` stands for a leading `.`
 * (npm drops `.gitignore` files from packages). `{{name}}` placeholders are
 * filled from the values given; an unknown one is an error, not an empty string.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './cli-io.js';

/** One file of the project: its path relative to the project and its content. */
export interface ScaffoldFile {
  path: string;
  content: string;
}

/** Entries a folder may already hold and still count as empty (`git init` first is common). */
const IGNORABLE_ENTRIES = new Set(['.git']);

/** Reads every template under `templateDir` and fills its placeholders from `values`. */
export async function renderTemplates(templateDir: string, values: Readonly<Record<string, string>>): Promise<ScaffoldFile[]> {
  const entries = await readdir(templateDir, { recursive: true, withFileTypes: true });
  const files: ScaffoldFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.tmpl')) continue;
    const source = path.join(entry.parentPath, entry.name);
    const relative = path.relative(templateDir, source);
    const text = await readFile(source, 'utf8');
    files.push({ path: projectPath(relative), content: fill(text, values, relative) });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** `jobs/_x.ts.tmpl` → `jobs/.x.ts`. */
function projectPath(templatePath: string): string {
  return templatePath
    .slice(0, -'.tmpl'.length)
    .split(path.sep)
    .map((part) => (part.startsWith('_') ? `.${part.slice(1)}` : part))
    .join('/');
}

function fill(text: string, values: Readonly<Record<string, string>>, source: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${source}: no value for {{${key}}}`);
    return value;
  });
}

/**
 * Writes `files` into `dir`, which must not exist or be empty (but for `.git`).
 * Everything is written to a staging folder inside `dir` first and then renamed
 * into place, so an error (a full disk, a name taken meanwhile) leaves `dir` as
 * it was, or absent when it was. `dir` itself is never replaced: it may be the
 * shell's current folder.
 */
export async function writeScaffold(dir: string, files: readonly ScaffoldFile[]): Promise<void> {
  const target = path.resolve(dir);
  const existing = await entriesOf(target);
  if (existing?.some((name) => !IGNORABLE_ENTRIES.has(name))) {
    throw new UsageError(`${target} is not empty; kubepoll init needs a new or empty folder`);
  }
  if (existing === undefined) await mkdir(target, { recursive: true });
  // Inside the target: the same file system, so the renames below cannot turn into copies.
  const stage = await mkdtemp(path.join(target, '.kubepoll-init-'));
  const moved: string[] = [];
  try {
    for (const file of files) {
      const to = path.join(stage, file.path);
      await mkdir(path.dirname(to), { recursive: true });
      await writeFile(to, file.content, { flag: 'wx' });
    }
    for (const name of await readdir(stage)) {
      await rename(path.join(stage, name), path.join(target, name));
      moved.push(name);
    }
    await rm(stage, { recursive: true });
  } catch (error) {
    if (existing === undefined) {
      await rm(target, { recursive: true, force: true });
    } else {
      for (const name of moved) await rm(path.join(target, name), { recursive: true, force: true });
      await rm(stage, { recursive: true, force: true });
    }
    throw error;
  }
}

/** The folder's entries, or `undefined` when it does not exist. */
async function entriesOf(dir: string): Promise<string[] | undefined> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return undefined;
  if (!info.isDirectory()) throw new UsageError(`${dir} is not a folder; kubepoll init needs a new or empty folder`);
  return readdir(dir);
}
