import { glob } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from './cli-io.js';
import { firstLine } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { KubeObject } from './job.js';
import { DEFAULT_JOBS_DIR, jobNameFromFile, listJobFiles } from './job-loader.js';
import { FakeApiServer, type FakeApiServerOptions, loadFixtures } from './testing/index.js';

const USAGE = `Usage: kubepoll dev [--fixtures GLOB]... [FILE...] [--namespace NS] [--port P]

Starts the test kit's fake Kubernetes API server on 127.0.0.1, seeded from YAML
fixture files (default ${DEFAULT_JOBS_DIR}/fixtures/*.yaml when there are any), and
prints the kubeconfig and the in-cluster environment to run jobs against it.
Ctrl-C (or SIGTERM) stops it and deletes its folder, kubeconfig and token included;
the exit code is then 0.

  --fixtures GLOB    YAML files (paths or globs) to seed; repeatable, and FILE
                     arguments are fixtures too (so a glob the shell expanded works)
  --namespace NS     the service account's namespace, so the run's default (default "default")
  --port P           listen on this port (default: a free one)`;

const DEFAULT_FIXTURES = `${DEFAULT_JOBS_DIR}/fixtures/*.yaml`;

/**
 * `kubepoll dev`: a fake cluster to try jobs on with no cluster at all. The
 * server lives until SIGINT / SIGTERM (`io.interrupt`); its temporary folder,
 * which holds the kubeconfig and the token, goes with it.
 */
export async function devCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      fixtures: { type: 'string', multiple: true },
      namespace: { type: 'string', short: 'n' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.Succeeded;
  }
  const port = parsePort(values.port);
  const patterns = [...(values.fixtures ?? []), ...positionals];
  const objects = await fixtureObjects(patterns);

  // `port` is passed on for the test kit to listen on; the check below catches a kit that ignores it.
  const options: FakeApiServerOptions & { port?: number } = { ...(values.namespace ? { namespace: values.namespace } : {}) };
  if (port !== undefined) options.port = port;
  const cluster = await FakeApiServer.start(options).catch((error: unknown) => {
    throw new UsageError(`cannot start the fake API server${port ? ` on port ${port}` : ''}: ${firstLine(error)}`);
  });
  try {
    if (port !== undefined && new URL(cluster.url).port !== String(port)) {
      throw new UsageError(`--port: this kubepoll's test kit cannot listen on a chosen port; leave --port out`);
    }
    try {
      cluster.seed(objects.list);
    } catch (error) {
      throw new UsageError(`fixtures: ${firstLine(error)}`);
    }
    io.stdout.write(await instructions(cluster, objects));
    await new Promise<void>((resolve) => {
      if (io.interrupt.aborted) resolve();
      else io.interrupt.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await cluster.stop();
  }
  io.stdout.write(`stopped; removed ${cluster.dir}\n`);
  return ExitCode.Succeeded;
}

interface Fixtures {
  list: KubeObject[];
  /** What the objects came from, as the user would say it. */
  source: string;
}

/** The objects of the given fixture files, or of the default ones when none are given and some exist. */
async function fixtureObjects(patterns: string[]): Promise<Fixtures> {
  if (patterns.length === 0) {
    let present = false;
    for await (const _ of glob(DEFAULT_FIXTURES)) present = true;
    if (!present) return { list: [], source: `no fixtures (${DEFAULT_FIXTURES} matches nothing)` };
    patterns = [DEFAULT_FIXTURES];
  }
  try {
    const list = await loadFixtures(patterns);
    const namespaces = [...new Set(list.flatMap((o) => (o.metadata?.namespace ? [o.metadata.namespace] : [])))].sort();
    const where = namespaces.length ? ` (namespaces: ${namespaces.join(', ')})` : '';
    return { list, source: `${list.length} object${list.length === 1 ? '' : 's'} from ${patterns.join(', ')}${where}` };
  } catch (error) {
    throw new UsageError(firstLine(error));
  }
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
    throw new UsageError(`--port must be a port number from 1 to 65535, got "${value}"`);
  return Number(value);
}

/** What to paste into another terminal. Paths and addresses only: the token stays in its files. */
async function instructions(cluster: FakeApiServer, fixtures: Fixtures): Promise<string> {
  const files = await listJobFiles(path.resolve(DEFAULT_JOBS_DIR)).catch(() => []);
  const job = files[0] ? jobNameFromFile(files[0]) : '<job>';
  const inCluster = Object.entries(cluster.inClusterEnv)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `kubepoll dev: a fake Kubernetes API server at ${cluster.url}, namespace ${cluster.namespace}
seeded with ${fixtures.source}

kubeconfig: ${cluster.kubeconfigPath}

In another terminal, run a job against it:
  KUBECONFIG=${cluster.kubeconfigPath} npx kubepoll run ${job} --dry-run

or in-cluster style, as in a pod:
  ${inCluster} npx kubepoll run ${job} --dry-run

Ctrl-C stops it and deletes ${cluster.dir} (the kubeconfig holds a token).
`;
}
