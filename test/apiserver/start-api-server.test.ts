// startApiServer() itself: the test kit's real server for users (envtest for
// kubepoll). It never outlives the process that started it, and a missing Go
// is one line that says how to get it.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { eventually, useApiServer } from './support.js';

const server = useApiServer();
/** Running (a zombie waiting to be reaped counts as gone). */
const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('startApiServer', () => {
  it('serves the pinned version, with the admin and a service account of its own', async () => {
    const version = await server().admin.ok<{ gitVersion: string }>('GET', '/version');
    expect(version.gitVersion).toBe('v1.37.2');
    const cluster = await server().cluster({ namespace: 'kit' });
    // A bound token from the TokenRequest API: the account is who the server says.
    const review = await cluster.client.ok<{ status: { userInfo: { username: string } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    expect(review.status.userInfo.username).toBe('system:serviceaccount:kit:kubepoll');
    expect(existsSync(`/proc/${server().pid}/stat`)).toBe(true);
  });

  it('a test process killed with SIGKILL leaves no etcd, no kube-apiserver and no temp files behind', async () => {
    const script = `
      import { startApiServer } from ${JSON.stringify(path.join(ROOT, 'dist/testing/apiserver.js'))};
      const s = await startApiServer();
      console.log(JSON.stringify({ pids: [s.pid, s.etcdPid], dir: s.kubeconfigPath }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString()));
      child.on('exit', (code) => reject(new Error(`the child exited with ${code} before its server was ready`)));
    });
    const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
    expect(pids.every(alive)).toBe(true);
    child.kill('SIGKILL');
    await eventually(async () => !pids.some(alive), 'both server processes are gone', 15_000);
    await eventually(async () => !existsSync(path.dirname(dir)), 'the temp folder is removed', 15_000);
  });
});

describe('the binaries', () => {
  it('without Go (and nothing cached) the tier fails with one line saying how to get Go', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'kubepoll-empty-cache-'));
    const script = `
      import { findApiServerBinaries } from ${JSON.stringify(path.join(ROOT, 'dist/testing/apiserver-binaries.js'))};
      try { await findApiServerBinaries(); } catch (e) { process.stderr.write(e.message + '\\n'); process.exit(e.name === 'GoToolchainError' ? 2 : 1); }`;
    try {
      const result = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: '/usr/bin:/bin', KUBEPOLL_CACHE_DIR: cache },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/needs Go, and none is on PATH: install Go >= 1\.26 from https:\/\/go\.dev\/dl\//);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
