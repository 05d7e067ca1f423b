// Playground metrics: sessions issued and everything refused (a hostile peer shows up here).
import { Counter } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const playgroundSessions = new Counter({
  name: 'hva_playground_sessions_total',
  help: 'Playground sessions issued (each one stream ticket for one call).',
  registers: [registry],
});

export const playgroundRejections = new Counter({
  name: 'hva_playground_rejections_total',
  help: 'Playground requests refused, by reason (unauthorized, forbidden, busy, bad_ticket, stream_mismatch, events_forbidden).',
  labelNames: ['reason'] as const,
  registers: [registry],
});
