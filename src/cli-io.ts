import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MAX_TIMER_SECONDS } from './clock.js';
import { type ClusterConfig, resolveClusterConfig } from './cluster-config.js';
import { ConfigError } from './errors.js';
import type { SecretSet } from './redact.js';

/** What a command may touch of the outside world; `src/cli-main.ts` fills it from `process`. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** Aborts with an `InterruptedError` on SIGTERM / SIGINT. */
  interrupt: AbortSignal;
  /** Credentials read by this process, scrubbed from everything it prints. */
  secrets: SecretSet;
}

/** A bad flag or argument: one line on stderr, exit 2. */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs` for a command, strict, with `-h`/`--help` (the usage is printed
 * and `undefined` returned: the command exits 0) and an unknown flag answered
 * with "did you mean" from the command's own flags.
 */
export function parseCommand<const O extends Options>(
  args: string[],
  spec: { command: string; usage: string; options: O; positionals?: boolean },
  io: CliIo,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> | undefined {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${spec.usage.trimEnd()}\n`);
    return undefined;
  }
  try {
    return parseArgs({ args, options: spec.options, allowPositionals: spec.positionals ?? false, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message.split('\n')[0] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-{1,2}[^']*)'/.exec(message)?.[1] ?? '';
      const guess = closest(flag.replace(/^-+/, '').split('=')[0] ?? '', Object.keys(spec.options));
      throw new UsageError(
        `unknown option ${flag} for kubepoll ${spec.command}${guess ? `; did you mean --${guess}?` : ''} (see kubepoll ${spec.command} --help)`,
      );
    }
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${message.replace(/\.$/, '')} (see kubepoll ${spec.command} --help)`);
    }
    throw error;
  }
}

/** The known word nearest to `word` (Levenshtein distance at most 2, or a prefix), if any. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = candidate.startsWith(word) && word.length >= 3 ? 0.5 : distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** Parses a whole number of seconds >= 1 given to `flag`. */
export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  return parseWhole(value, flag, 1, 'seconds');
}

/** Parses a whole number >= `min` given to `flag`. */
export function parseWhole(value: string | undefined, flag: string, min: number, unit = ''): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`${flag} must be a whole number${unit ? ` of ${unit}` : ''} >= ${min}, got "${value}"`);
  }
  // Node's timers hold at most 2^31-1 ms: a longer timeout would fire at once.
  if (unit === 'seconds' && Number(value) > MAX_TIMER_SECONDS) {
    throw new UsageError(`${flag} must be at most ${MAX_TIMER_SECONDS} seconds (about 24 days), got "${value}"`);
  }
  return Number(value);
}

/** Checks `--output`. */
export function parseOutput(value: string | undefined): 'table' | 'json' {
  const output = value ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output must be table or json, got "${output}"`);
  return output;
}

/** `--set NAME=VALUE` flags, as a record (the last of a name wins). */
export function parseSets(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes NAME=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The `parseArgs` options every command that talks to a cluster takes. */
export const CLUSTER_OPTIONS = {
  jobs: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'disable-compression': { type: 'boolean' },
} as const;

/** `--set NAME=VALUE`, repeatable: settings of the jobs (`run`, `schedule`, `manifests`, `check`). */
export const SET_OPTION = { set: { type: 'string', multiple: true } } as const;

/** The usage lines of the cluster options. */
export const CLUSTER_USAGE = `  --jobs DIR              folder of job modules (default ./jobs)
  --kubeconfig PATH       use this kubeconfig instead of in-cluster config
  --context NAME          kubeconfig context (default: the current context)
  -n, --namespace NAME    the run's namespace (default: service account's, context's, or "default")
  --disable-compression   do not ask the API server to gzip large answers (as kubectl's flag)
  --set NAME=VALUE        a setting of the job (repeatable; else the environment variable NAME)`;

/** Resolves the cluster config from a command's flags and the process environment. */
export function clusterConfig(
  values: {
    kubeconfig?: string | undefined;
    context?: string | undefined;
    namespace?: string | undefined;
    'disable-compression'?: boolean | undefined;
  },
  io: CliIo,
): Promise<ClusterConfig> {
  return resolveClusterConfig(
    {
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace,
      disableCompression: values['disable-compression'],
    },
    { env: io.env, homeDir: io.homeDir, secrets: io.secrets },
  );
}
