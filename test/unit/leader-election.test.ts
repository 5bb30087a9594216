// Leader election on a Lease with client-go's timings, against an in-memory Lease with resourceVersions, on a manual clock.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api-error.js';
import type { Clock } from '../../src/clock.js';
import { LeaderElector } from '../../src/leader-election.js';
import type { ApiCall, Pipeline } from '../../src/request-pipeline.js';
import { captureLogs } from '../support/log-capture.js';

/** Time moves only when the test says; sleeps wake in order. */
class ManualClock implements Clock {
  t = 1_000_000;
  #timers: { at: number; resolve: () => void }[] = [];
  now() {
    return this.t;
  }
  random() {
    return 0;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = { at: this.t + ms, resolve };
      this.#timers.push(timer);
      signal.addEventListener('abort', () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        reject(signal.reason);
      });
    });
  }
  async advance(ms: number) {
    const target = this.t + ms;
    for (;;) {
      await flush();
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = target;
    await flush();
  }
}

async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** One Lease in memory, with the API server's optimistic concurrency; a candidate's link can be cut. */
class LeaseServer {
  lease: { metadata: { name: string; namespace: string; resourceVersion: string }; spec: Record<string, unknown> } | undefined;
  rv = 1;
  writes: string[] = [];
  pipelineFor(who: string, broken: { value: boolean }): Pipeline {
    return {
      retries: 0,
      send: async (call: ApiCall) => {
        call.signal?.throwIfAborted(); // as the real transport: an aborted call is never sent
        if (broken.value) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        const reply = (status: number, body: unknown) => ({
          status,
          retryAfter: undefined,
          contentType: 'application/json',
          body: Buffer.from(JSON.stringify(body)),
        });
        const fail = (status: number, reason: string) =>
          new ApiError({
            status,
            reason,
            request: { verb: call.verb, resource: 'leases.coordination.k8s.io' },
            serverMessage: reason,
          });
        if (call.method === 'GET') {
          if (!this.lease) throw fail(404, 'NotFound');
          return reply(200, this.lease);
        }
        const body = JSON.parse(call.body as string) as { metadata: { resourceVersion?: string }; spec: Record<string, unknown> };
        if (call.method === 'POST') {
          if (this.lease) throw fail(409, 'AlreadyExists');
        } else if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          throw fail(409, 'Conflict');
        }
        this.lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: String(++this.rv) }, spec: body.spec };
        this.writes.push(`${who}:${call.method}:${body.spec.holderIdentity}`);
        return reply(call.method === 'POST' ? 201 : 200, this.lease);
      },
    };
  }
}

/** Two candidates on one Lease; `a` starts first (and so leads), then `b`. */
async function twoCandidates() {
  const server = new LeaseServer();
  const clock = new ManualClock();
  const a = candidate(server, clock, 'a');
  const b = candidate(server, clock, 'b');
  a.elector.start();
  await clock.advance(0);
  b.elector.start();
  return { server, clock, a, b };
}

function candidate(server: LeaseServer, clock: ManualClock, identity: string) {
  const broken = { value: false };
  const events: string[] = [];
  const elector = new LeaderElector({
    pipeline: server.pipelineFor(identity, broken),
    namespace: 'ns',
    leaseName: 'l',
    identity,
    clock,
    log: captureLogs().logger,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  return { elector, broken, events };
}

describe('leader election (client-go timings: lease 15 s, renew deadline 10 s, retry 2 s)', () => {
  it('the first candidate creates the Lease and leads; it renews every retry period', async () => {
    const server = new LeaseServer();
    const clock = new ManualClock();
    const a = candidate(server, clock, 'a');
    a.elector.start();
    await clock.advance(0);
    expect(a.elector.leading).toBe(true);
    expect(server.writes).toEqual(['a:POST:a']);
    await clock.advance(6_000);
    expect(server.writes).toEqual(['a:POST:a', 'a:PUT:a', 'a:PUT:a', 'a:PUT:a']);
    expect(server.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(a.events).toEqual(['started']);
    await a.elector.stop();
  });

  it('only one of two leads, and the other does not take over while the leader renews', async () => {
    const { server, clock, a, b } = await twoCandidates();
    await clock.advance(60_000);
    expect(a.elector.leading).toBe(true);
    expect(b.elector.leading).toBe(false);
    expect(server.writes.some((w) => w.startsWith('b:'))).toBe(false);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('when the leader dies, the other takes over within the lease duration (plus one retry period)', async () => {
    const { server, clock, a, b } = await twoCandidates();
    await clock.advance(4_000);
    await a.elector.stop(false); // a crash: no release
    const died = clock.now();
    let tookOver: number | undefined;
    for (let i = 0; i < 40 && tookOver === undefined; i++) {
      await clock.advance(500);
      if (b.elector.leading) tookOver = clock.now();
    }
    expect(tookOver).toBeDefined();
    expect((tookOver as number) - died).toBeLessThanOrEqual(15_000 + 2_000 + 500);
    // It waited out the lease rather than grabbing it: not before a whole lease since its last renewal.
    expect((tookOver as number) - died).toBeGreaterThanOrEqual(15_000 - 2_000);
    expect(server.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.elector.stop();
  });

  it('a leader that cannot renew stops leading before its lease can be taken', async () => {
    const { clock, a, b } = await twoCandidates();
    await clock.advance(2_000);
    a.broken.value = true; // a's link to the API server is cut; b's is fine
    const cut = clock.now();
    let aStopped: number | undefined;
    let bStarted: number | undefined;
    for (let i = 0; i < 100; i++) {
      await clock.advance(250);
      if (aStopped === undefined && !a.elector.leading) aStopped = clock.now();
      if (bStarted === undefined && b.elector.leading) bStarted = clock.now();
    }
    expect(aStopped).toBeDefined();
    expect(bStarted).toBeDefined();
    expect((aStopped as number) - cut).toBeLessThanOrEqual(10_000 + 2_000);
    expect(aStopped as number).toBeLessThan(bStarted as number);
    expect(a.events).toEqual(['started', 'stopped']);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('stop() releases the Lease, so the next candidate takes it at its next try', async () => {
    const { server, clock, a, b } = await twoCandidates();
    await clock.advance(1_000);
    await a.elector.stop();
    expect(server.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(2_500);
    expect(b.elector.leading).toBe(true);
    await b.elector.stop();
  });
});

describe('a stalled leader', () => {
  it('is not the leader when it wakes from a stall longer than the renew deadline, before its loop has run again', async () => {
    const { clock, a, b } = await twoCandidates();
    await clock.advance(2_000);
    expect(a.elector.leading).toBe(true);
    clock.t += 20_000; // SIGSTOP for 20 s: time passes, none of a's timers ran
    expect(a.elector.leading).toBe(false);
    await a.elector.stop(false);
    await b.elector.stop();
  });
});
