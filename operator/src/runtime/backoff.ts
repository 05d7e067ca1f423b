// Pure retry pacing for calls to the API server: capped exponential backoff with jitter (so a
// fleet of replicas that lost the API server together does not come back in lock-step), and a
// limiter that lets one warning through per interval and says how many it held back.

export interface BackoffPolicy {
  /** Delay after the first failure (and the floor of every delay). */
  baseMs: number;
  /** The exponential part stops growing here; jitter adds at most `jitter` × this on top. */
  maxMs: number;
  /** Fraction of the delay added at random (0.5 = up to +50 %). */
  jitter: number;
}

/** Delay before the next attempt after `failures` consecutive failures (1 = the first). */
export function backoffDelay(failures: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, failures - 1));
  const delay = Math.max(p.baseMs, exp);
  return Math.round(delay + delay * p.jitter * random());
}

/**
 * One warning per `everyMs` at most: `take()` answers the number of warnings suppressed since
 * the last one let through, or undefined when this one must be suppressed.
 */
export class WarnLimiter {
  private readonly everyMs: number;
  private readonly now: () => number;
  private last = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(everyMs: number, now: () => number) {
    this.everyMs = everyMs;
    this.now = now;
  }

  take(): number | undefined {
    const t = this.now();
    if (t - this.last < this.everyMs) {
      this.suppressed++;
      return undefined;
    }
    this.last = t;
    const held = this.suppressed;
    this.suppressed = 0;
    return held;
  }

  /** Starts afresh (after a success): the next failure is reported at once. */
  reset(): void {
    this.last = Number.NEGATIVE_INFINITY;
    this.suppressed = 0;
  }
}
