// Readiness means "informers have listed and this replica campaigns for the Lease": against a
// real kube-apiserver where the operator's list calls are refused at first (no RBAC yet), and
// with the production entry point against an address nothing answers on.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '../../../test-env/kube.ts';
import {
  AGENT_CLUSTER_ROLE_NAME,
  AGENT_CLUSTER_ROLE_RULES,
  OPERATOR_CLUSTER_ROLE_NAME,
  OPERATOR_CLUSTER_ROLE_RULES,
} from '../../src/rbac.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { createOperatorMetrics } from '../../src/runtime/metrics.ts';
import { startProbeServer } from '../../src/runtime/server.ts';
import { operatorKubeConfig, startClusterWithCrd, waitFor } from './support.ts';

const OPERATOR_NS = 'hva-system';
let kube: KubeApiServer;

beforeAll(async () => {
  kube = await startClusterWithCrd(['voice', OPERATOR_NS]);
});

afterAll(async () => {
  await kube?.stop();
});

const readyz = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.text() };
};

describe('readiness against a real API server', () => {
  it('a refused list keeps /readyz 503 with the reason; it turns 200 once a list succeeds and the Lease is contended', async () => {
    // The chart's ServiceAccount, before its ClusterRoleBinding exists: every list is 403.
    const kc = await operatorKubeConfig(kube, OPERATOR_NS, [
      { name: OPERATOR_CLUSTER_ROLE_NAME, rules: OPERATOR_CLUSTER_ROLE_RULES, bind: false },
      { name: AGENT_CLUSTER_ROLE_NAME, rules: AGENT_CLUSTER_ROLE_RULES, bind: false },
    ]);
    const metrics = createOperatorMetrics();
    const controller = new Controller({
      kc,
      logger: pino({ level: 'silent' }),
      metrics,
      identity: 'op',
      leaseNamespace: OPERATOR_NS,
      informerRestartDelayMs: 100,
    });
    const server = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      readiness: () => controller.readiness(),
      registry: metrics.registry,
    });
    const port = (server.address() as AddressInfo).port;
    let started = false;
    const starting = controller.start().then(() => (started = true));
    try {
      // Every informer has had its list refused (the API server's answer, not a timer).
      const refused = await waitFor('every list refused', async () => {
        const r = controller.readiness();
        return (r.reason.match(/forbidden|403/gi)?.length ?? 0) >= 7 && r;
      });
      expect(refused.ready).toBe(false);
      expect(refused.reason).toMatch(/^informers not synced: /);
      expect(refused.reason).toContain('voiceagents');
      const probe = await readyz(port);
      expect(probe.status).toBe(503);
      expect(probe.body).toContain('informers not synced');
      expect(started).toBe(false);
      expect(controller.isLeader).toBe(false);

      await kube.kubeConfig.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
        body: {
          metadata: { name: OPERATOR_CLUSTER_ROLE_NAME },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: OPERATOR_CLUSTER_ROLE_NAME,
          },
          subjects: [{ kind: 'ServiceAccount', name: 'hva-operator', namespace: OPERATOR_NS }],
        },
      });
      await starting;
      expect(controller.readiness().ready).toBe(true);
      expect((await readyz(port)).status).toBe(200);
      await waitFor('leader', async () => controller.isLeader);
      expect(await readyz(port)).toEqual({ status: 200, body: 'ready (leader)' });
    } finally {
      await controller.stop();
      server.close();
    }
  });
});

describe('Lease errors against a real API server', () => {
  it('are counted in hva_operator_lease_errors_total and warned about once, not once per attempt', async () => {
    const metrics = createOperatorMetrics();
    const lines: { msg?: string }[] = [];
    const controller = new Controller({
      kc: kube.kubeConfig,
      logger: pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) }),
      metrics,
      identity: 'op',
      // A namespace that does not exist: every Lease read/create is refused (404).
      leaseNamespace: 'no-such-namespace',
    });
    try {
      await controller.start();
      const errors = async () => (await metrics.leaseErrors.get()).values[0]?.value ?? 0;
      // Two failed attempts (the second after the backoff), one warning.
      await waitFor('two counted Lease errors', async () => (await errors()) >= 2);
      expect(controller.readiness()).toEqual({ ready: true, reason: 'ready (standby)' });
      expect(controller.isLeader).toBe(false);
      expect(lines.filter((l) => l.msg === 'lease: acquire/renew failed')).toHaveLength(1);
    } finally {
      await controller.stop();
    }
  });
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** main.ts as the chart starts it, pointed at `server`; resolves lines as they are logged. */
function startOperator(server: string, probePort: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hva-op-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      POD_NAME: 'op',
      POD_NAMESPACE: OPERATOR_NS,
      PROBE_PORT: String(probePort),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: { level?: string; msg?: string; resource?: string; err?: string }[] = [];
  let raw = '';
  let partial = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    raw += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts)
      try {
        lines.push(JSON.parse(p));
      } catch {
        lines.push({ msg: p });
      }
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  /** Resolves when the log satisfies `ok` (re-checked on every new output). */
  const logged = (what: string, ok: () => boolean, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log for ${what}:\n${raw}`)), timeoutMs);
      const check = () => {
        if (ok()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { child, lines, logged };
}

describe('the production entry point without a reachable API server', () => {
  it.each([
    ['nothing listening (https)', async () => `https://127.0.0.1:${await closedPort()}`],
    ['an http:// address the client refuses', async () => `http://127.0.0.1:${await closedPort()}`],
  ])(
    '%s: /readyz stays 503 with the reason; one warning per informer, no Lease churn',
    async (_, address) => {
      const probePort = await closedPort();
      const op = startOperator(await address(), probePort);
      try {
        const resources = () =>
          new Set(op.lines.filter((l) => l.msg === 'informer stopped; restarting').map((l) => l.resource));
        await op.logged('every informer failing its first list', () => resources().size === 7);
        const probe = await readyz(probePort);
        expect(probe.status).toBe(503);
        expect(probe.body).toMatch(/^informers not synced: .*voiceagents \(.+\)/);
        // Bounded: informer restarts back off from 5 s (one warning each so far, two on a slow
        // machine), and no Lease attempts at all (the elector waits for the caches). The old code
        // logged "operator started", answered 200 and contended for the Lease.
        const warnings = op.lines.filter((l) => l.level === 'warn');
        expect(warnings.length).toBeLessThanOrEqual(2 * 7);
        expect(op.lines.filter((l) => l.msg?.startsWith('lease'))).toEqual([]);
        expect(op.lines.some((l) => l.msg === 'operator started')).toBe(false);
        op.child.kill('SIGTERM');
        await op.logged('clean shutdown', () => op.lines.some((l) => l.msg?.startsWith('shutting down')));
      } finally {
        if (op.child.exitCode === null) op.child.kill('SIGKILL');
      }
    },
  );
});
