// Turn-taking metrics on the shared registry. The endpointer stays free of I/O; counting what it
// decided is the only side effect it has.
import { Counter, type Registry } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

function once<T>(name: string, make: (r: Registry) => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make(registry);
}

export const endpointerAbandonedTotal = once(
  'hva_endpointer_abandoned_total',
  (r) =>
    new Counter({
      name: 'hva_endpointer_abandoned_total',
      help: 'Utterances (voice or noise by the local VAD) that produced no STT text within the wait: no turn.',
      registers: [r],
    }),
);

export const endpointerLateFinalsTotal = once(
  'hva_endpointer_late_finals_total',
  (r) =>
    new Counter({
      name: 'hva_endpointer_late_finals_total',
      help: 'STT finals that arrived after their utterance had already ended (recorded, not answered).',
      registers: [r],
    }),
);
