import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { type CliResult, ROOT, runCli } from '../support/cli.js';
import { configMap, widgetObjects } from '../support/cluster.js';

const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');
const WIDGET_FIXTURES = 'test/fixtures/cluster/*.yaml';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Ten config maps in team-a, for the fixture jobs that list them. */
const tenConfigMaps = () => Array.from({ length: 10 }, (_, i) => configMap(`cm-${i}`, 'team-a'));

function expectNoSecrets(result: CliResult, c: TestCluster) {
  expect(result.stdout).not.toContain(c.token);
  expect(result.stderr).not.toContain(c.token);
  expect(result.stdout.toLowerCase()).not.toContain('bearer ');
}

function lastLine(result: CliResult) {
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
}

describe('kubepoll run, in-cluster style', () => {
  it('runs a job with the service-account directory and env vars', async () => {
    cluster = await startTestCluster({ fixtures: WIDGET_FIXTURES, namespace: 'monitoring' });
    const result = await runCli(['run', 'count-widgets', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const last = lastLine(result);
    expect(last).toMatchObject({
      msg: 'run finished',
      outcome: 'succeeded',
      job: 'count-widgets',
      requests: 1,
      retries: 0,
    });
    expect(last.result).toEqual({ names: ['team-a/alpha', 'team-a/beta', 'team-b/gamma'] });
    expect(result.lines[0]).toMatchObject({ msg: 'run started', namespace: 'monitoring' });
    expectNoSecrets(result, cluster);
  });
});

describe('kubepoll run, kubeconfig style', () => {
  it('runs with --kubeconfig and --namespace, pretty logs on request', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps() });
    const result = await runCli(
      [
        'run',
        'plain-object',
        '--jobs',
        JOBS,
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--namespace',
        'team-a',
        '--log-format',
        'pretty',
      ],
      {},
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/INFO {2}\[plain-object\] run finished outcome=succeeded .*result=\{"count":10\}\n$/);
    expectNoSecrets(result, cluster);
  });

  it('reads KUBECONFIG', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    const result = await runCli(['run', path.join(JOBS, 'plain-object.mjs')], { env: { KUBECONFIG: cluster.kubeconfigPath } });
    expect(result.code).toBe(0);
    expect(lastLine(result).result).toEqual({ count: 10 });
  });

  it('--dry-run sends writes with dryRun=All and changes nothing', async () => {
    cluster = await startTestCluster({
      objects: [configMap('existing', 'team-a'), configMap('doomed', 'team-a')],
      namespace: 'team-a',
    });
    const result = await runCli(['run', 'writer', '--jobs', JOBS, '--dry-run'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result).result).toEqual({ dryRun: true });
    expect(cluster.objects({ group: '', version: 'v1', plural: 'configmaps' }).map((o) => o.metadata?.name)).toEqual([
      'doomed',
      'existing',
    ]);
    expect(cluster.requests.filter((r) => r.method !== 'GET').every((r) => r.query.dryRun === 'All')).toBe(true);
  });
});

