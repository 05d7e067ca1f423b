// The per-turn record: every timestamp of one caller turn and the agent's answer, on the call
// clock (ms since the stream's `start`). It is the only input to the [LATENCY] line, the
// latency metrics and the turn span, so the three always agree. Pure.
import type { ToolTiming } from '../tools/loop.ts';
import type { TurnTraceRecord } from '../telemetry/tracing.ts';
import {
  formatLatencyLine as formatTurnLatency,
  turnLatencySeconds,
  type TurnLatencySeconds,
} from '../turn/latency.ts';
import type { TurnEndRule } from '../turn/types.ts';

export type TurnOutcome =
  | 'answered'
  | 'interrupted'
  | 'apology'
  | 'superseded'
  | 'no_transcript'
  | 'ended'
  /** Withdrawn before any of it was heard: the caller went on (turn/take-back.ts). */
  | 'takenBack';

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
  /** The partial the kept (or missed) preemptive request was started on. */
  preemptiveCandidate?: string;
  /** Preemptive requests started for this utterance (first start plus restarts). */
  preemptiveStarts?: number;
  /** Why each guess began, in order (preemptive-slot.ts PreemptiveCause, joined by '>'). */
  preemptiveTrail?: string;
  /** Turns taken back that this one continues (the caller resumed before any answer audio). */
  resumptions?: number;
  llmRequestMs?: number;
  /** Tool calls of the answer, on the call clock (tools/loop.ts): spans, log fields. */
  tools?: ToolTiming[];
  /** LLM requests this turn cost: preemptive starts (kept or wasted) plus a fresh request on a miss. */
  llmRequests?: number;
  /** The answer's first token as used (after the turn was decided, on a kept guess). */
  llmFirstTokenMs?: number;
  /** When that first token arrived from the model (before the decision on a kept guess). */
  llmFirstTokenArrivedMs?: number;
  llmEndMs?: number;
  firstSentenceMs?: number;
  ttsRequestMs?: number;
  ttsFirstAudioMs?: number;
  /** Characters sent to speech synthesis for this turn (what TTS bills). */
  ttsChars?: number;
  firstFrameSentMs?: number;
  lastMarkPlayedMs?: number;
  interruptedMs?: number;
  outcome?: TurnOutcome;
  /** Silence inside the answer because the next sentence's audio was late (ms); see playbackGapMs. */
  playbackGapMs?: number;
  answerChars: number;
  heardChars: number;
  sentences: number;
  sentencesPlayed: number;
}

export type LatencyStage = keyof TurnLatencySeconds;

/** Seconds from caller speech end to each stage (negative for a partial that came during speech). */
export function latencyStages(r: TurnRecord): Partial<Record<LatencyStage, number>> {
  const out: Partial<Record<LatencyStage, number>> = {};
  for (const [k, v] of Object.entries(turnLatencySeconds(r)) as [LatencyStage, number | undefined][]) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The turn/ `[LATENCY] partial=..s final=..s llm=..s tts=..s total=..s rule=..` line plus the outcome. */
export function formatLatencyLine(r: TurnRecord): string {
  return `${formatTurnLatency(r)} outcome=${r.outcome ?? 'pending'}${r.preemptive ? ` preemptive=${r.preemptive}` : ''}`;
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
    ...(r.tools !== undefined && r.tools.length > 0 ? { tools: r.tools } : {}),
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
    preemptiveStarts: r.preemptiveStarts,
    preemptiveTrail: r.preemptiveTrail,
    resumptions: r.resumptions,
    speechEndMs: Math.round(r.speechEndMs),
    speechEndFromVad: r.speechEndFromVad,
    firstPartialMs: rel(r.firstPartialMs),
    finalMs: rel(r.finalMs),
    llmRequestMs: rel(r.llmRequestMs),
    llmFirstTokenMs: rel(r.llmFirstTokenMs),
    llmFirstTokenArrivedMs: rel(r.llmFirstTokenArrivedMs),
    firstSentenceMs: rel(r.firstSentenceMs),
    ttsRequestMs: rel(r.ttsRequestMs),
    ttsFirstAudioMs: rel(r.ttsFirstAudioMs),
    firstFrameSentMs: rel(r.firstFrameSentMs),
    lastMarkPlayedMs: rel(r.lastMarkPlayedMs),
    interruptedMs: rel(r.interruptedMs),
    answerChars: r.answerChars,
    llmRequests: r.llmRequests,
    ...(r.tools !== undefined && r.tools.length > 0
      ? {
          tools: r.tools.map((t) => `${t.name}:${t.outcome}`),
          toolMs: Math.round(r.tools.reduce((ms, t) => ms + (t.endMs - t.startMs), 0)),
        }
      : {}),
    ttsChars: r.ttsChars,
    heardChars: r.heardChars,
    sentences: r.sentences,
    sentencesPlayed: r.sentencesPlayed,
    playbackGapMs: r.playbackGapMs === undefined ? undefined : Math.round(r.playbackGapMs),
    transcriptChars: r.transcript.length,
  };
}
