import { describe, expect, it } from 'vitest';
import { CLUSTER_OPTIONS, type CliIo, closest, parseCommand, parseSets, UsageError } from '../../src/cli-io.js';
import { ConfigError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { SecretSet } from '../../src/redact.js';

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env: {},
    homeDir: '/nonexistent',
    interrupt: new AbortController().signal,
    secrets: new SecretSet(),
  };
  return { io, out, err };
}

const spec = {
  command: 'run',
  usage: 'usage: kubepoll run <job> [--namespace N] [--dry-run]\n\n',
  options: { ...CLUSTER_OPTIONS, 'dry-run': { type: 'boolean' }, timeout: { type: 'string' } },
  positionals: true,
} as const;

describe('closest', () => {
  const flags = ['namespace', 'kubeconfig', 'context', 'dry-run', 'timeout'];
  it('finds a typo within two edits', () => {
    expect(closest('namspace', flags)).toBe('namespace'); // one deletion
    expect(closest('kubeconfg', flags)).toBe('kubeconfig');
    expect(closest('dryrun', flags)).toBe('dry-run');
    expect(closest('contxet', flags)).toBe('context'); // two substitutions
  });

  it('finds a prefix of three letters or more', () => {
    expect(closest('name', flags)).toBe('namespace');
    expect(closest('kube', flags)).toBe('kubeconfig');
    expect(closest('na', flags)).toBeUndefined(); // too short to be a prefix, and 7 edits away
  });

  it('finds nothing when nothing is close', () => {
    expect(closest('verbose', flags)).toBeUndefined();
    expect(closest('xyz', flags)).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('prefers the nearer of two candidates', () => {
    expect(closest('jab', ['jobs', 'job'])).toBe('job');
    expect(closest('conte', ['context', 'contest'])).toBe('context'); // both prefixes: the first
  });
});

describe('parseSets', () => {
  it('reads NAME=VALUE pairs; the value may hold "=" or be empty; the last of a name wins', () => {
    expect(parseSets(['MAX_AGE_DAYS=7', 'SELECTOR=app=web', 'EMPTY=', 'MAX_AGE_DAYS=30'])).toEqual({
      MAX_AGE_DAYS: '30',
      SELECTOR: 'app=web',
      EMPTY: '',
    });
    expect(parseSets(undefined)).toEqual({});
  });

  it.each(['NAME', '=value', ''])('refuses %j with a UsageError (exit 2)', (item) => {
    let error: unknown;
    try {
      parseSets([item]);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`--set takes NAME=VALUE, got "${item}"`);
    expect(exitCodeFor(error)).toBe(2);
  });
});

describe('parseCommand', () => {
  it('parses the flags and positionals of a command, -n for --namespace', () => {
    const { io, out } = fakeIo();
    const parsed = parseCommand(['cleanup', '-n', 'team-a', '--dry-run', '--timeout=30'], spec, io);
    expect(parsed?.positionals).toEqual(['cleanup']);
    expect(parsed?.values).toEqual({ namespace: 'team-a', 'dry-run': true, timeout: '30' });
    expect(out).toEqual([]);
  });

  it('answers an unknown flag with "did you mean" from the command\'s own flags', () => {
    const { io } = fakeIo();
    let error: unknown;
    try {
      parseCommand(['cleanup', '--namspace', 'team-a'], spec, io);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(error)).toBe(2);
    const message = (error as Error).message;
    expect(message).toMatch(/^[^\n]*unknown option --namspace\b[^\n]*; did you mean --namespace\? \(see kubepoll run --help\)$/);
    expect(message).toContain('kubepoll run');
    expect(() => parseCommand(['--namspace=team-a'], spec, io)).toThrow('did you mean --namespace?');
    expect(() => parseCommand(['--dryrun'], spec, io)).toThrow('did you mean --dry-run?');
  });

  it('says only "unknown option" when no flag is close', () => {
    const { io } = fakeIo();
    let error: unknown;
    try {
      parseCommand(['--verbose'], spec, io);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/unknown option --verbose\b/);
    expect((error as Error).message).not.toContain('did you mean');
  });

  it('refuses a positional the command does not take, and a flag without its value', () => {
    const { io } = fakeIo();
    const noPositionals = { ...spec, command: 'jobs', positionals: false };
    expect(() => parseCommand(['extra'], noPositionals, io)).toThrow(UsageError);
    expect(() => parseCommand(['extra'], noPositionals, io)).toThrow(/^[^\n]*'extra'[^\n]* \(see kubepoll jobs --help\)$/);
    expect(() => parseCommand(['--timeout'], spec, io)).toThrow(UsageError);
    expect(() => parseCommand(['--timeout'], spec, io)).toThrow(/^[^\n]*--timeout[^\n]* \(see kubepoll run --help\)$/);
  });

  it.each([['--help'], ['-h'], ['cleanup', '--bogus', '--help']])('%j prints the usage and returns undefined', (...args) => {
    const { io, out, err } = fakeIo();
    expect(parseCommand(args, spec, io)).toBeUndefined();
    expect(out).toEqual(['usage: kubepoll run <job> [--namespace N] [--dry-run]\n']);
    expect(err).toEqual([]);
  });
});
