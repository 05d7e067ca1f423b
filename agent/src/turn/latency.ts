// The per-turn latency record and its log line:
//   [LATENCY] partial=0.180s final=0.420s llm=0.910s tts=1.150s total=1.230s rule=silence
// Every stage is measured from the caller's speech end by the local VAD (call clock, ms); a
// stage that did not happen prints '-'. A partial that arrived while the caller was still
// speaking is negative. Pure.
import type { TurnEndRule } from './types.ts';

export interface TurnLatencyRecord {
  /** Caller speech end by the local VAD; the origin of every figure. */
  readonly speechEndMs: number | undefined;
  readonly firstPartialMs?: number | undefined;
  /** STT final or early final: when the turn was decided. */
  readonly finalMs?: number | undefined;
  /** The rule that ended the turn (sttFinal, earlyFinal, silence, noVoiceTimeout). */
  readonly rule?: TurnEndRule | undefined;
  readonly llmFirstTokenMs?: number | undefined;
  readonly ttsFirstAudioMs?: number | undefined;
  /** First agent audio frame sent to Twilio: the total. */
  readonly firstFrameSentMs?: number | undefined;
}

export interface TurnLatencySeconds {
  readonly partial: number | undefined;
  readonly final: number | undefined;
  readonly llm: number | undefined;
  readonly tts: number | undefined;
  readonly total: number | undefined;
}

/** Seconds from speech end to each stage (undefined when the stage or the speech end is missing). */
export function turnLatencySeconds(r: TurnLatencyRecord): TurnLatencySeconds {
  const since = (t: number | undefined): number | undefined =>
    t === undefined || r.speechEndMs === undefined ? undefined : (t - r.speechEndMs) / 1000;
  return {
    partial: since(r.firstPartialMs),
    final: since(r.finalMs),
    llm: since(r.llmFirstTokenMs),
    tts: since(r.ttsFirstAudioMs),
    total: since(r.firstFrameSentMs),
  };
}

const fmt = (s: number | undefined): string =>
  s === undefined || !Number.isFinite(s) ? '-' : `${s.toFixed(3)}s`;

/** The `[LATENCY] partial=..s final=..s llm=..s tts=..s total=..s rule=..` line for one turn. */
export function formatLatencyLine(r: TurnLatencyRecord): string {
  const s = turnLatencySeconds(r);
  return (
    `[LATENCY] partial=${fmt(s.partial)} final=${fmt(s.final)} llm=${fmt(s.llm)} tts=${fmt(s.tts)} ` +
    `total=${fmt(s.total)} rule=${r.rule ?? '-'}`
  );
}
