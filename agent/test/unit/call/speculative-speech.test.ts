// Speculative speech of a preemptive guess (call/speculative-speech.ts), on a guess already
// under way: sentences from the splitter, bounded, speakable text, cancelled unheard.
import { describe, expect, it } from 'vitest';
import { PreemptiveGeneration } from '../../../src/llm/preemptive.ts';
import type { Responder } from '../../../src/llm/types.ts';
import { SpeculativeSpeech } from '../../../src/call/speculative-speech.ts';
import { FakeSynthesizer, SentenceSplitterFake, flush } from './fakes.ts';

const guess = (deltas: string[]): PreemptiveGeneration => {
  const responder: Responder = {
    name: 'scripted',
    async *respond() {
      for (const d of deltas) yield d;
    },
  };
  const signal = new AbortController().signal;
  return new PreemptiveGeneration(responder, { callId: 'c', candidate: 'x', messages: [], signal }, () => 0);
};

describe('SpeculativeSpeech', () => {
  it('synthesises at most maxSentences, also when the guess already holds more', async () => {
    const g = guess(['אחת. ', 'שתיים. ', 'שלוש.']);
    await flush();
    const tts = new FakeSynthesizer();
    const speech = new SpeculativeSpeech(g, {
      synthesizer: tts,
      splitter: new SentenceSplitterFake(),
      callId: 'c',
      maxSentences: 2,
      now: () => 0,
    });
    await flush();
    expect(tts.requests.map((r) => r.text)).toEqual(['אחת.', 'שתיים.']);
    expect(speech.chars).toBe('אחת.'.length + 'שתיים.'.length);
    expect(speech.adoptable(0, 'אחת.')).toBeDefined();
    expect(speech.adoptable(0, 'אחרת.')).toBeUndefined();
    expect(speech.adoptable(2, 'שלוש.')).toBeUndefined();
    speech.cancel();
    expect(tts.requests.every((r) => r.signal.aborted)).toBe(true);
    expect(speech.adoptable(0, 'אחת.')).toBeUndefined();
  });

  it('the last words of a finished guess are a sentence too (the splitter is flushed)', async () => {
    const tts = new FakeSynthesizer();
    const speech = new SpeculativeSpeech(guess(['בסדר גמור']), {
      synthesizer: tts,
      splitter: new SentenceSplitterFake(),
      callId: 'c',
      maxSentences: 2,
      now: () => 0,
    });
    await flush();
    expect(tts.requests.map((r) => r.text)).toEqual(['בסדר גמור']);
    speech.cancel();
  });
});
