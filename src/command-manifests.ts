import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from './cli-io.js';
import { DEFAULT_JOBS_DIR, loadJobs } from './job-loader.js';
import { jobManifests, manifestsYaml } from './manifests.js';

/** `kubepoll manifests [job...] --image IMG [--namespace NS] [--once]`: YAML on stdout. */
export async function manifestsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      jobs: { type: 'string' },
      image: { type: 'string' },
      namespace: { type: 'string' },
      once: { type: 'boolean' },
    },
  });
  if (!values.image) throw new UsageError('manifests needs --image, the container image that runs kubepoll and your jobs');
  const jobsDir = values.jobs ?? DEFAULT_JOBS_DIR;
  const jobs = await loadJobs(positionals, jobsDir);
  const namespace = values.namespace ?? 'default';
  const objects = jobs.flatMap((job) =>
    jobManifests(job, { image: values.image as string, namespace, once: values.once ?? false }),
  );
  const command = [
    'kubepoll manifests',
    ...positionals,
    '--image',
    values.image,
    '--namespace',
    namespace,
    ...(values.once ? ['--once'] : []),
  ].join(' ');
  io.stdout.write(manifestsYaml(objects, command));
  return 0;
}
