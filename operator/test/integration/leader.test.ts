// Leader election against a real kube-apiserver with the production defaults (no timing
// overrides): candidates on a manual clock (time steps by hand, every Lease call is real), and
// two operator processes started from main.ts exactly as the chart starts them.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../../test-env/net.ts';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api, Watch, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '../../../test-env/kube.ts';
import { LEASE_DEFAULTS, LeaderElector, type LeaseApi } from '../../src/runtime/leader.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startClusterWithCrd, waitFor } from './support.ts';

const NS = 'hva-system';
const silent = pino({ level: 'silent' });
let kube: KubeApiServer;

beforeAll(async () => {
  // The CRD too: an operator whose VoiceAgent list fails is not ready and does not campaign.
  kube = await startClusterWithCrd([NS]);
});

afterAll(async () => {
  await kube?.stop();
});

const leases = () => kube.kubeConfig.makeApiClient(CoordinationV1Api);

describe('leader election on a manual clock, real Lease calls', () => {
  it('one leader renewing once per retry period; a leader that cannot renew steps down within the renew deadline; failover within the lease duration', async () => {
    const clock = new ManualClock(Date.now());
    const real = leases();
    let writes = 0;
    let cut = false;
    const counting: LeaseApi = {
      readNamespacedLease: (p) => real.readNamespacedLease(p),
      createNamespacedLease: (p) => (writes++, real.createNamespacedLease(p)),
      replaceNamespacedLease: (p) => (writes++, real.replaceNamespacedLease(p)),
    };
    // a's connection to the API server; once cut, its requests never answer (a partition).
    const hang = <T>(call: () => Promise<T>) => (cut ? new Promise<T>(() => undefined) : call());
    const partitionable: LeaseApi = {
      readNamespacedLease: (p) => hang(() => counting.readNamespacedLease(p)),
      createNamespacedLease: (p) => hang(() => counting.createNamespacedLease(p)),
      replaceNamespacedLease: (p) => hang(() => counting.replaceNamespacedLease(p)),
    };
    const log: string[] = [];
    const candidate = (identity: string, api: LeaseApi) =>
      new LeaderElector(kube.kubeConfig, {
        namespace: NS,
        name: 'manual',
        identity,
        api,
        clock,
        logger: silent,
        onStartedLeading: () => log.push(`${identity}+`),
        onStoppedLeading: () => log.push(`${identity}-`),
      });
    const a = candidate('a', partitionable);
    const b = candidate('b', counting);
    expect(a.timings).toEqual(LEASE_DEFAULTS);
    a.start();
    await a.idle();
    b.start();
    await b.idle();
    const settle = () => Promise.all([a.idle(), b.idle()]);

    const before = writes;
    for (let t = 0; t < 60_000; t += 500) {
      await clock.advance(500, settle);
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    }
    expect(writes - before).toBe(60_000 / LEASE_DEFAULTS.retryPeriodMs);
    const held = await real.readNamespacedLease({ name: 'manual', namespace: NS });
    expect(held.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(Number.isFinite(new Date(held.spec!.acquireTime!).getTime())).toBe(true);
    const lastRenew = new Date(held.spec!.renewTime!).getTime();
    expect(clock.now() - lastRenew).toBeLessThan(LEASE_DEFAULTS.retryPeriodMs);

    cut = true;
    let aDown = 0;
    let bUp = 0;
    for (let t = 0; t < 30_000 && !bUp; t += 100) {
      await clock.advance(100, () => b.idle());
      expect(a.isLeader && b.isLeader, 'two leaders').toBe(false);
      if (!a.isLeader && !aDown) aDown = clock.now() - lastRenew;
      if (b.isLeader) bUp = clock.now() - lastRenew;
    }
    expect(aDown).toBeGreaterThan(0);
    expect(aDown).toBeLessThanOrEqual(LEASE_DEFAULTS.renewDeadlineMs);
    expect(bUp).toBeGreaterThan(LEASE_DEFAULTS.leaseDurationSeconds * 1000);
    expect(bUp).toBeLessThanOrEqual(
      LEASE_DEFAULTS.leaseDurationSeconds * 1000 + LEASE_DEFAULTS.retryPeriodMs,
    );
    const taken = await real.readNamespacedLease({ name: 'manual', namespace: NS });
    expect(taken.spec).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 1 });
    expect(new Date(taken.spec!.acquireTime!).getTime()).toBeGreaterThan(lastRenew);
    expect(log).toEqual(['a+', 'a-', 'b+']);
    await b.stop();
  });
});

interface OperatorProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startOperatorProcess(name: string, leaseName: string): Promise<OperatorProcess> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  // Only what the chart sets; every timing is the production default.
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      KUBECONFIG: kube.kubeconfigPath,
      POD_NAME: name,
      POD_NAMESPACE: NS,
      LEASE_NAME: leaseName,
      PROBE_PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, output: () => output, exited };
}

async function leaderGauge(p: OperatorProcess): Promise<number | undefined> {
  const text = await fetch(`http://127.0.0.1:${p.port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const m = /^hva_operator_leader(?:\{[^}]*\})? (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('two operator processes (main.ts, production defaults)', () => {
  it('exactly one leader, renewing at the retry period, and a clean hand-over on SIGTERM', async () => {
    const leaseName = 'hva-operator-pair';
    const procs = [
      await startOperatorProcess('op-1', leaseName),
      await startOperatorProcess('op-2', leaseName),
    ];
    // Every change of the Lease, as the API server reports it (no sampling, no sleeps).
    const seen: V1Lease[] = [];
    const watch = await new Watch(kube.kubeConfig).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`,
      { fieldSelector: `metadata.name=${leaseName}` },
      (_type, lease: V1Lease) => seen.push(lease),
      () => undefined,
    );
    try {
      await waitFor('five renewals by one holder', async () => seen.length >= 5);
      const gauges = await waitFor('both processes report', async () => {
        const g = await Promise.all(procs.map(leaderGauge));
        return g.every((v) => v !== undefined) && g;
      });
      expect(gauges.reduce((x, y) => (x ?? 0) + (y ?? 0), 0)).toBe(1);
      const holder = seen[0]!.spec?.holderIdentity;
      expect(seen.map((l) => l.spec?.holderIdentity)).toEqual(seen.map(() => holder));
      const renewals = seen.map((l) => new Date(l.spec!.renewTime!).getTime());
      const gaps = renewals.slice(1).map((t, i) => t - renewals[i]!);
      // Never faster than the retry period (the old code renewed ~45 times a second).
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(LEASE_DEFAULTS.retryPeriodMs - 50);
      expect(seen.at(-1)!.spec).toMatchObject({ leaseDurationSeconds: 15, leaseTransitions: 0 });
      expect(seen.at(-1)!.spec?.acquireTime).toBeDefined();

      const leader = procs.find((_, i) => gauges[i] === 1)!;
      const standby = procs.find((p) => p !== leader)!;
      leader.child.kill('SIGTERM');
      expect(await leader.exited).toBe(0);
      const count = seen.length;
      await waitFor('standby takes over', async () =>
        seen.slice(count).some((l) => l.spec?.holderIdentity && l.spec.holderIdentity !== holder),
      );
      await waitFor('standby reports leadership', async () => (await leaderGauge(standby)) === 1);
      const after = seen.at(-1)!;
      expect(after.spec?.leaseTransitions).toBe(1);
      expect(after.spec?.leaseDurationSeconds).toBe(15);
    } catch (err) {
      throw new Error(`${String(err)}\n${procs.map((p) => p.output()).join('\n---\n')}`, { cause: err });
    } finally {
      watch.abort();
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