describe('exit codes', () => {
  it.each([
    [['run', 'nope', '--jobs', JOBS], /^kubepoll: unknown job "nope" in .* \(jobs there: /],
    [['run', 'invalid', '--jobs', JOBS], /^kubepoll: .*invalid\.mjs: invalid job: unknown field "colour"; /],
    // Where: file, line and column of a syntax error, and the code line.
    [
      ['run', 'syntax-error', '--jobs', JOBS],
      /^kubepoll: .*syntax-error\.mjs:1:36: cannot load job module: SyntaxError: Unexpected token ';' \(at: "export default \{ run\(\) \{ return 1 \+; \} \};"\)$/,
    ],
    [
      ['run', 'top-level-throw', '--jobs', JOBS],
      /^kubepoll: .*top-level-throw\.mjs:4:7: cannot load job module: settings file is missing \(at: "throw new Error/,
    ],
    [
      ['run', 'plain-object', '--jobs', JOBS, '--frobnicate'],
      /^kubepoll: unknown option --frobnicate for kubepoll run \(see kubepoll run --help\)$/,
    ],
    [
      ['run', 'plain-object', '--jobs', JOBS, '--namspace', 'x'],
      /^kubepoll: unknown option --namspace for kubepoll run; did you mean --namespace\? \(see kubepoll run --help\)$/,
    ],
    [
      ['run', 'plain-object', '--jobs', JOBS, '--timeout', 'soon'],
      /^kubepoll: --timeout must be a whole number of seconds >= 1, got "soon"$/,
    ],
    [
      ['run', 'plain-object', '--jobs', JOBS, '--log-format', 'xml'],
      /^kubepoll: --log-format must be json or pretty, got "xml"$/,
    ],
    [['run'], /^kubepoll: run takes exactly one job name or path/],
    [['deploy'], /^kubepoll: unknown command "deploy" \(see kubepoll --help\)$/],
    [['shedule'], /^kubepoll: unknown command "shedule"; did you mean "schedule"\? \(see kubepoll --help\)$/],
    [
      ['run', 'plain-object', '--jobs', JOBS],
      /^kubepoll: no cluster config found; tried in-cluster \(KUBERNETES_SERVICE_HOST\/PORT not set\), KUBECONFIG \(not set\), .*\.kube\/config \(no such file\)\. Pass --kubeconfig or run in a pod$/,
    ],
  ])('exit 2 with one line on stderr for %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exit 2 when --context names a missing context', async () => {
    cluster = await startTestCluster();
    const result = await runCli([
      'run',
      'plain-object',
      '--jobs',
      JOBS,
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--context',
      'prod',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `kubepoll: context "prod" not found in kubeconfig ${cluster.kubeconfigPath} (contexts: kubepoll-test)\n`,
    );
  });

  it('exit 1 when the job throws, with the error in the last line', async () => {
    cluster = await startTestCluster();
    const result = await runCli(['run', 'throws', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(1);
    expect(lastLine(result)).toMatchObject({
      outcome: 'failed',
      err: { type: 'Error', message: 'the job found something it could not handle' },
    });
  });

  it('exit 2 when the job calls what it did not declare, before any request', async () => {
    cluster = await startTestCluster();
    const result = await runCli(['run', 'undeclared', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(2);
    expect(lastLine(result)).toMatchObject({ outcome: 'failed', requests: 0, err: { type: 'AccessError', code: 'ACCESS' } });
    expect(cluster.requests).toHaveLength(0);
  });

  it('exit 3 on 403 after exactly one request', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a', rbac: [] });
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    expect(cluster.requests).toHaveLength(1);
    expect(lastLine(result)).toMatchObject({
      outcome: 'failed',
      requests: 1,
      retries: 0,
      err: { status: 403, reason: 'Forbidden' },
    });
  });

  it('exit 3 when the token stays rejected after a re-read', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ status: 401, times: 2 });
    const result = await runCli(['run', 'plain-object', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(3);
    expect(cluster.requests.map((r) => r.status)).toEqual([401, 401]);
    expectNoSecrets(result, cluster);
  });

  it('exit 4 when a hanging server outlasts --timeout', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ hang: true, times: Number.POSITIVE_INFINITY });
    const result = await runCli(['run', 'hangs', '--jobs', JOBS, '--timeout', '1'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(4);
    expect(lastLine(result)).toMatchObject({ msg: 'run finished', outcome: 'timeout', err: { type: 'DeadlineError' } });
    expectNoSecrets(result, cluster);
  });
});

describe('resilience through the CLI', () => {
  it('429 with Retry-After, 503 twice and a reset, then success', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ status: 429, retryAfter: 1 });
    cluster.inject({ status: 503, times: 2 });
    cluster.inject({ reset: true });
    const result = await runCli(['run', 'fast-retry', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result)).toMatchObject({ outcome: 'succeeded', retries: 4, result: { count: 10 } });
    const warn = result.lines.filter((l) => l.level === 'warn');
    expect(warn.map((l) => l.status ?? l.errno)).toEqual([429, 503, 503, expect.any(String)]);
    expect(warn[0]?.delayMs).toBeGreaterThanOrEqual(1000);
  });

  it('a token swapped mid-list with the old one revoked: the run still succeeds', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    const first = cluster.token;
    cluster.inject({ rotateToken: true, after: 3 });
    const result = await runCli(['run', 'slow-list', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result)).toMatchObject({ result: { n: 10 }, retries: 1 });
    expect(cluster.token).not.toBe(first);
    expect(cluster.requests.map((r) => r.status)).toEqual([200, 200, 200, 401, ...Array(7).fill(200)]);
    expect(result.lines.find((l) => l.level === 'warn')).toMatchObject({ status: 401, msg: expect.stringContaining('re-read') });
    expectNoSecrets(result, cluster);
    expect(result.stdout).not.toContain(first);
  });

  it('410 mid-list: every object seen once', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ expireContinue: true });
    const result = await runCli(['run', 'slow-list', '--jobs', JOBS], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    const seen = result.lines.filter((l) => l.msg === 'seen').map((l) => l.n);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lastLine(result).result).toEqual({ n: 10 });
    expect(cluster.requests.map((r) => r.status)).toContain(410);
  });
});

