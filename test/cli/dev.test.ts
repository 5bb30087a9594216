import type { ChildProcess } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../support/cli.js';

const CONFIG_MAPS = `apiVersion: v1
kind: ConfigMap
metadata: { name: feature-flags, namespace: team-a }
data: { beta: "true" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: limits, namespace: team-a }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: elsewhere, namespace: team-b }
`;

// A job with no import at all, so it loads from any folder.
const COUNT_JOB = `const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
export default {
  resources: [{ ...configMaps, verbs: ['list'] }],
  async run(ctx) {
    let count = 0;
    for await (const _ of ctx.list(configMaps)) count++;
    return { count, namespace: ctx.namespace, dryRun: ctx.dryRun };
  },
};
`;

let project: string;
beforeAll(async () => {
  project = await mkdtemp(path.join(tmpdir(), 'kubepoll-dev-'));
  await mkdir(path.join(project, 'jobs', 'fixtures'), { recursive: true });
  await writeFile(path.join(project, 'jobs', 'count-config-maps.mjs'), COUNT_JOB);
  await writeFile(path.join(project, 'jobs', 'fixtures', 'config-maps.yaml'), CONFIG_MAPS);
});
afterAll(() => rm(project, { recursive: true, force: true }));

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Starts `kubepoll dev`, calls `whileUp` with what it printed once it is ready,
 * then sends SIGINT and resolves with its result.
 */
async function withDev<T>(args: string[], whileUp: (printed: string) => Promise<T>): Promise<{ dev: CliResult; value: T }> {
  let printed = '';
  let value: Promise<T> | undefined;
  const dev = await runCli(['dev', ...args], {
    cwd: project,
    onStdoutLine: (line: string, child: ChildProcess) => {
      printed += `${line}\n`;
      if (!line.startsWith('Ctrl-C')) return;
      value = whileUp(printed).finally(() => child.kill('SIGINT'));
    },
  });
  if (value === undefined) throw new Error(`kubepoll dev never got ready: ${dev.stdout}${dev.stderr}`);
  return { dev, value: await value };
}

function kubeconfigOf(printed: string): string {
  const match = printed.match(/^kubeconfig: (.+)$/m);
  if (!match?.[1]) throw new Error(`no kubeconfig line in: ${printed}`);
  return match[1];
}

describe('kubepoll dev', () => {
  it('serves jobs/fixtures/*.yaml; the printed KUBECONFIG line runs a job; Ctrl-C removes the kubeconfig and exits 0', async () => {
    const { dev, value } = await withDev([], async (printed) => {
      const kubeconfig = kubeconfigOf(printed);
      const token = /token: (\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1];
      // The line to paste, as printed: the job name is the first job in ./jobs.
      expect(printed).toContain(`  KUBECONFIG=${kubeconfig} npx kubepoll run count-config-maps --dry-run\n`);
      const run = await runCli(['run', 'count-config-maps', '--dry-run', '--namespace', 'team-a'], {
        cwd: project,
        env: { KUBECONFIG: kubeconfig },
      });
      return { kubeconfig, token, run };
    });
    expect(value.run.code).toBe(0);
    expect(value.run.lines.at(-1)).toMatchObject({
      outcome: 'succeeded',
      result: { count: 2, namespace: 'team-a', dryRun: true },
    });
    expect(dev.stdout).toContain('seeded with 3 objects from jobs/fixtures/*.yaml (namespaces: team-a, team-b)');
    expect(dev.code).toBe(0);
    expect(await exists(value.kubeconfig)).toBe(false);
    expect(await exists(path.dirname(value.kubeconfig))).toBe(false);
    // The token is in the kubeconfig file only, never in what dev prints.
    expect(value.token?.length).toBeGreaterThan(20);
    expect(dev.stdout + dev.stderr).not.toContain(value.token);
  });

  it('prints an in-cluster environment that works, with the namespace and fixtures asked for', async () => {
    const other = path.join(project, 'team-b.yaml');
    await writeFile(other, CONFIG_MAPS.split('---\n').at(-1) ?? '');
    const { dev, value } = await withDev(['--fixtures', other, '--namespace', 'team-b'], async (printed) => {
      const line = printed.split('\n').find((l) => l.includes('KUBERNETES_SERVICE_HOST='));
      const env = Object.fromEntries(
        (line ?? '')
          .trim()
          .split(' ')
          .filter((w) => /^[A-Z_]+=/.test(w))
          .map((w) => w.split('=', 2) as [string, string]),
      );
      expect(Object.keys(env).sort()).toEqual([
        'KUBEPOLL_SERVICEACCOUNT_DIR',
        'KUBERNETES_SERVICE_HOST',
        'KUBERNETES_SERVICE_PORT',
      ]);
      return runCli(['run', 'count-config-maps'], { cwd: project, env });
    });
    expect(dev.stdout).toContain('seeded with 1 object from');
    // The service account's namespace is the run's default.
    expect(value.lines.at(-1)).toMatchObject({ outcome: 'succeeded', result: { count: 1, namespace: 'team-b' } });
    expect(dev.code).toBe(0);
  });

  it('a fixture pattern that matches nothing is one line and exit 2, before anything starts', async () => {
    const result = await runCli(['dev', '--fixtures', 'nope/*.yaml'], { cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kubepoll: fixtures: no file matches nope\/\*\.yaml .*\n$/);
    expect(result.stdout).toBe('');
  });

  it('a fixture the cluster cannot serve is one line naming the file, and exit 2', async () => {
    const widget = path.join(project, 'widget.yaml');
    await writeFile(widget, 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: a }\n');
    const result = await runCli(['dev', widget], { cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kubepoll: fixtures: .*widget\.yaml: document 1: no resource serves kind Widget.*\n$/);
  });

  it('answers --help with exit 0', async () => {
    const result = await runCli(['dev', '--help'], { cwd: project });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: kubepoll dev');
  });
});
