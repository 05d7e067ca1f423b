import { describe, expect, it } from 'vitest';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { traceLink, turnWaterfall } from '../../../src/playground/waterfall.ts';

const record = (over: Partial<TurnRecord> = {}): TurnRecord => ({
  turnId: 2,
  utteranceId: 3,
  rule: 'earlyFinal',
  transcript: 'מה שעות הפתיחה?',
  speechStartMs: 1000,
  speechEndMs: 3000,
  speechEndFromVad: true,
  firstPartialMs: 2500,
  finalMs: 3210,
  llmRequestMs: 3215,
  llmFirstTokenMs: 3600,
  ttsRequestMs: 3650,
  ttsFirstAudioMs: 3800,
  firstFrameSentMs: 3805,
  outcome: 'answered',
  answerChars: 20,
  heardChars: 20,
  sentences: 1,
  sentencesPlayed: 1,
  ...over,
});

const TEMPLATE = 'http://localhost:16686/trace/{traceId}';
const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('turn waterfall', () => {
  it('draws STT, LLM, TTS and total from speech end, with the [LATENCY] figures', () => {
    const w = turnWaterfall(record(), TRACE, TEMPLATE);
    expect(w.bars.map((b) => [b.stage, b.startMs, b.endMs])).toEqual([
      ['stt', 0, 210],
      ['llm', 215, 600],
      ['tts', 650, 800],
      ['total', 0, 805],
    ]);
    expect(w.seconds).toMatchObject({ partial: -0.5, final: 0.21, llm: 0.6, tts: 0.8, total: 0.805 });
    expect(w.firstPartialMs).toBe(-500);
    expect(w.traceUrl).toBe(`http://localhost:16686/trace/${TRACE}`);
    expect(w.outcome).toBe('answered');
  });

  it('leaves out stages that did not happen, and a preemptive LLM bar may start before speech end', () => {
    const w = turnWaterfall(
      record({
        preemptive: 'hit',
        llmRequestMs: 2700,
        ttsRequestMs: undefined,
        ttsFirstAudioMs: undefined,
        firstFrameSentMs: undefined,
      }),
      undefined,
      TEMPLATE,
    );
    expect(w.bars.map((b) => b.stage)).toEqual(['stt', 'llm']);
    expect(w.bars[1]).toMatchObject({ startMs: -300, label: 'LLM first token' });
    expect(w.traceUrl).toBeUndefined();
  });

  it('links a trace only for a real trace id and a template with {traceId}', () => {
    expect(traceLink('', TRACE)).toBeUndefined();
    expect(traceLink('http://jaeger/trace/', TRACE)).toBeUndefined();
    expect(traceLink(TEMPLATE, 'not-a-trace')).toBeUndefined();
    expect(traceLink('https://ui/{traceId}?a={traceId}', TRACE)).toBe(`https://ui/${TRACE}?a=${TRACE}`);
  });
});
