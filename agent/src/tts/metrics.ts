// Text-to-speech metrics on the shared registry.
import { Counter, Histogram } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const ttsRequests = new Counter({
  name: 'hva_tts_requests_total',
  help: 'Synthesis requests by provider and outcome (ok, aborted, error, invalid_argument, ...).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const ttsFirstAudio = new Histogram({
  name: 'hva_tts_first_audio_seconds',
  help: 'Time from a synthesis request to its first audio bytes.',
  labelNames: ['provider'] as const,
  buckets: [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5],
  registers: [registry],
});

export const ttsPhraseCache = new Counter({
  name: 'hva_tts_phrase_cache_total',
  help: 'Fixed-phrase cache lookups by result (hit, miss, shared = joined a synthesis already running).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const ttsRetries = new Counter({
  name: 'hva_tts_retries_total',
  help: 'Syntheses tried again after a transient failure (unavailable, timeout) before any audio.',
  labelNames: ['provider', 'kind'] as const,
  registers: [registry],
});
