import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DELETION_COST_ANNOTATION,
  DeletionCostUpdater,
  deletionCostPatch,
  inClusterDeletionCost,
} from '../../../src/server/deletion-cost.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { deletionCostUpdates } from '../../../src/server/metrics.ts';

const errorsCounted = async (): Promise<number> =>
  (await deletionCostUpdates.get()).values.find((v) => v.labels['result'] === 'error')?.value ?? 0;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function fakeApiServer(status: () => number): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(body) });
      res.writeHead(status(), { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
};

describe('pod deletion-cost annotation', () => {
  it('builds a JSON merge-patch of the annotation', () => {
    expect(JSON.parse(deletionCostPatch(7))).toEqual({
      metadata: { annotations: { [DELETION_COST_ANNOTATION]: '7' } },
    });
  });

  it('debounces updates and patches the latest count with the bearer token', async () => {
    const api = await fakeApiServer(() => 200);
    const u = new DeletionCostUpdater({
      podName: 'agent-0',
      namespace: 'voice',
      apiBase: api.base,
      token: () => 'sa-token',
      logger: silentLogger,
      debounceMs: 20,
    });
    u.update(1);
    u.update(2);
    u.update(3);
    await until(() => api.seen.length === 1);
    await new Promise((r) => setTimeout(r, 60));
    expect(api.seen).toHaveLength(1);
    const req = api.seen[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.url).toBe('/api/v1/namespaces/voice/pods/agent-0');
    expect(req.headers['content-type']).toBe('application/merge-patch+json');
    expect(req.headers['authorization']).toBe('Bearer sa-token');
    expect(req.body).toEqual({ metadata: { annotations: { [DELETION_COST_ANNOTATION]: '3' } } });
    // Unchanged value: no new request.
    u.update(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(api.seen).toHaveLength(1);
    u.update(0);
    await until(() => api.seen.length === 2);
    await u.stop();
  });

  it('logs and counts failures without throwing, and retries on the next change', async () => {
    let status = 403;
    const api = await fakeApiServer(() => status);
    const u = new DeletionCostUpdater({
      podName: 'p',
      namespace: 'n',
      apiBase: api.base,
      token: () => 't',
      logger: silentLogger,
      debounceMs: 10,
    });
    u.update(5);
    await until(() => api.seen.length >= 1);
    status = 200;
    await until(() => api.seen.length >= 2);
    expect(api.seen.at(-1)!.body).toEqual({ metadata: { annotations: { [DELETION_COST_ANNOTATION]: '5' } } });
    await u.stop();
  });

  it('survives an unreachable API server', async () => {
    const before = await errorsCounted();
    const u = new DeletionCostUpdater({
      podName: 'p',
      namespace: 'n',
      apiBase: 'http://127.0.0.1:1',
      token: () => 't',
      logger: silentLogger,
      debounceMs: 1,
    });
    u.update(1);
    await u.flush();
    expect(await errorsCounted()).toBe(before + 1);
    await u.stop();
  });

  it('is off outside a cluster or without pod identity', () => {
    const cfg = { podName: 'p', podNamespace: 'n', podDeletionCost: true };
    expect(inClusterDeletionCost(cfg, silentLogger, {})).toBeUndefined();
    expect(
      inClusterDeletionCost({ ...cfg, podName: '' }, silentLogger, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
    ).toBeUndefined();
    expect(
      inClusterDeletionCost({ ...cfg, podDeletionCost: false }, silentLogger, {
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
      }),
    ).toBeUndefined();
  });
});
