// Pure: the operator's settings from its environment (the chart sets these env vars). main.ts
// and the tests build the Controller from the same function, so tests run the production defaults.
import { AGENT_CLUSTER_ROLE_NAME } from '../rbac.ts';
import type { ControllerOptions } from './controller.ts';

export type OperatorSettings = Pick<
  ControllerOptions,
  'identity' | 'leaseNamespace' | 'leaseName' | 'watchNamespace' | 'resyncMs' | 'workers' | 'agentClusterRole'
>;

function intEnv(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function operatorSettings(
  env: Record<string, string | undefined>,
  hostname: string,
): OperatorSettings {
  return {
    identity: env.POD_NAME || hostname,
    leaseNamespace: env.POD_NAMESPACE || env.LEASE_NAMESPACE || 'default',
    leaseName: env.LEASE_NAME || 'hva-operator',
    watchNamespace: env.WATCH_NAMESPACE || undefined,
    resyncMs: intEnv(env, 'RESYNC_SECONDS', 60) * 1000,
    workers: intEnv(env, 'WORKERS', 2) || 1,
    agentClusterRole: env.AGENT_CLUSTER_ROLE || AGENT_CLUSTER_ROLE_NAME,
  };
}

export function probePort(env: Record<string, string | undefined>): number {
  return intEnv(env, 'PROBE_PORT', 8081);
}
