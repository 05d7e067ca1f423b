// Lease acquire/renew against an API server that does not answer properly (unreachable, or an
// `http://` address the client refuses): attempts back off from the retry period with jitter up
// to a cap, every failure is counted, and the warnings are rate-limited. Time is a manual clock.
import { ApiException, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { backoffDelay, WarnLimiter } from '../../src/runtime/backoff.ts';
import {
  LEASE_DEFAULTS,
  LEASE_MAX_BACKOFF_MS,
  LEASE_WARN_EVERY_MS,
  LeaderElector,
  type LeaseApi,
} from '../../src/runtime/leader.ts';
import { ManualClock } from '../support/manual-clock.ts';

const { retryPeriodMs } = LEASE_DEFAULTS;

describe('backoffDelay', () => {
  const p = { baseMs: 2000, maxMs: 30_000, jitter: 0.5 };
  it('starts at the base, doubles, stops growing at the cap, and adds at most `jitter` on top', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => backoffDelay(n, p, () => 0))).toEqual([
      2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(1, p, () => 0.999)).toBe(2999);
    expect(backoffDelay(9, p, () => 0.999)).toBe(44_985);
    expect(backoffDelay(0, p, () => 0)).toBe(2000);
  });
});

describe('WarnLimiter', () => {
  it('lets one through per interval and reports how many it held back', () => {
    let now = 0;
    const limiter = new WarnLimiter(60_000, () => now);
    expect(limiter.take()).toBe(0);
    now = 59_999;
    expect(limiter.take()).toBeUndefined();
    expect(limiter.take()).toBeUndefined();
    now = 60_000;
    expect(limiter.take()).toBe(2);
    now = 60_001;
    limiter.reset();
    expect(limiter.take()).toBe(0);
  });
});

/** A Lease API whose every call fails the way client-node fails on an unreachable address. */
class UnreachableLeases implements LeaseApi {
  down = true;
  attempts: number[] = [];
  lease: V1Lease | undefined;
  private readonly clock: ManualClock;

  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  private call<T>(ok: () => T): Promise<T> {
    if (this.down) return Promise.reject(new TypeError('fetch failed'));
    return Promise.resolve(ok());
  }

  readNamespacedLease(): Promise<V1Lease> {
    this.attempts.push(this.clock.now());
    return this.call(() => {
      if (this.lease) return structuredClone(this.lease);
      throw new ApiException(404, 'not found', '{}', {});
    });
  }

  createNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    return this.call(() => (this.lease = structuredClone(p.body)));
  }

  replaceNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    return this.call(() => (this.lease = structuredClone(p.body)));
  }
}

function capturingLogger() {
  const lines: { level: string; msg: string; suppressed?: number; failures?: number }[] = [];
  const logger = pino(
    { level: 'info', formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => lines.push(JSON.parse(s)) },
  );
  return { logger, lines, warnings: () => lines.filter((l) => l.level === 'warn') };
}

function candidate(api: LeaseApi, clock: ManualClock, random: () => number) {
  const log = capturingLogger();
  let errors = 0;
  const elector = new LeaderElector(new KubeConfig(), {
    namespace: 'ns',
    name: 'lease',
    identity: 'a',
    api,
    clock,
    random,
    logger: log.logger,
    onError: () => errors++,
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
  });
  return { elector, log, errors: () => errors };
}

describe('lease attempts against an unreachable API server', () => {
  it('back off from the retry period to a capped, jittered delay; every failure counted, warnings rate-limited', async () => {
    const clock = new ManualClock();
    const api = new UnreachableLeases(clock);
    const { elector, log, errors } = candidate(api, clock, () => 0.5);
    elector.start();
    await elector.idle();
    const tenMinutes = 10 * 60_000;
    await clock.advance(tenMinutes, () => elector.idle());

    const gaps = api.attempts.slice(1).map((t, i) => t - api.attempts[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(retryPeriodMs);
      expect(gap).toBeLessThanOrEqual(LEASE_MAX_BACKOFF_MS * 1.5);
    }
    expect(gaps.slice(0, 5)).toEqual([2500, 5000, 10_000, 20_000, 37_500]); // jitter 0.5 × 0.5 = +25 %
    // The old loop retried every retry period: 300 attempts and 300 warnings in ten minutes.
    expect(api.attempts.length).toBeLessThanOrEqual(20);
    expect(errors()).toBe(api.attempts.length);
    const warnings = log.warnings();
    expect(warnings.length).toBeLessThanOrEqual(tenMinutes / LEASE_WARN_EVERY_MS + 1);
    expect(warnings[0]).toMatchObject({ msg: 'lease: acquire/renew failed', failures: 1, suppressed: 0 });
    const held = warnings.slice(1).reduce((n, w) => n + (w.suppressed ?? 0), 0);
    expect(warnings.length + held).toBeLessThanOrEqual(api.attempts.length);
    expect(held).toBeGreaterThan(0);

    // The API server comes back: the next attempt wins, and the recovery is logged once.
    api.down = false;
    await clock.advance(LEASE_MAX_BACKOFF_MS * 1.5, () => elector.idle());
    expect(elector.isLeader).toBe(true);
    expect(log.lines.filter((l) => l.msg === 'lease: API server answers again')).toHaveLength(1);
    // Back to the plain retry period once it answers.
    const before = api.attempts.length;
    await clock.advance(10 * retryPeriodMs, () => elector.idle());
    expect(api.attempts.length - before).toBe(10);
    await elector.stop();
  });

  it('jitter spreads replicas that failed together', async () => {
    const clock = new ManualClock();
    const delays = await Promise.all(
      [0, 0.9].map(async (r) => {
        const api = new UnreachableLeases(clock);
        const { elector } = candidate(api, clock, () => r);
        elector.start();
        await elector.idle();
        await clock.advance(60_000, () => elector.idle());
        await elector.stop();
        return api.attempts.slice(1).map((t, i) => t - api.attempts[i]!);
      }),
    );
    expect(delays[0]![0]).toBe(retryPeriodMs);
    expect(delays[1]![0]).toBe(retryPeriodMs * 1.45);
  });

  it('a leader whose renewals fail keeps retrying about once per retry period and steps down by the renew deadline', async () => {
    const clock = new ManualClock();
    const api = new UnreachableLeases(clock);
    api.down = false;
    const { elector, errors } = candidate(api, clock, () => 0.5);
    elector.start();
    await elector.idle();
    expect(elector.isLeader).toBe(true);
    const lastRenew = clock.now();
    api.down = true;
    const from = api.attempts.length;
    let down = 0;
    for (let t = 0; t < LEASE_DEFAULTS.renewDeadlineMs + 1000 && !down; t += 100) {
      await clock.advance(100, () => elector.idle());
      if (!elector.isLeader) down = clock.now() - lastRenew;
    }
    expect(down).toBeGreaterThan(0);
    expect(down).toBeLessThanOrEqual(LEASE_DEFAULTS.renewDeadlineMs);
    // Renewal retries at the retry period + 25 % jitter: 2.5, 5, 7.5 s (then the deadline at 10 s).
    expect(api.attempts.slice(from).map((t) => t - lastRenew)).toEqual([2000, 4500, 7000, 9500]);
    expect(errors()).toBe(4);
    await elector.stop();
  });
});
