// Leader election logic on a manual clock with an in-memory Lease store that keeps the API
// server's optimistic concurrency (resourceVersion, 409). The same scenarios run against a real
// kube-apiserver in operator/test/integration/leader.test.ts.
import { ApiException, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/runtime/controller.ts';
import { LEASE_DEFAULTS, LeaderElector, leaseTimings, type LeaseApi } from '../../src/runtime/leader.ts';
import { createOperatorMetrics } from '../../src/runtime/metrics.ts';
import { operatorSettings } from '../../src/runtime/settings.ts';
import { ManualClock } from '../support/manual-clock.ts';

const silent = pino({ level: 'silent' });

class MemoryLeases implements LeaseApi {
  lease: V1Lease | undefined;
  writes = 0;
  hang = false;
  private rv = 0;

  private gate<T>(f: () => T): Promise<T> {
    if (this.hang) return new Promise<T>(() => undefined);
    try {
      return Promise.resolve(structuredClone(f()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readNamespacedLease(): Promise<V1Lease> {
    return this.gate(() => {
      if (!this.lease) throw new ApiException(404, 'not found', '{}', {});
      return this.lease;
    });
  }

  createNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    return this.gate(() => {
      if (this.lease) throw new ApiException(409, 'exists', '{}', {});
      return this.store(p.body);
    });
  }

  replaceNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    return this.gate(() => {
      if (p.body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion)
        throw new ApiException(409, 'conflict', '{}', {});
      return this.store(p.body);
    });
  }

  private store(body: V1Lease): V1Lease {
    this.writes++;
    this.lease = {
      ...structuredClone(body),
      metadata: { ...body.metadata, resourceVersion: String(++this.rv) },
    };
    return this.lease;
  }
}

function elector(api: LeaseApi, clock: ManualClock, identity: string, log: string[]) {
  return new LeaderElector(new KubeConfig(), {
    namespace: 'ns',
    name: 'lease',
    identity,
    api,
    clock,
    logger: silent,
    onStartedLeading: () => log.push(`${identity}+`),
    onStoppedLeading: () => log.push(`${identity}-`),
  });
}

describe('lease timings', () => {
  it('an explicit undefined never overrides a default', () => {
    expect(
      leaseTimings({ leaseDurationSeconds: undefined, renewDeadlineMs: undefined, retryPeriodMs: undefined }),
    ).toEqual(LEASE_DEFAULTS);
    expect(leaseTimings({ retryPeriodMs: 500 })).toEqual({ ...LEASE_DEFAULTS, retryPeriodMs: 500 });
  });

  it('refuses timings under which two replicas could lead at once', () => {
    expect(() => leaseTimings({ renewDeadlineMs: 20_000 })).toThrow(/must be below leaseDurationSeconds/);
    expect(() => leaseTimings({ retryPeriodMs: 10_000 })).toThrow(/must be below renewDeadlineMs/);
    expect(() => leaseTimings({ retryPeriodMs: 0 })).toThrow(/positive/);
  });

  it('the production entry point builds its controller with the default timings', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const c = new Controller({
      kc,
      logger: silent,
      metrics: createOperatorMetrics(),
      ...operatorSettings({}, 'host'),
    });
    expect(c.leaseTimings).toEqual(LEASE_DEFAULTS);
  });
});

describe('leader elector on a manual clock', () => {
  it('one leader, renewing once per retry period, with a fully populated Lease', async () => {
    const api = new MemoryLeases();
    const clock = new ManualClock();
    const log: string[] = [];
    const [a, b] = [elector(api, clock, 'a', log), elector(api, clock, 'b', log)];
    const settle = () => Promise.all([a.idle(), b.idle()]);
    a.start();
    await settle();
    b.start();
    await settle();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    const writes = api.writes;
    await clock.advance(60_000, settle);
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    expect(api.writes - writes).toBe(60_000 / LEASE_DEFAULTS.retryPeriodMs);
    expect(api.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(api.lease?.spec?.acquireTime).toBeDefined();
    expect(Date.parse(String(api.lease?.spec?.renewTime))).toBe(clock.now());
    expect(log).toEqual(['a+']);
  });

  it('a leader whose renewals hang steps down at the renew deadline; the other takes over after the lease duration', async () => {
    const api = new MemoryLeases();
    const clock = new ManualClock();
    const log: string[] = [];
    let cut = false;
    // a's view of the API: once cut, its requests never answer (a partition).
    const hangs = <T>(p: () => Promise<T>): Promise<T> => (cut ? new Promise<T>(() => undefined) : p());
    const aApi: LeaseApi = {
      readNamespacedLease: () => hangs(() => api.readNamespacedLease()),
      createNamespacedLease: (p) => hangs(() => api.createNamespacedLease(p)),
      replaceNamespacedLease: (p) => hangs(() => api.replaceNamespacedLease(p)),
    };
    const a = elector(aApi, clock, 'a', log);
    const b = elector(api, clock, 'b', log);
    a.start();
    await a.idle();
    b.start();
    await b.idle();
    await clock.advance(4_000, () => b.idle());
    const lastRenew = clock.now();
    cut = true;
    let aDown = 0;
    let bUp = 0;
    for (let t = 0; t < 30_000 && !bUp; t += 100) {
      await clock.advance(100, () => b.idle());
      if (!a.isLeader && !aDown) aDown = clock.now() - lastRenew;
      if (b.isLeader && !bUp) bUp = clock.now() - lastRenew;
      expect(a.isLeader && b.isLeader).toBe(false);
    }
    expect(aDown).toBeGreaterThan(0);
    expect(aDown).toBeLessThanOrEqual(LEASE_DEFAULTS.renewDeadlineMs);
    expect(bUp).toBeGreaterThan(LEASE_DEFAULTS.leaseDurationSeconds * 1000);
    expect(bUp).toBeLessThanOrEqual(
      LEASE_DEFAULTS.leaseDurationSeconds * 1000 + LEASE_DEFAULTS.retryPeriodMs,
    );
    expect(api.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(log).toEqual(['a+', 'a-', 'b+']);
  });
});
