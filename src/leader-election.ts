import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import { type Clock, microTime } from './clock.js';
import { toError } from './errors.js';
import type { KubeObject } from './job.js';
import type { PlannedDeclaration } from './rbac.js';
import type { Pipeline } from './request-pipeline.js';

/** client-go's leader election timings (`leaderelection.LeaderElectionConfig`), in ms. */
export const LEASE_DURATION_MS = 15_000;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;
/** client-go's `JitterFactor` on the retry period. */
const JITTER_FACTOR = 1.2;

/** The Lease `kubepoll schedule --leader-elect` uses unless `--lease-name` says otherwise. */
export const DEFAULT_LEASE_NAME = 'kubepoll-scheduler';

export const LEASES_REF = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true } as const;

/**
 * What leader election needs, as declarations: `get` and `update` on that one
 * Lease (RBAC `resourceNames`), and `create` (which RBAC cannot limit by name)
 * for the first replica to make it. The generated Role grants exactly these,
 * and the client refuses anything else.
 */
export function leaderElectionDeclarations(leaseName: string): PlannedDeclaration[] {
  return [
    { ...LEASES_REF, verbs: ['get', 'update'], names: [leaseName] },
    { ...LEASES_REF, verbs: ['create'] },
  ];
}

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderElectorOptions {
  pipeline: Pipeline;
  namespace: string;
  leaseName: string;
  identity: string;
  clock: Clock;
  log: Logger;
  timings?: Partial<LeaderElectionTimings>;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Told the holder each time the Lease is read (for `/metrics`). */
  onObserved?: (holder: string | undefined) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's
 * semantics (`tools/leaderelection`): a candidate tries every retry period
 * (jittered ×1–1.2) to take the Lease, which it may when it holds it already,
 * nobody does, or the holder's record has not changed for a whole lease
 * duration *as observed on this candidate's clock* (so clock skew between
 * replicas does not matter). The leader renews every retry period; when it has
 * not renewed for the renew deadline (10 s, less than the 15 s lease) it stops
 * leading, so it has stopped starting runs before anyone else may take over.
 * Writes are updates with the read resourceVersion: two candidates cannot both
 * win. `stop()` releases the Lease (client-go's ReleaseOnCancel), so a
 * successor need not wait out the lease.
 */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #t: LeaderElectionTimings;
  readonly #stop = new AbortController();
  #leading = false;
  #observedRecord = '';
  #observedAt = 0;
  #lease: KubeObject | undefined;
  #loop: Promise<void> | undefined;
  /** When this candidate last wrote the Lease as its holder (our clock). */
  #lastRenew = Number.NEGATIVE_INFINITY;

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.#t = {
      leaseDurationMs: options.timings?.leaseDurationMs ?? LEASE_DURATION_MS,
      renewDeadlineMs: options.timings?.renewDeadlineMs ?? RENEW_DEADLINE_MS,
      retryPeriodMs: options.timings?.retryPeriodMs ?? RETRY_PERIOD_MS,
    };
    if (!(this.#t.leaseDurationMs > this.#t.renewDeadlineMs && this.#t.renewDeadlineMs > this.#t.retryPeriodMs * JITTER_FACTOR)) {
      throw new TypeError('leader election needs lease duration > renew deadline > retry period × 1.2');
    }
  }

  /**
   * True while this candidate holds the Lease *and* renewed it within the renew
   * deadline: a process that was stalled (SIGSTOP, a blocked event loop) is not
   * the leader when it wakes, even before its loop notices, since another may
   * have taken over in the meantime.
   */
  get leading(): boolean {
    return this.#leading && this.#o.clock.now() - this.#lastRenew < this.#t.renewDeadlineMs;
  }

  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => this.#o.log.error({ err: error }, 'leader election stopped'));
  }

  /** Stops campaigning; a leader steps down and (unless `release` is false) releases the Lease. */
  async stop(release = true): Promise<void> {
    this.#stop.abort(new Error('leader election stopped'));
    await this.#loop;
    if (this.#leading) {
      this.#setLeading(false);
      if (release) {
        await this.#release().catch((error: unknown) => this.#o.log.warn({ err: error }, 'could not release the leader lease'));
      }
    }
  }

  async #run(): Promise<void> {
    const { clock } = this.#o;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const attemptStarted = clock.now();
      const ok = await this.#tryAcquireOrRenew();
      const now = clock.now();
      if (ok) {
        // A renewal counts from when it was sent: an answer that took long is older than it looks.
        this.#lastRenew = attemptStarted;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading && now - this.#lastRenew >= this.#t.renewDeadlineMs) {
        this.#o.log.error(
          { lease: this.#o.leaseName, renewDeadlineMs: this.#t.renewDeadlineMs },
          'could not renew the leader lease within the renew deadline; no longer leading',
        );
        this.#setLeading(false);
      }
      const wait = this.#leading ? this.#t.retryPeriodMs : this.#t.retryPeriodMs * (1 + clock.random() * (JITTER_FACTOR - 1));
      await clock.sleep(wait, signal).catch(() => {});
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.log.info({ lease: this.#o.leaseName, identity: this.#o.identity }, leading ? 'became the leader' : 'stopped leading');
    if (leading) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  /** One attempt, as client-go's `tryAcquireOrRenew`; false on any failure (logged), true when we hold the Lease. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { clock, identity } = this.#o;
    const now = clock.now();
    try {
      const current = await this.#read(this.#stop.signal);
      if (current === undefined) {
        this.#lease = await this.#write('create', this.#spec(undefined, now));
        this.#observe(this.#lease, now);
        return true;
      }
      const spec = (current.spec ?? {}) as LeaseSpec;
      this.#observe(current, now);
      const holder = spec.holderIdentity || undefined;
      const held = holder !== undefined && holder !== identity;
      const expiresAt = this.#observedAt + (spec.leaseDurationSeconds ?? this.#t.leaseDurationMs / 1000) * 1000;
      if (held && expiresAt > now) return false;
      this.#lease = await this.#write('update', this.#spec(spec, now), current);
      this.#observe(this.#lease, now);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) {
        this.#o.log.warn({ lease: this.#o.leaseName, err: toError(error) }, 'leader election: could not read or write the Lease');
      }
      return false;
    }
  }

  #spec(previous: LeaseSpec | undefined, now: number): LeaseSpec {
    const time = microTime(now);
    const sameHolder = previous?.holderIdentity === this.#o.identity;
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.round(this.#t.leaseDurationMs / 1000),
      acquireTime: sameHolder && previous?.acquireTime ? previous.acquireTime : time,
      renewTime: time,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous && !sameHolder ? 1 : 0),
    };
  }

  /** Notes when the record last changed, on our clock: the lease runs from then. */
  #observe(lease: KubeObject, now: number): void {
    const spec = (lease.spec ?? {}) as LeaseSpec;
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = now;
    }
    this.#o.onObserved?.(spec.holderIdentity || undefined);
  }

  /** `signal`: the campaign's, so stopping cancels a read in flight; the release reads after stopping, without it. */
  async #read(signal: AbortSignal | null): Promise<KubeObject | undefined> {
    try {
      const response = await this.#o.pipeline.send({
        verb: 'get',
        method: 'GET',
        ref: LEASES_REF,
        scope: this.#o.namespace,
        name: this.#o.leaseName,
        signal: signal ?? undefined,
      });
      return JSON.parse(response.body.toString('utf8')) as KubeObject;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && !error.unknownResource) return undefined;
      throw error;
    }
  }

  async #write(verb: 'create' | 'update', spec: LeaseSpec, current?: KubeObject): Promise<KubeObject> {
    const metadata: Record<string, unknown> = { name: this.#o.leaseName, namespace: this.#o.namespace };
    if (current?.metadata?.resourceVersion) metadata.resourceVersion = current.metadata.resourceVersion;
    const body = JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec });
    const response = await this.#o.pipeline.send({
      verb,
      method: verb === 'create' ? 'POST' : 'PUT',
      ref: LEASES_REF,
      scope: this.#o.namespace,
      name: verb === 'create' ? undefined : this.#o.leaseName,
      body,
      contentType: 'application/json',
    });
    return JSON.parse(response.body.toString('utf8')) as KubeObject;
  }

  /** Gives the Lease up: no holder, a one-second lease, so the next candidate takes it at once. */
  async #release(): Promise<void> {
    const current = await this.#read(null);
    const spec = (current?.spec ?? {}) as LeaseSpec;
    if (current === undefined || spec.holderIdentity !== this.#o.identity) return;
    const now = this.#o.clock.now();
    await this.#write('update', { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) }, current);
  }
}
