// The per-turn record: every timestamp of one caller turn and the agent's answer, on the call
// clock (ms since the stream's `start`). It is the only input to the [LATENCY] line, the
// latency metrics and the turn span, so the three always agree. Pure.
import type { TurnTraceRecord } from '../telemetry/tracing.ts';
import type { TurnEndRule } from '../turn/types.ts';

export type TurnOutcome = 'answered' | 'interrupted' | 'apology' | 'superseded' | 'no_transcript' | 'ended';

export interface TurnRecord {
  /** 1-based answer index within the call. */
  readonly turnId: number;
  readonly utteranceId: number;
  readonly rule: TurnEndRule;
  transcript: string;
  /** A final that arrived after the turn ended (updates the record, triggers nothing). */
  lateFinalText?: string;
  readonly speechStartMs: number;
  /** Caller speech end by the local VAD; when unknown, the moment the turn ended. */
  readonly speechEndMs: number;
  readonly speechEndFromVad: boolean;
  readonly firstPartialMs?: number;
  /** Final or early final transcript available (the turn was decided). */
  readonly finalMs: number;
  preemptive?: 'hit' | 'miss';
  llmRequestMs?: number;
  llmFirstTokenMs?: number;
  llmEndMs?: number;
  firstSentenceMs?: number;
  ttsRequestMs?: number;
  ttsFirstAudioMs?: number;
  firstFrameSentMs?: number;
  lastMarkPlayedMs?: number;
  interruptedMs?: number;
  outcome?: TurnOutcome;
  answerChars: number;
  heardChars: number;
  sentences: number;
  sentencesPlayed: number;
}

export type LatencyStage = 'partial' | 'final' | 'llm' | 'tts' | 'total';
export const LATENCY_STAGES: readonly LatencyStage[] = ['partial', 'final', 'llm', 'tts', 'total'];

/** Seconds from caller speech end to each stage (negative for a partial that came during speech). */
export function latencyStages(r: TurnRecord): Partial<Record<LatencyStage, number>> {
  const from = (t: number | undefined): number | undefined =>
    t === undefined ? undefined : (t - r.speechEndMs) / 1000;
  const out: Partial<Record<LatencyStage, number>> = {};
  const set = (k: LatencyStage, v: number | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('partial', from(r.firstPartialMs));
  set('final', from(r.finalMs));
  set('llm', from(r.llmFirstTokenMs));
  set('tts', from(r.ttsFirstAudioMs));
  set('total', from(r.firstFrameSentMs));
  return out;
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(3)}s`);

/** `[LATENCY] partial=..s final=..s llm=..s tts=..s total=..s` plus the rule and outcome. */
export function formatLatencyLine(r: TurnRecord): string {
  const s = latencyStages(r);
  return (
    `[LATENCY] partial=${fmt(s.partial)} final=${fmt(s.final)} llm=${fmt(s.llm)} tts=${fmt(s.tts)} total=${fmt(s.total)}` +
    ` rule=${r.rule} outcome=${r.outcome ?? 'pending'}${r.preemptive ? ` preemptive=${r.preemptive}` : ''}`
  );
}

export function toTraceRecord(r: TurnRecord): TurnTraceRecord {
  return {
    index: r.turnId - 1,
    rule: r.rule,
    transcript: r.transcript,
    speechStartMs: r.speechStartMs,
    speechEndMs: r.speechEndMs,
    finalMs: r.finalMs,
    llmRequestMs: r.llmRequestMs,
    llmFirstTokenMs: r.llmFirstTokenMs,
    llmEndMs: r.llmEndMs,
    ttsRequestMs: r.ttsRequestMs,
    ttsFirstAudioMs: r.ttsFirstAudioMs,
    playbackStartMs: r.firstFrameSentMs,
    playbackEndMs: r.interruptedMs ?? r.lastMarkPlayedMs,
    interrupted: r.interruptedMs !== undefined,
    preemptiveHit: r.preemptive === 'hit',
  };
}

/** Structured fields for the per-turn log line (times relative to speech end, in ms). */
export function turnLogFields(r: TurnRecord): Record<string, unknown> {
  const rel = (t: number | undefined): number | undefined =>
    t === undefined ? undefined : Math.round(t - r.speechEndMs);
  return {
    turnId: r.turnId,
    utteranceId: r.utteranceId,
    rule: r.rule,
    outcome: r.outcome,
    preemptive: r.preemptive,
    speechEndMs: Math.round(r.speechEndMs),
    speechEndFromVad: r.speechEndFromVad,
    firstPartialMs: rel(r.firstPartialMs),
    finalMs: rel(r.finalMs),
    llmRequestMs: rel(r.llmRequestMs),
    llmFirstTokenMs: rel(r.llmFirstTokenMs),
    firstSentenceMs: rel(r.firstSentenceMs),
    ttsRequestMs: rel(r.ttsRequestMs),
    ttsFirstAudioMs: rel(r.ttsFirstAudioMs),
    firstFrameSentMs: rel(r.firstFrameSentMs),
    lastMarkPlayedMs: rel(r.lastMarkPlayedMs),
    interruptedMs: rel(r.interruptedMs),
    answerChars: r.answerChars,
    heardChars: r.heardChars,
    sentences: r.sentences,
    sentencesPlayed: r.sentencesPlayed,
    transcriptChars: r.transcript.length,
  };
}
