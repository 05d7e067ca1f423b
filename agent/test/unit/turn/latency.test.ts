import { describe, expect, it } from 'vitest';
import { formatLatencyLine, turnLatencySeconds } from '../../../src/turn/latency.ts';

describe('latency line', () => {
  it('prints every stage from the VAD speech end, in seconds', () => {
    const line = formatLatencyLine({
      speechEndMs: 10_000,
      firstPartialMs: 9_800,
      finalMs: 10_420,
      rule: 'earlyFinal',
      llmFirstTokenMs: 10_910,
      ttsFirstAudioMs: 11_150,
      firstFrameSentMs: 11_230,
    });
    expect(line).toBe(
      '[LATENCY] partial=-0.200s final=0.420s llm=0.910s tts=1.150s total=1.230s rule=earlyFinal',
    );
  });

  it("prints '-' for what did not happen, and for everything without a speech end", () => {
    expect(formatLatencyLine({ speechEndMs: 1000, finalMs: 1500, rule: 'silence' })).toBe(
      '[LATENCY] partial=- final=0.500s llm=- tts=- total=- rule=silence',
    );
    expect(formatLatencyLine({ speechEndMs: undefined, finalMs: 1500 })).toBe(
      '[LATENCY] partial=- final=- llm=- tts=- total=- rule=-',
    );
    expect(turnLatencySeconds({ speechEndMs: 0, firstFrameSentMs: 1234 }).total).toBeCloseTo(1.234);
  });
});
