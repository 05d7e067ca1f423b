// Leader election on a coordination.k8s.io/v1 Lease (client-node has no helper). One candidate
// holds the Lease and renews it; others take it over when it expires or is released. Optimistic
// concurrency (resourceVersion) makes every take-over and renewal atomic: 409 = someone else won.
// The clock is injected: production uses real timers, tests step time by hand against a real
// API server, so "steps down within the renew deadline" is checked without waiting for it.
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay, WarnLimiter } from './backoff.ts';

/** Time source and timers; the defaults are Date.now and the global timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The Lease calls the elector makes (CoordinationV1Api satisfies it). */
export interface LeaseApi {
  readNamespacedLease(p: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(p: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(p: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/** Timings, as client-go's leaderelection defaults them (15 s / 10 s / 2 s). */
export interface LeaseTimings {
  /** How long a Lease is valid after its last renewal; candidates take over after that. */
  leaseDurationSeconds: number;
  /** The holder gives up leadership if it cannot renew for this long (< lease duration). */
  renewDeadlineMs: number;
  /** How often the holder renews and candidates retry. */
  retryPeriodMs: number;
}

export const LEASE_DEFAULTS: LeaseTimings = {
  leaseDurationSeconds: 15,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export interface LeaderElectionOptions extends Partial<LeaseTimings> {
  namespace: string;
  name: string;
  identity: string;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger: Logger;
  clock?: Clock;
  /** Defaults to CoordinationV1Api from the KubeConfig. */
  api?: LeaseApi;
  /** Every failed acquire/renew attempt (the caller counts them in a metric). */
  onError?: (err: unknown) => void;
  /** Jitter source in [0, 1); Math.random by default. */
  random?: () => number;
}

/** A candidate that keeps failing waits up to this long (plus jitter) between attempts. */
export const LEASE_MAX_BACKOFF_MS = 30_000;
/** At most one acquire/renew warning per this interval; the others are counted. */
export const LEASE_WARN_EVERY_MS = 60_000;
const LEASE_JITTER = 0.5;

/**
 * Fills unset timings from the defaults. An explicit `undefined` (an unset option passed
 * through) never overrides a default, and the result is checked to be a working combination.
 */
export function leaseTimings(opts: Partial<LeaseTimings>): LeaseTimings {
  const pick = <K extends keyof LeaseTimings>(k: K): number => opts[k] ?? LEASE_DEFAULTS[k];
  const t: LeaseTimings = {
    leaseDurationSeconds: pick('leaseDurationSeconds'),
    renewDeadlineMs: pick('renewDeadlineMs'),
    retryPeriodMs: pick('retryPeriodMs'),
  };
  for (const [k, v] of Object.entries(t))
    if (!Number.isFinite(v) || v <= 0) throw new Error(`lease ${k} must be a positive number, got ${v}`);
  if (t.renewDeadlineMs >= t.leaseDurationSeconds * 1000)
    throw new Error(
      `lease renewDeadlineMs (${t.renewDeadlineMs}) must be below leaseDurationSeconds (${t.leaseDurationSeconds} s), or two replicas can lead at once`,
    );
  if (t.retryPeriodMs >= t.renewDeadlineMs)
    throw new Error(
      `lease retryPeriodMs (${t.retryPeriodMs}) must be below renewDeadlineMs (${t.renewDeadlineMs})`,
    );
  return t;
}

/** RFC 3339 with microseconds, the only form metav1.MicroTime accepts. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return 0;
}

const asMicroTime = (ms: number) => microTime(new Date(ms)) as unknown as Date;

export class LeaderElector {
  private readonly api: LeaseApi;
  private readonly opts: LeaderElectionOptions;
  readonly timings: LeaseTimings;
  private readonly clock: Clock;
  private leading = false;
  private lastRenew = 0;
  private tickTimer: unknown;
  private deadlineTimer: unknown;
  private stopped = true;
  private running: Promise<void> = Promise.resolve();
  /** Consecutive failed attempts (an unreachable or refusing API server). */
  private failures = 0;
  private readonly warnings: WarnLimiter;

  constructor(kc: KubeConfig, opts: LeaderElectionOptions) {
    this.opts = opts;
    this.timings = leaseTimings(opts);
    this.clock = opts.clock ?? realClock;
    this.api = opts.api ?? kc.makeApiClient(CoordinationV1Api);
    this.warnings = new WarnLimiter(LEASE_WARN_EVERY_MS, () => this.clock.now());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Resolves when the attempt in flight (if any) has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    const attempt = this.withTimeout(this.tryAcquireOrRenew(), this.timings.retryPeriodMs)
      .then(() => this.succeeded())
      .catch((err: unknown) => this.failed(err))
      .finally(() => {
        this.checkDeadline();
        if (!this.stopped) this.tickTimer = this.clock.setTimeout(() => this.tick(), this.nextDelay());
      });
    this.running = attempt;
  }

  private succeeded(): void {
    if (this.failures > 0)
      this.opts.logger.info(
        { lease: this.opts.name, failures: this.failures },
        'lease: API server answers again',
      );
    this.failures = 0;
    this.warnings.reset();
  }

  /** Counted every time, logged at most once per LEASE_WARN_EVERY_MS (with what was held back). */
  private failed(err: unknown): void {
    this.failures++;
    this.opts.onError?.(err);
    const suppressed = this.warnings.take();
    if (suppressed !== undefined)
      this.opts.logger.warn(
        { lease: this.opts.name, err: String(err), failures: this.failures, suppressed },
        'lease: acquire/renew failed',
      );
  }

  /**
   * The retry period while attempts succeed. After failures: a leader keeps trying about once
   * per retry period (with jitter) until its renew deadline; a candidate backs off exponentially
   * from the retry period up to LEASE_MAX_BACKOFF_MS, with jitter.
   */
  private nextDelay(): number {
    const { retryPeriodMs } = this.timings;
    if (this.failures === 0) return retryPeriodMs;
    const maxMs = this.leading ? retryPeriodMs : Math.max(retryPeriodMs, LEASE_MAX_BACKOFF_MS);
    return backoffDelay(
      this.failures,
      { baseMs: retryPeriodMs, maxMs, jitter: LEASE_JITTER },
      this.opts.random,
    );
  }

  /** A request that hangs must not hold the loop (or leadership) longer than one retry period. */
  private withTimeout(p: Promise<void>, ms: number): Promise<void> {
    let handle: unknown;
    const timeout = new Promise<void>((_, reject) => {
      handle = this.clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => this.clock.clearTimeout(handle));
  }

  private checkDeadline(): void {
    if (this.leading && this.clock.now() - this.lastRenew >= this.timings.renewDeadlineMs)
      this.lose('renew deadline passed');
  }

  /** Stops campaigning; a holder releases the Lease so another candidate takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.tickTimer);
    this.clock.clearTimeout(this.deadlineTimer);
    await this.running;
    if (!this.leading) return;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = '';
        lease.spec.leaseDurationSeconds = 1;
        this.normaliseTimes(lease);
        await this.api.replaceNamespacedLease({
          name: this.opts.name,
          namespace: this.opts.namespace,
          body: lease,
        });
        this.opts.logger.info({ lease: this.opts.name }, 'lease released');
      }
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'lease: release failed');
    }
    this.lose('stopped');
  }

  private lose(why: string): void {
    this.clock.clearTimeout(this.deadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    this.opts.logger.warn({ lease: this.opts.name, why }, 'leadership lost');
    this.opts.onStoppedLeading();
  }

  private win(renewedAt: number): void {
    this.lastRenew = renewedAt;
    // Steps down at the deadline even while a renewal is still in flight.
    this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = this.clock.setTimeout(() => this.checkDeadline(), this.timings.renewDeadlineMs);
    if (this.leading) return;
    this.leading = true;
    this.opts.logger.info({ lease: this.opts.name, identity: this.opts.identity }, 'leadership acquired');
    this.opts.onStartedLeading();
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Dates read back from the API are re-sent as-is; MicroTime fields must keep microseconds. */
  private normaliseTimes(lease: V1Lease): void {
    const spec = lease.spec;
    if (!spec) return;
    if (spec.acquireTime) spec.acquireTime = asMicroTime(timeOf(spec.acquireTime));
    if (spec.renewTime) spec.renewTime = asMicroTime(timeOf(spec.renewTime));
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = this.clock.now();
    const { name, namespace, identity } = this.opts;
    const { leaseDurationSeconds } = this.timings;
    const lease = await this.read();
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: asMicroTime(now),
              renewTime: asMicroTime(now),
              leaseTransitions: 0,
            },
          },
        });
        this.win(now);
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
      }
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expires = timeOf(spec.renewTime) + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder !== identity && holder !== '' && expires > now) {
      this.lose(`held by ${holder}`);
      return;
    }
    const takeover = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: asMicroTime(now),
      acquireTime: takeover || !spec.acquireTime ? asMicroTime(now) : spec.acquireTime,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
    };
    this.normaliseTimes(lease);
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.win(now);
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) {
        this.lose('lease changed underneath (409)');
        return;
      }
      throw err;
    }
  }
}
