/**
 * Finds or builds the kube-apiserver and etcd binaries of the real API server
 * tier. They are built from the project's own pinned Go modules
 * (`src/testing/go/<binary>/go.mod`, shipped in the package) with `go build`,
 * once, into a cache folder keyed on a hash of those module files and the build
 * flags: a changed pin builds again, anything else reuses the binary.
 *
 * Cache: `$KUBEPOLL_CACHE_DIR`, else `$XDG_CACHE_HOME/kubepoll`, else
 * `~/.cache/kubepoll`. `KUBEPOLL_APISERVER_BIN` and `KUBEPOLL_ETCD_BIN` name
 * binaries to use instead.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The oldest Go that builds the pinned modules (their go.mod says `go 1.26.0`). */
export const MIN_GO = [1, 26] as const;

export interface ApiServerBinaries {
  kubeApiserver: string;
  etcd: string;
}

/** Go is missing or too old, and a binary has to be built: the message is one line that says how to get it. */
export class GoToolchainError extends Error {
  override name = 'GoToolchainError';
}

export interface FindBinariesOptions {
  /** Environment to read the overrides and cache location from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where progress goes (a build says what it does and how long it takes). Default stderr. */
  log?: (line: string) => void;
}

type BinaryName = 'kube-apiserver' | 'etcd';

interface BinarySpec {
  /** The folder under src/testing/go holding its go.mod. */
  module: string;
  /** The main package `go build` builds. */
  pkg: string;
  override: 'KUBEPOLL_APISERVER_BIN' | 'KUBEPOLL_ETCD_BIN';
  ldflags(version: string): string;
  /** The module whose version goes in the cache folder's name. */
  versionOf: string;
  coldBuild: string;
}

const SPECS: Record<BinaryName, BinarySpec> = {
  'kube-apiserver': {
    module: 'kube-apiserver',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    override: 'KUBEPOLL_APISERVER_BIN',
    versionOf: 'k8s.io/kubernetes',
    // Without the version stamps /version says v0.0.0-master (Kubernetes' own build sets the same).
    ldflags: (v) => {
      const [major = '', minor = ''] = v.replace(/^v/, '').split('.');
      const stamps = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
        `-X ${pkg}.gitVersion=${v}`,
        `-X ${pkg}.gitMajor=${major}`,
        `-X ${pkg}.gitMinor=${minor}`,
        `-X ${pkg}.gitTreeState=clean`,
      ]);
      return ['-s', '-w', ...stamps].join(' ');
    },
    coldBuild: 'about 6.5 minutes on 2 cores',
  },
  etcd: {
    module: 'etcd',
    pkg: 'go.etcd.io/etcd/server/v3',
    override: 'KUBEPOLL_ETCD_BIN',
    versionOf: 'go.etcd.io/etcd/server/v3',
    ldflags: () => '-s -w',
    coldBuild: 'about 1 minute on 2 cores',
  },
};

/** The pinned Go modules, found relative to this file: src/testing/ and dist/testing/ both reach src/testing/go. */
export const GO_MODULES_DIR = fileURLToPath(new URL('../../src/testing/go/', import.meta.url));

/** The user cache folder kubepoll keeps built binaries in. */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.KUBEPOLL_CACHE_DIR) return env.KUBEPOLL_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'kubepoll');
  return path.join(env.HOME || homedir(), '.cache', 'kubepoll');
}

/**
 * The paths of kube-apiserver and etcd: the overrides, else the cached build,
 * else a build now (which needs Go >= 1.26; without it a `GoToolchainError`).
 *
 * @example
 * ```ts
 * const { kubeApiserver, etcd } = await findApiServerBinaries();
 * ```
 */
export async function findApiServerBinaries(options: FindBinariesOptions = {}): Promise<ApiServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // One after the other: two cold builds at once would only fight over the cores.
  const kubeApiserver = await findBinary('kube-apiserver', env, log);
  const etcd = await findBinary('etcd', env, log);
  return { kubeApiserver, etcd };
}

