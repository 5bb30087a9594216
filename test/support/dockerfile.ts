/**
 * Replays one stage of a Dockerfile in a folder, for build machines with no
 * Docker engine: COPY from the build context (honouring its .dockerignore) or
 * from an earlier stage, and RUN with the same shell command. Enough for the
 * simple stages kubepoll's Dockerfiles have, and no more: the instructions
 * it does not know fail the replay, so a Dockerfile cannot outgrow it silently.
 */
import { execFile } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Instructions that change nothing a replay could check. */
const IGNORED = new Set(['ENV', 'USER', 'ENTRYPOINT', 'CMD', 'WORKDIR', 'LABEL', 'EXPOSE', 'ARG']);

export interface Instruction {
  instruction: string;
  args: string;
}

/** The instructions after `FROM ... AS <stage>`, or after the last FROM when `stage` is not given. */
export async function dockerStage(dockerfile: string, stage?: string): Promise<Instruction[]> {
  const lines = (await readFile(dockerfile, 'utf8')).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const froms = lines.flatMap((l, i) => (/^FROM\s/i.test(l) ? [i] : []));
  const start = stage === undefined ? froms.at(-1) : lines.findIndex((l) => new RegExp(`^FROM .* AS ${stage}$`, 'i').test(l));
  if (start === undefined || start < 0) throw new Error(`${dockerfile}: no stage ${stage ?? ''}`);
  const end = froms.find((i) => i > start) ?? lines.length;
  return lines.slice(start + 1, end).map((l) => {
    const [instruction = '', ...rest] = l.trim().split(/\s+/);
    return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
  });
}

export interface ReplayOptions {
  /** The build context. */
  context: string;
  /** The stage to replay (default: the last). */
  stage?: string;
  /** Where `COPY --from=<stage> /abs/path` finds its files: `(stage, path) => local path`. */
  fromStage?: (stage: string, source: string) => string;
}

/** Replays the stage into `dir`, which stands for the stage's WORKDIR. */
export async function replayStage(dockerfile: string, dir: string, options: ReplayOptions): Promise<void> {
  const ignored = await dockerignore(options.context);
  for (const { instruction, args } of await dockerStage(dockerfile, options.stage)) {
    if (instruction === 'COPY') {
      const parts = args.split(/\s+/);
      const from = parts[0]?.match(/^--from=(.+)$/)?.[1];
      const sources = parts.slice(from ? 1 : 0, -1);
      const target = parts.at(-1) as string;
      for (const source of sources) {
        const local = from ? (options.fromStage?.(from, source) ?? source) : path.join(options.context, source);
        const to = target.endsWith('/') ? path.join(dir, target, path.basename(source)) : path.join(dir, target);
        await cp(local, to, {
          recursive: true,
          filter: (file) => from !== undefined || !ignored(path.relative(options.context, file)),
        });
      }
    } else if (instruction === 'RUN') {
      // --prefer-offline: the packages are in the npm cache already. And not `npm cache clean`:
      // in an image it only trims a layer, here it would empty the machine's cache.
      const command = args.replace(/npm ci/g, 'npm ci --prefer-offline').replace(/npm cache clean --force/g, 'true');
      await exec('sh', ['-c', command], { cwd: dir });
    } else if (!IGNORED.has(instruction)) {
      throw new Error(`${dockerfile}: the replay does not know ${instruction}`);
    }
  }
}

/** Whether a path of the build context is left out by its .dockerignore (patterns anchored at the context, as Docker's). */
async function dockerignore(context: string): Promise<(relative: string) => boolean> {
  const text = await readFile(path.join(context, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('the replay does not know ! patterns in .dockerignore');
  return (relative) => {
    if (relative === '') return false;
    // A pattern that matches a folder leaves out everything in it.
    const parts = relative.split(path.sep);
    return parts.some((_, i) => patterns.some((p) => path.matchesGlob(parts.slice(0, i + 1).join('/'), p)));
  };
}

/** `ENTRYPOINT ["node", "/app/x.js"]` → `['node', '/app/x.js']`. */
export function execForm(args: string): string[] {
  return JSON.parse(args) as string[];
}
