import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { type CliIo, UsageError } from './cli-io.js';
import { type CrdDocument, crdTypes } from './crd-types.js';
import { ConfigError, firstLine } from './errors.js';
import { ExitCode } from './exit-codes.js';

const USAGE = `Usage: kubepoll types <crd.yaml...> [--out FILE]

TypeScript interfaces and typed refs (ResourceRef<T>) for every served version
of the CustomResourceDefinitions in the files, for ctx.list/ctx.get with no casts.
The storage version is named after the kind (Certificate, certificates); other
served versions add their name (CertificateV1beta1, certificatesV1beta1).

Options:
  -o, --out FILE   write the module to FILE (default: stdout)
  -h, --help       this text`;

/**
 * `kubepoll types <crd.yaml...> [--out F]`: generated types on stdout or in F.
 * A file that is not YAML, or a document that is not a CRD with a schema, is a
 * one-line error naming the file and document (exit 2).
 */
export async function typesCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.Succeeded;
  }
  if (positionals.length === 0)
    throw new UsageError('types needs at least one CRD file: kubepoll types <crd.yaml...> [--out FILE]');
  // Shown in the generated header as the user should pass them again: relative, with forward slashes.
  const shown = positionals.map((file) => path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/'));
  const documents: CrdDocument[] = [];
  for (const [i, file] of positionals.entries()) documents.push(...(await readCrds(file, shown[i] as string)));
  // Loaded here only: `kubepoll run` never pays for the generator (and the Prettier it formats with).
  const { compile } = await import('json-schema-to-typescript');
  const text = await crdTypes(documents, shown, compile);
  if (values.out === undefined) {
    io.stdout.write(text);
    return ExitCode.Succeeded;
  }
  await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
  await writeFile(values.out, text);
  io.stderr.write(`kubepoll: wrote ${values.out}\n`);
  return ExitCode.Succeeded;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    // An unknown or malformed flag is a usage error (exit 2), however the CLI reports other errors.
    throw new UsageError(`types: ${firstLine(error).split(/\.( |$)/)[0]}; see kubepoll types --help`, { cause: error });
  }
}

/** The YAML documents of one file (a `List` unpacked), each named for errors. */
async function readCrds(file: string, shown: string): Promise<CrdDocument[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read ${shown}: ${error.code ?? error.message}`);
  });
  const documents: CrdDocument[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${shown}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new ConfigError(`${where}: invalid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return; // an empty document, e.g. after a trailing ---
    const items =
      (object as { kind?: unknown; items?: unknown }).kind === 'List' ? (object as { items?: unknown }).items : undefined;
    if (Array.isArray(items)) documents.push(...items.map((item, j) => ({ object: item, where: `${where}, item ${j + 1}` })));
    else documents.push({ object, where });
  });
  if (documents.length === 0) throw new ConfigError(`${shown}: no CustomResourceDefinition in it`);
  return documents;
}
