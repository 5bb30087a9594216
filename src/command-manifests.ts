import { type CliIo, parseCommand, parseSets, parseWhole, SET_OPTION, UsageError } from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import type { LoadedJob } from './job.js';
import { assertSetsDeclared, DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { jobManifests, type ManifestMode, manifestsYaml, SCHEDULER_NAME, scheduleManifests } from './manifests.js';

const USAGE = `Usage: kubepoll manifests [job...] --image IMG [options]

Prints, for the named jobs (default: every job in the jobs folder), a
ServiceAccount, least-privilege RBAC and a CronJob (or a Job, or one Deployment
running kubepoll schedule) as deterministic multi-document YAML.

Options:
  --image IMG             the container image with kubepoll and your jobs (required)
  -n, --namespace NS      where the objects go (default "default")
  --mode MODE             cronjob (default), job (a one-off Job, as --once), or schedule
                          (a Deployment "${SCHEDULER_NAME}" running kubepoll schedule)
  --replicas N            with --mode schedule: replicas, > 1 elects a leader through a Lease
  --set NAME=VALUE        a setting of the jobs, written into the pod's env (repeatable); a
                          declaration that depends on a setting is granted for this value.
                          Settings set in this environment are written too.
  --jobs DIR              folder of job modules (default ./${DEFAULT_JOBS_DIR})
  --once                  the same as --mode job`;

/** `kubepoll manifests [job...] --image IMG [--mode ...] [--set K=V]`: YAML on stdout. */
export async function manifestsCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      command: 'manifests',
      usage: USAGE,
      positionals: true,
      options: {
        ...SET_OPTION,
        jobs: { type: 'string' },
        image: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        once: { type: 'boolean' },
        mode: { type: 'string' },
        replicas: { type: 'string' },
      },
    },
    io,
  );
  if (!parsed) return ExitCode.Succeeded;
  const { values, positionals } = parsed;
  if (!values.image) throw new UsageError('manifests needs --image, the container image that runs kubepoll and your jobs');
  const mode = (values.mode ?? (values.once ? 'job' : 'cronjob')) as ManifestMode;
  if (!['cronjob', 'job', 'schedule'].includes(mode))
    throw new UsageError(`--mode must be cronjob, job or schedule, got "${values.mode}"`);
  if (values.once && mode !== 'job') throw new UsageError('--once is --mode job; do not combine it with another --mode');
  const replicas = parseWhole(values.replicas, '--replicas', 1);
  if (replicas !== undefined && mode !== 'schedule') throw new UsageError('--replicas only applies to --mode schedule');
  const set = parseSets(values.set);
  const jobs = await loadJobs(positionals, values.jobs ?? DEFAULT_JOBS_DIR, { set, env: io.env });
  assertSetsDeclared(set, jobs);
  const namespace = values.namespace ?? 'default';
  const image = values.image;
  const objects =
    mode === 'schedule'
      ? scheduleManifests(jobs, { image, namespace, replicas: replicas ?? 1, env: podEnv(jobs, set, io.env) })
      : jobs.flatMap((job) => jobManifests(job, { image, namespace, once: mode === 'job', env: podEnv([job], set, io.env) }));
  const command = [
    'kubepoll manifests',
    ...positionals,
    '--image',
    image,
    '--namespace',
    namespace,
    ...(mode === 'cronjob' ? [] : ['--mode', mode]),
    ...(replicas === undefined ? [] : ['--replicas', String(replicas)]),
    ...Object.keys(set)
      .sort()
      .map((name) => `--set ${name}=${set[name]}`),
  ].join(' ');
  io.stdout.write(manifestsYaml(objects, command));
  return ExitCode.Succeeded;
}

/**
 * The settings the pods must get: those given with `--set` or set in this
 * environment, for the settings these jobs declare, so the pod runs with the
 * values its RBAC was generated for. Defaults stay in the code.
 */
function podEnv(
  jobs: readonly LoadedJob[],
  set: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const job of jobs) {
    for (const name of Object.keys(job.settings ?? {})) {
      const value = set[name] ?? env[name];
      if (value !== undefined) out[name] = value;
    }
  }
  return out;
}
