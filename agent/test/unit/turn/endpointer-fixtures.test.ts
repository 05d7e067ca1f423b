// Endpointing on the espeak-ng Hebrew fixtures through the real VAD, with scripted STT output
// shaped like a streaming recognizer's (growing interims, a punctuated interim after speech
// end, a final later).
import { describe, expect, it } from 'vitest';
import {
  activeRms,
  concat,
  dbToAmplitude,
  mixAt,
  pinkNoise,
  silence,
  speechLabels,
} from '../../../src/sim/synthetic-audio.ts';
import {
  FIXTURE_TEXT,
  fixture,
  runTimeline,
  speechSpan,
  sttScriptFor,
  testConfig,
  type SttScript,
} from './timeline.ts';

const NAMES = Object.keys(FIXTURE_TEXT);

describe('endpointing on espeak-ng Hebrew fixtures', () => {
  it('has the six fixtures', () => {
    expect(NAMES).toEqual(['hello', 'question', 'address', 'thanks', 'short', 'long']);
  });

  for (const name of NAMES) {
    const text = FIXTURE_TEXT[name] ?? '';

    it(`${name}: a stable punctuated interim finalizes early, once; the final is late`, () => {
      const signal = concat(silence(1000), fixture(name), silence(500));
      const span = speechSpan(signal);
      const r = runTimeline(signal, sttScriptFor(text, span, { finalDelayMs: 700, stability: 0.9 }));
      expect(r.turns).toHaveLength(1);
      const t = r.turns[0];
      // "כן." is not longer than 15 characters: no early final for it.
      const expectedRule = text.length > 15 ? 'earlyFinal' : 'noVoiceTimeout';
      expect(t?.rule).toBe(expectedRule);
      expect(t?.transcript).toBe(text);
      expect(t?.endedAtMs).toBeGreaterThanOrEqual(span.endMs + 200);
      if (expectedRule === 'earlyFinal') expect(t?.endedAtMs).toBeLessThan(span.endMs + 700);
      expect(r.lateFinals.map((l) => l.text)).toEqual([text]);
    });

    it(`${name}: without a stable interim its words are unconfirmed: the turn ends on the final`, () => {
      const signal = concat(silence(1000), fixture(name), silence(500));
      const span = speechSpan(signal);
      const r = runTimeline(signal, sttScriptFor(text, span, { finalDelayMs: 1500, stability: 0.5 }));
      expect(r.turns.map((t) => [t.rule, t.transcript, t.tailSettled])).toEqual([['sttFinal', text, true]]);
      expect(r.lateFinals).toHaveLength(0);
      // The same interim confirmed by a second response: silence (500 ms) or declared end +
      // timeout (220 + 450 ms), decided on a frame boundary, before the final.
      const script = sttScriptFor(text, span, { finalDelayMs: 1500, stability: 0.5 });
      const last = script.filter((e) => e.kind === 'partial').at(-1)!;
      const agreed = runTimeline(signal, [...script, { ...last, atMs: last.atMs + 100 }]);
      expect(['silence', 'noVoiceTimeout', 'settledPartial']).toContain(agreed.turns[0]?.rule);
      expect(agreed.turns[0]?.endedAtMs).toBeLessThanOrEqual(span.endMs + 220 + 450 + 80);
      expect(agreed.lateFinals).toHaveLength(1);
    });
  }

  it('a whole conversation: six utterances with pauses give six turns in order, each answered once', () => {
    const parts = [silence(800)];
    const script: SttScript[] = [];
    let at = 800;
    for (const name of NAMES) {
      const audio = fixture(name);
      const local = speechSpan(concat(audio));
      const span = { startMs: at + local.startMs, endMs: at + local.endMs };
      script.push(...sttScriptFor(FIXTURE_TEXT[name] ?? '', span, { finalDelayMs: 650, stability: 0.9 }));
      parts.push(audio, silence(1500));
      at += (audio.length / 8000) * 1000 + 1500;
    }
    const r = runTimeline(concat(...parts), script);
    expect(r.turns.map((t) => t.transcript)).toEqual(NAMES.map((n) => FIXTURE_TEXT[n]));
    expect(r.turns.map((t) => t.utteranceId)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(r.turns.map((t) => t.utteranceId)).size).toBe(6);
  });

  it('the same in pink noise at 20 dB SNR', () => {
    for (const name of ['hello', 'address', 'long']) {
      const clean = concat(silence(1000), fixture(name), silence(500));
      const labels = speechLabels(clean);
      const noise = pinkNoise(
        (clean.length / 8000) * 1000 + 4000,
        activeRms(clean, labels) / dbToAmplitude(20),
        8,
      );
      const noisy = mixAt(concat(clean, silence(4000)), noise);
      const span = speechSpan(clean);
      const r = runTimeline(
        noisy,
        sttScriptFor(FIXTURE_TEXT[name] ?? '', span, { finalDelayMs: 700, stability: 0.9 }),
        testConfig(),
        0,
      );
      expect(
        r.turns.map((t) => t.rule),
        name,
      ).toEqual(['earlyFinal']);
      expect(r.turns[0]?.endedAtMs, name).toBeLessThan(span.endMs + 700);
    }
  });
});
