// Operator entry point: in-cluster (or KUBECONFIG) client, probe/metrics server, controller
// under a Lease; SIGTERM/SIGINT stop reconciling, release the Lease and exit.
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { LevelWithSilent } from 'pino';
import { Controller } from './runtime/controller.ts';
import { createLogger } from './runtime/logger.ts';
import { createOperatorMetrics } from './runtime/metrics.ts';
import { startProbeServer } from './runtime/server.ts';
import { operatorSettings, probePort } from './runtime/settings.ts';

async function main(): Promise<void> {
  const logger = createLogger((process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const metrics = createOperatorMetrics();
  const controller = new Controller({
    kc,
    logger,
    metrics,
    ...operatorSettings(process.env, hostname()),
  });
  const server = await startProbeServer({
    port: probePort(process.env),
    readiness: () => controller.readiness(),
    registry: metrics.registry,
  });
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: releasing the Lease');
    await controller.stop();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Resolves once every informer has listed (a failing list is retried; /readyz says why).
  await controller.start();
  if (!shuttingDown) logger.info('operator started');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