describe('compression', () => {
  it('asks for gzip, so a large page comes gzipped; --disable-compression asks for none; the same list either way', async () => {
    const objects = widgetObjects(1100).map((o) =>
      o.kind === 'Widget' ? { ...o, spec: { ...(o.spec as object), note: 'x'.repeat(400) } } : o,
    );
    cluster = await startTestCluster({ objects });
    const runs: Record<string, unknown>[] = [];
    for (const flags of [[], ['--disable-compression']]) {
      const before = cluster.requests.length;
      const result = await runCli(['run', 'count-widgets', '--jobs', JOBS, ...flags], { env: cluster.inClusterEnv });
      expect(result.code, result.stderr).toBe(0);
      runs.push(lastLine(result).result as Record<string, unknown>);
      const lists = cluster.requests.slice(before).filter((r) => r.path.endsWith('/widgets'));
      expect(lists).toHaveLength(3);
      if (flags.length === 0) {
        expect(lists.every((r) => r.acceptEncoding === 'gzip')).toBe(true);
        // The two full pages of 500 are over 128 KB, so gzipped; the last, of 100, is not.
        expect(lists.map((r) => r.contentEncoding)).toEqual(['gzip', 'gzip', undefined]);
      } else {
        expect(lists.every((r) => r.acceptEncoding === undefined && r.contentEncoding === undefined)).toBe(true);
      }
    }
    expect((runs[0] as { names: string[] }).names).toHaveLength(1100);
    expect(runs[1]).toEqual(runs[0]);
  });
});

describe('per-request timeout', () => {
  it('a request that gets no answer fails after --request-timeout and is retried; the run succeeds', async () => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ hang: true, times: 1 });
    const result = await runCli(['run', 'fast-retry', '--jobs', JOBS, '--request-timeout', '1'], { env: cluster.inClusterEnv });
    expect(result.code).toBe(0);
    expect(lastLine(result)).toMatchObject({ outcome: 'succeeded', retries: 1, result: { count: 10 } });
    expect(result.lines.find((l) => l.level === 'warn')).toMatchObject({ errno: 'KUBEPOLL_REQUEST_TIMEOUT', attempt: 1 });
  });
});

describe('signals', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s mid-run exits %i with the run finished line last', async (signal, code) => {
    cluster = await startTestCluster({ objects: tenConfigMaps(), namespace: 'team-a' });
    cluster.inject({ delayMs: 300, times: Number.POSITIVE_INFINITY });
    let sent = false;
    const result = await runCli(['run', 'slow-list', '--jobs', JOBS], {
      env: cluster.inClusterEnv,
      onStdoutLine: (line, child) => {
        if (!sent && line.includes('"msg":"seen"')) {
          sent = true;
          child.kill(signal);
        }
      },
    });
    expect(sent).toBe(true);
    expect(result.code).toBe(code);
    expect(lastLine(result)).toMatchObject({ msg: 'run finished', outcome: 'interrupted', err: { type: 'InterruptedError' } });
  });
});
