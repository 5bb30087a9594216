/**
 * Time and randomness for everything that waits (retry backoff, the rate
 * limiter, 410 resumes, leader election): injectable, so tests drive them with
 * a fake clock instead of real sleeping or global fake timers.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: abortableSleep,
  random: Math.random,
};

/** RFC 3339 with microseconds, as `metav1.MicroTime` is serialised (Events' eventTime, Leases' renewTime). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The longest timeout Node's timers hold (2^31-1 ms), in whole seconds: a longer one fires at once. */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

/** `setTimeout` as a promise that rejects with the signal's reason when it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
