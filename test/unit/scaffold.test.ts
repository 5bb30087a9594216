import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageName } from '../../src/command-init.js';
import { renderTemplates, writeScaffold } from '../../src/scaffold.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'kubepoll-scaffold-'));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('renderTemplates', () => {
  it('drops .tmpl, turns a leading _ into a dot in any folder, and fills placeholders', async () => {
    const templates = path.join(tmp, 'templates');
    await mkdir(path.join(templates, 'jobs', '_hidden'), { recursive: true });
    await writeFile(path.join(templates, 'package.json.tmpl'), '{ "name": "{{name}}", "dep": "{{spec}}" }');
    await writeFile(path.join(templates, '_gitignore.tmpl'), 'node_modules/\n');
    await writeFile(path.join(templates, 'jobs', '_hidden', 'a_b.ts.tmpl'), 'export {};\n');
    await writeFile(path.join(templates, 'notes.txt'), 'not a template');
    const files = await renderTemplates(templates, { name: 'my-jobs', spec: '^1.2.3' });
    expect(files.map((f) => f.path)).toEqual(['.gitignore', 'jobs/.hidden/a_b.ts', 'package.json']);
    expect(files.find((f) => f.path === 'package.json')?.content).toBe('{ "name": "my-jobs", "dep": "^1.2.3" }');
  });

  it('refuses a placeholder it has no value for, naming the template', async () => {
    const templates = path.join(tmp, 'templates');
    await mkdir(templates);
    await writeFile(path.join(templates, 'README.md.tmpl'), '# {{name}} {{version}}');
    await expect(renderTemplates(templates, { name: 'x' })).rejects.toThrow('template README.md.tmpl: no value for {{version}}');
  });
});

describe('writeScaffold', () => {
  const files = [
    { path: 'package.json', content: '{}' },
    { path: 'jobs/a.ts', content: 'export {};' },
  ];

  it('creates a new folder, parents included, with files and folders of the usual modes', async () => {
    const dir = path.join(tmp, 'new', 'project');
    await writeScaffold(dir, files);
    expect(await tree(dir)).toEqual(['jobs/a.ts', 'package.json']);
    expect(await readFile(path.join(dir, 'jobs/a.ts'), 'utf8')).toBe('export {};');
    // Not mkdtemp's 0700: the project folder is as readable as any folder the user makes.
    await mkdir(path.join(tmp, 'made-by-mkdir'));
    expect((await stat(dir)).mode & 0o777).toBe((await stat(path.join(tmp, 'made-by-mkdir'))).mode & 0o777);
  });

  it('fills an empty folder, or one with only .git, and leaves .git alone', async () => {
    await mkdir(path.join(tmp, 'empty'));
    await writeScaffold(path.join(tmp, 'empty'), files);
    expect(await tree(path.join(tmp, 'empty'))).toEqual(['jobs/a.ts', 'package.json']);

    await mkdir(path.join(tmp, 'repo', '.git'), { recursive: true });
    await writeFile(path.join(tmp, 'repo', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeScaffold(path.join(tmp, 'repo'), files);
    expect(await tree(path.join(tmp, 'repo'))).toEqual(['.git/HEAD', 'jobs/a.ts', 'package.json']);
  });

  it('refuses a folder with anything else in it, and touches nothing', async () => {
    const dir = path.join(tmp, 'used');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.md'), 'mine');
    await expect(writeScaffold(dir, files)).rejects.toThrow(`${dir} is not empty; kubepoll init needs a new or empty folder`);
    expect(await readdir(dir)).toEqual(['notes.md']);
  });

  it('refuses a file where the folder should be', async () => {
    await writeFile(path.join(tmp, 'file'), '');
    await expect(writeScaffold(path.join(tmp, 'file'), files)).rejects.toThrow('is not a folder');
  });

  it('leaves no half-written project behind when a write fails', async () => {
    // The second write of the same path fails (files are written with the "wx" flag).
    const clash = [...files, { path: 'jobs/a.ts', content: 'again' }];
    await expect(writeScaffold(path.join(tmp, 'fresh'), clash)).rejects.toThrow(/EEXIST/);
    expect(await readdir(tmp)).toEqual([]);

    await mkdir(path.join(tmp, 'empty'));
    await expect(writeScaffold(path.join(tmp, 'empty'), clash)).rejects.toThrow(/EEXIST/);
    expect(await readdir(path.join(tmp, 'empty'))).toEqual([]);
  });
});

describe('packageName', () => {
  it.each([
    ['my-jobs', 'my-jobs'],
    ['My Jobs', 'my-jobs'],
    ['.hidden_team', 'hidden_team'],
    ['Ops@Team!', 'ops-team'],
    ['---', 'kubepoll-jobs'],
  ])('%s → %s', (folder, name) => {
    expect(packageName(folder)).toBe(name);
  });
});
