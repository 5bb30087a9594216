import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import { renderTemplates, writeScaffold } from './scaffold.js';
import { VERSION } from './version.js';

const USAGE = `Usage: kubepoll init [DIR] [--kubepoll-spec SPEC]

Scaffolds a project that depends on kubepoll in DIR (default: the current folder),
which must be new or empty: package.json, tsconfig.json, an example job in jobs/
with its test and fixture, vitest config, Dockerfile, .dockerignore, .gitignore, README.

  --kubepoll-spec SPEC   the kubepoll dependency in package.json, anything npm install
                         takes (default ^${VERSION}, this kubepoll), e.g. file:../kubepoll-${VERSION}.tgz`;

/** kubepoll's package folder: templates/ and package.json sit next to dist/ (and src/). */
const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE_DIR = path.join(PACKAGE_DIR, 'templates', 'init');

/**
 * `kubepoll init [DIR] [--kubepoll-spec SPEC]`: writes a new project whose
 * `npm install && npm test` pass as they are. The dev tools are the versions
 * kubepoll itself is tested with (its own devDependencies).
 */
export async function initCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'kubepoll-spec': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.Succeeded;
  }
  if (positionals.length > 1) throw new UsageError(`kubepoll init takes one folder, got ${positionals.length}`);
  const dir = positionals[0] ?? '.';
  const spec = values['kubepoll-spec'] ?? `^${VERSION}`;
  if (spec.trim() === '') throw new UsageError('--kubepoll-spec must not be empty');

  if (!existsSync(TEMPLATE_DIR)) {
    throw new UsageError(`this kubepoll has no init templates (${TEMPLATE_DIR}); use the npm package: npx kubepoll init`);
  }
  const files = await renderTemplates(TEMPLATE_DIR, {
    name: packageName(path.basename(path.resolve(dir))),
    kubepollSpec: spec,
    ...(await devToolVersions()),
  });
  await writeScaffold(dir, files);

  const shown = path.relative(process.cwd(), path.resolve(dir)) || '.';
  io.stdout.write(`Created a kubepoll project in ${shown}:\n${files.map((f) => `  ${f.path}\n`).join('')}\nNext:\n`);
  if (shown !== '.') io.stdout.write(`  cd ${shown}\n`);
  io.stdout.write('  npm install\n  npm test\n  npm run dev           # try the job on a fake cluster\n');
  return ExitCode.Succeeded;
}

/** The versions of typescript, vitest and @types/node in kubepoll's own package.json. */
async function devToolVersions(): Promise<Record<string, string>> {
  const manifest = JSON.parse(await readFile(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const dev = manifest.devDependencies ?? {};
  const wanted = { typescriptVersion: 'typescript', vitestVersion: 'vitest', typesNodeVersion: '@types/node' };
  return Object.fromEntries(
    Object.entries(wanted).map(([key, name]) => {
      const version = dev[name];
      if (version === undefined) throw new Error(`kubepoll's package.json has no devDependency ${name}`);
      return [key, version];
    }),
  );
}

/** A valid npm package name from a folder name: `My Jobs` → `my-jobs`. */
export function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[-._~]+|-+$/g, '')
    .slice(0, 214);
  return name || 'kubepoll-jobs';
}
