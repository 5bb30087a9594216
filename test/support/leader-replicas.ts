import { expect } from 'vitest';
import { runCli } from './cli.js';

/**
 * Two `kubepoll schedule --leader-elect` replicas (short timings) against one
 * cluster: the first to run twice as leader is killed with SIGKILL (a crash,
 * no release), the other is stopped with SIGTERM once it has run twice. Checks
 * what must hold whatever the server: both led, one after the other; before the
 * takeover only the first ran jobs; the takeover came after the crash.
 */
export async function twoLeaderElectedReplicas(jobsDir: string, env: Record<string, string>): Promise<void> {
  const args = [
    'schedule',
    '--jobs',
    jobsDir,
    '--leader-elect',
    '--lease-duration',
    '3',
    '--renew-deadline',
    '2',
    '--retry-period',
    '1',
  ];
  const events: { who: string; msg: string; at: number }[] = [];
  let killedAt = 0;
  const replica = (who: string) =>
    runCli(args, {
      env: { ...env, POD_NAME: who },
      onStdoutLine: (line, child) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'became the leader' || entry.msg === 'run finished')
          events.push({ who, msg: entry.msg, at: Date.now() });
        if (entry.msg !== 'run finished') return;
        const runs = events.filter((e) => e.who === who && e.msg === 'run finished').length;
        if (runs === 2 && killedAt === 0) {
          killedAt = Date.now();
          child.kill('SIGKILL');
        } else if (runs === 2 && killedAt > 0) child.kill('SIGTERM');
      },
    });
  const [a, b] = await Promise.all([replica('a'), replica('b')]);
  const leaders = events.filter((e) => e.msg === 'became the leader');
  expect(leaders.map((e) => e.who).sort()).toEqual(['a', 'b']);
  const [first, second] = leaders;
  // While the first led, the other ran nothing.
  const ranBeforeTakeover = events.filter((e) => e.msg === 'run finished' && e.at < (second?.at ?? 0));
  expect(new Set(ranBeforeTakeover.map((e) => e.who))).toEqual(new Set([first?.who]));
  // The other took over only after the crash (how soon, on client-go's timings, is test/unit/leader-election.test.ts's, on a manual clock).
  expect(second?.at ?? 0).toBeGreaterThan(killedAt);
  expect([a.code, b.code].sort()).toEqual([0, null]);
}