async function findBinary(name: BinaryName, env: Readonly<Record<string, string | undefined>>, log: (line: string) => void) {
  const spec = SPECS[name];
  const override = env[spec.override];
  if (override) {
    await access(override, constants.X_OK).catch(() => {
      throw new Error(`${spec.override}=${override} is not an executable file: fix the path, or unset it to build ${name}`);
    });
    return override;
  }
  const moduleDir = path.join(GO_MODULES_DIR, spec.module);
  const goMod = await readFile(path.join(moduleDir, 'go.mod'), 'utf8').catch(() => {
    throw new Error(`${moduleDir}/go.mod is missing: the package ships src/testing/go; reinstall kubepoll`);
  });
  const version = requiredVersion(goMod, spec.versionOf);
  const ldflags = spec.ldflags(version);
  const key = await buildKey(moduleDir, [spec.pkg, ldflags, process.platform, process.arch]);
  const folder = path.join(cacheDir(env), `${name}-${version}-${key}`);
  const binary = path.join(folder, name);
  if (await isExecutable(binary)) return binary;

  await checkGo(name, env);
  await mkdir(folder, { recursive: true });
  await removeStaleTemps(folder, name);
  // A temp name, renamed when complete: a killed build never leaves a half binary under the final name.
  const temp = path.join(folder, `.${name}.${process.pid}.tmp`);
  log(
    `kubepoll: building ${name} ${version} from ${moduleDir} into ${folder} (cold: ${spec.coldBuild}; seconds once Go's build cache is warm)`,
  );
  const started = Date.now();
  await goBuild(moduleDir, ['build', '-trimpath', '-mod=readonly', '-ldflags', ldflags, '-o', temp, spec.pkg], env).catch(
    async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    },
  );
  await rename(temp, binary);
  log(`kubepoll: built ${name} in ${formatDuration(Date.now() - started)}: ${binary}`);
  return binary;
}

/** The version a go.mod requires of a module (`require k8s.io/kubernetes v1.37.2`). */
export function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`go.mod does not require ${module}`);
  return match[1];
}

/** A short hash of the module files and build flags: the cache folder's key. */
async function buildKey(moduleDir: string, flags: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'tools.go']) {
    hash.update(`${file}\0`);
    hash.update(await readFile(path.join(moduleDir, file)).catch(() => Buffer.alloc(0)));
  }
  for (const flag of flags) hash.update(`\0${flag}`);
  return hash.digest('hex').slice(0, 16);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function removeStaleTemps(folder: string, name: string): Promise<void> {
  for (const entry of await readdir(folder)) {
    const pid = new RegExp(`^\\.${name}\\.(\\d+)\\.tmp$`).exec(entry)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await rm(path.join(folder, entry), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const GET_GO =
  'install Go >= 1.26 from https://go.dev/dl/ (or your package manager) and put it on PATH, or set KUBEPOLL_APISERVER_BIN and KUBEPOLL_ETCD_BIN';

/** Throws a one-line `GoToolchainError` unless `go` on PATH is at least `MIN_GO`. */
async function checkGo(name: BinaryName, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  let version: string;
  try {
    const { stdout } = await promisify(execFile)('go', ['env', 'GOVERSION'], { env: goEnv(env) });
    version = stdout.trim();
  } catch {
    throw new GoToolchainError(
      `kubepoll: building ${name} for the real API server tests needs Go, and none is on PATH: ${GET_GO}`,
    );
  }
  const [, major, minor] = /^go(\d+)\.(\d+)/.exec(version) ?? [];
  if (Number(major) < MIN_GO[0] || (Number(major) === MIN_GO[0] && Number(minor) < MIN_GO[1]) || major === undefined) {
    throw new GoToolchainError(
      `kubepoll: building ${name} needs Go >= ${MIN_GO.join('.')}, found ${version || 'an unknown version'}: ${GET_GO}`,
    );
  }
}

/** Go's environment for the build: the local toolchain only (no silent toolchain download). */
function goEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  return { ...env, GOTOOLCHAIN: 'local' } as NodeJS.ProcessEnv;
}

function goBuild(cwd: string, args: string[], env: Readonly<Record<string, string | undefined>>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env: goEnv(env), stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.join(' ')} (in ${cwd}) failed with ${signal ?? `exit code ${code}`}:\n${stderr.trim()}`));
    });
  });
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
