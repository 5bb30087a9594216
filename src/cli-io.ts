import { type ClusterConfig, resolveClusterConfig } from './cluster-config.js';
import { ConfigError } from './errors.js';

/** What a command may touch of the outside world; `src/cli.ts` fills it from `process`. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** Aborts with an `InterruptedError` on SIGTERM / SIGINT. */
  interrupt: AbortSignal;
}

/** A bad flag or argument: one line on stderr, exit 2. */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

/** Parses a whole number of seconds >= 1 given to `flag`. */
export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${flag} must be a whole number of seconds >= 1, got "${value}"`);
  return Number(value);
}

/** Checks `--output`. */
export function parseOutput(value: string | undefined): 'table' | 'json' {
  const output = value ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output must be table or json, got "${output}"`);
  return output;
}

/** The `parseArgs` options every command that talks to a cluster takes. */
export const CLUSTER_OPTIONS = {
  jobs: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string' },
} as const;

/** Resolves the cluster config from a command's flags and the process environment. */
export function clusterConfig(
  values: { kubeconfig?: string | undefined; context?: string | undefined; namespace?: string | undefined },
  io: CliIo,
): Promise<ClusterConfig> {
  return resolveClusterConfig(
    { kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace },
    { env: io.env, homeDir: io.homeDir },
  );
}
