// One Prometheus registry per process. Each stage declares its own metrics next to its code
// (e.g. stt/metrics.ts) on this registry; GET /metrics serves it.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
registry.setDefaultLabels({ app: 'hebrew-voice-agent' });
collectDefaultMetrics({ register: registry, prefix: 'hva_process_' });

export const METRIC_PREFIX = 'hva_';
