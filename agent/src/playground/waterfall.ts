// The per-turn latency waterfall the playground draws, computed from the turn record (the same
// record behind the [LATENCY] line, the latency metrics and the turn span). Every time is in ms
// from the caller's speech end; a stage that did not happen has no bar. Pure.
import { latencyStages, type LatencyStage, type TurnRecord } from '../call/turn-record.ts';

export type WaterfallStage = 'stt' | 'llm' | 'tts' | 'total';

export interface WaterfallBar {
  readonly stage: WaterfallStage;
  readonly label: string;
  /** ms from speech end (negative: before it, e.g. a preemptive LLM request). */
  readonly startMs: number;
  readonly endMs: number;
}

export interface TurnWaterfall {
  readonly turnId: number;
  readonly transcript: string;
  readonly outcome: string;
  readonly rule: string;
  readonly preemptive: 'hit' | 'miss' | undefined;
  readonly bars: readonly WaterfallBar[];
  /** First partial, ms from speech end (negative while the caller was still talking). */
  readonly firstPartialMs: number | undefined;
  /** The [LATENCY] line's figures, in seconds. */
  readonly seconds: Partial<Record<LatencyStage, number>>;
  readonly traceId: string | undefined;
  /** Link to the trace in the tracing UI, when tracing is on and a UI URL is configured. */
  readonly traceUrl: string | undefined;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** The trace UI link: the template with {traceId} replaced; undefined without a trace or template. */
export function traceLink(template: string, traceId: string | undefined): string | undefined {
  if (traceId === undefined || !/^[0-9a-f]{32}$/.test(traceId) || !template.includes('{traceId}'))
    return undefined;
  return template.replaceAll('{traceId}', traceId);
}

export function turnWaterfall(
  r: Readonly<TurnRecord>,
  traceId: string | undefined,
  traceUrlTemplate: string,
): TurnWaterfall {
  const origin = r.speechEndMs;
  const rel = (t: number | undefined): number | undefined =>
    t === undefined ? undefined : round(t - origin);
  const bars: WaterfallBar[] = [];
  const bar = (stage: WaterfallStage, label: string, from: number | undefined, to: number | undefined) => {
    const startMs = rel(from);
    const endMs = rel(to);
    if (startMs === undefined || endMs === undefined) return;
    bars.push({ stage, label, startMs, endMs: Math.max(startMs, endMs) });
  };
  bar('stt', 'STT final', origin, r.finalMs);
  bar('llm', 'LLM first token', r.llmRequestMs, r.llmFirstTokenMs);
  bar('tts', 'TTS first audio', r.ttsRequestMs, r.ttsFirstAudioMs);
  bar('total', 'Total', origin, r.firstFrameSentMs);
  return {
    turnId: r.turnId,
    transcript: r.transcript,
    outcome: r.outcome ?? 'pending',
    rule: r.rule,
    preemptive: r.preemptive,
    bars,
    firstPartialMs: rel(r.firstPartialMs),
    seconds: latencyStages(r as TurnRecord),
    traceId,
    traceUrl: traceLink(traceUrlTemplate, traceId),
  };
}
