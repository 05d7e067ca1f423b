// Operator metrics on the operator's own registry (a separate process from the agent).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createOperatorMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'hva-operator' });
  collectDefaultMetrics({ register: registry, prefix: 'hva_operator_process_' });
  return {
    registry,
    reconciles: new Counter({
      name: 'hva_operator_reconciles_total',
      help: 'Reconciles by result (success, error).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'hva_operator_reconcile_duration_seconds',
      help: 'Duration of one VoiceAgent reconcile.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'hva_operator_reconcile_errors_total',
      help: 'Reconcile errors by kind (apply, prune, status, invalid).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'hva_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'hva_operator_leader',
      help: '1 while this replica holds the Lease.',
      registers: [registry],
    }),
    leaseErrors: new Counter({
      name: 'hva_operator_lease_errors_total',
      help: 'Failed Lease acquire/renew attempts (the warnings about them are rate-limited).',
      registers: [registry],
    }),
    informerRestarts: new Counter({
      name: 'hva_operator_informer_restarts_total',
      help: 'Informer restarts after a watch/list error.',
      labelNames: ['resource'] as const,
      registers: [registry],
    }),
  };
}
export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
