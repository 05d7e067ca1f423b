// Call-session metrics: per-turn latency by stage (all measured from the caller's speech end),
// turns by the rule that ended them, barge-ins, apologies. Declared once on the shared registry.
import { Counter, Histogram, type Registry } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

function once<T>(name: string, make: (r: Registry) => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make(registry);
}

export const turnLatency = once(
  'hva_turn_latency_seconds',
  (r) =>
    new Histogram({
      name: 'hva_turn_latency_seconds',
      help: 'Per-turn latency from the caller speech end (local VAD) to each stage: partial, final, llm (first token), tts (first audio), total (first agent frame sent).',
      labelNames: ['stage'] as const,
      buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10],
      registers: [r],
    }),
);

export const turnsTotal = once(
  'hva_turns_total',
  (r) =>
    new Counter({
      name: 'hva_turns_total',
      help: 'Caller turns ended, by the endpointing rule that ended them.',
      labelNames: ['rule'] as const,
      registers: [r],
    }),
);

export const bargeInsTotal = once(
  'hva_barge_ins_total',
  (r) =>
    new Counter({
      name: 'hva_barge_ins_total',
      help: 'Agent speech interrupted by the caller (clear sent, LLM/TTS aborted).',
      registers: [r],
    }),
);

export const turnOutcomes = once(
  'hva_turn_outcomes_total',
  (r) =>
    new Counter({
      name: 'hva_turn_outcomes_total',
      help: 'Agent turns by outcome: answered, interrupted, apology, superseded, no_transcript, ended (call ended mid-answer), takenBack (withdrawn before any audio: the caller went on).',
      labelNames: ['outcome'] as const,
      registers: [r],
    }),
);

export const apologiesTotal = once(
  'hva_apologies_total',
  (r) =>
    new Counter({
      name: 'hva_apologies_total',
      help: 'Apologies played instead of an answer, by cause (llm_error, llm_timeout, llm_empty: nothing speakable, tts_error).',
      labelNames: ['cause'] as const,
      registers: [r],
    }),
);

export const callPolicyActions = once(
  'hva_call_policy_actions_total',
  (r) =>
    new Counter({
      name: 'hva_call_policy_actions_total',
      help: 'Call policy actions: silence re-prompts, calls closed for silence or at the maximum duration, DTMF turns.',
      labelNames: ['action'] as const,
      registers: [r],
    }),
);

export const dtmfTotal = once(
  'hva_dtmf_digits_total',
  (r) =>
    new Counter({
      name: 'hva_dtmf_digits_total',
      help: 'DTMF digits received from callers.',
      registers: [r],
    }),
);

export const sessionErrors = once(
  'hva_call_session_errors_total',
  (r) =>
    new Counter({
      name: 'hva_call_session_errors_total',
      help: 'Unexpected errors inside a call session (caught; the call continues).',
      labelNames: ['where'] as const,
      registers: [r],
    }),
);

export const preemptiveStarts = once(
  'hva_call_preemptive_starts_total',
  (r) =>
    new Counter({
      name: 'hva_call_preemptive_starts_total',
      help: 'Preemptive LLM requests started on a stable partial, by action (start, restart) and why the partial qualified (sentence_end, caller_silent); action none: max_starts counts qualifying partials refused by the per-utterance cap.',
      labelNames: ['action', 'reason'] as const,
      registers: [r],
    }),
);
