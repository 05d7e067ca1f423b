// Language-model metrics on the shared registry.
import { Counter, Histogram } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const llmRequests = new Counter({
  name: 'hva_llm_requests_total',
  help: 'Responder requests by outcome (ok, aborted, timeout, rate_limited, server, stalled, network, auth, bad_request, empty, malformed).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const llmFirstToken = new Histogram({
  name: 'hva_llm_first_token_seconds',
  help: 'Time from the responder request (including retries) to the first text delta.',
  labelNames: ['provider'] as const,
  buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10],
  registers: [registry],
});

export const llmRetries = new Counter({
  name: 'hva_llm_retries_total',
  help: 'Retries before the first token, by reason (rate_limited, server, network).',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

export const llmPreemptive = new Counter({
  name: 'hva_llm_preemptive_total',
  help: 'Preemptive generations by result: hit (kept), miss (transcript changed: restarted), cancelled (turn abandoned), failed.',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const llmPreemptiveSaved = new Histogram({
  name: 'hva_llm_preemptive_saved_seconds',
  help: 'Head start of kept preemptive generations: confirmation time minus preemptive start time.',
  buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3],
  registers: [registry],
});
