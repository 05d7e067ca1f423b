// STT metrics on the shared registry. Every state transition of every call's recognition is counted here.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const sttRestarts = new Counter({
  name: 'hva_stt_restarts_total',
  help: 'Streaming recognition streams reopened after an error, by reason (gRPC code, stream_limit, audio_timeout, stall, server_end).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const sttRotations = new Counter({
  name: 'hva_stt_rotations_total',
  help: 'Deliberate stream rotations before the provider stream duration limit (with replay).',
  registers: [registry],
});

export const sttFallbackEntries = new Counter({
  name: 'hva_stt_fallback_entries_total',
  help: 'Calls that entered one-shot fallback after streaming reopen attempts were exhausted.',
  registers: [registry],
});

export const sttFallbackExits = new Counter({
  name: 'hva_stt_fallback_exits_total',
  help: 'Calls that returned from fallback to streaming (a background re-probe succeeded).',
  registers: [registry],
});

export const sttFallbackSeconds = new Histogram({
  name: 'hva_stt_fallback_seconds',
  help: 'Time each call spent in one-shot fallback (observed when the call ends).',
  buckets: [0, 1, 5, 15, 30, 60, 120, 300, 900],
  registers: [registry],
});

export const sttFatalErrors = new Counter({
  name: 'hva_stt_fatal_errors_total',
  help: 'Non-retryable recognition errors (misconfiguration, auth), by gRPC code.',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const sttEventDelay = new Histogram({
  name: 'hva_stt_event_delay_seconds',
  help: 'Time from a recognition response arriving from gRPC to the session listener having handled it.',
  buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
  registers: [registry],
});

export const sttOneShotRequests = new Counter({
  name: 'hva_stt_oneshot_requests_total',
  help: 'One-shot Recognize requests sent in fallback, by outcome (ok, empty, retry, error).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const sttBufferDroppedSeconds = new Counter({
  name: 'hva_stt_buffer_dropped_seconds_total',
  help: 'Audio dropped from the replay buffer because it exceeded STT_BUFFER_SECONDS.',
  registers: [registry],
});

export const sttSeamDuplicates = new Counter({
  name: 'hva_stt_seam_duplicates_total',
  help: 'Finals suppressed at a rotation/reconnect seam because they repeated the previous final.',
  registers: [registry],
});

export const sttOutOfOrderFinals = new Counter({
  name: 'hva_stt_out_of_order_finals_total',
  help: 'Streaming finals that covered audio before the previous final (the provider answered out of order; delivered, not dropped).',
  registers: [registry],
});

export const sttStreamsActive = new Gauge({
  name: 'hva_stt_sessions',
  help: 'Open recognition sessions by state.',
  labelNames: ['state'] as const,
  registers: [registry],
});
