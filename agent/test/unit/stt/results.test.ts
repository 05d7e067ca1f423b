// Response shapes from Google's StreamingRecognizeResponse reference (../shared/reference/
// google-speech.md, ../shared/bench/google-like-profile.json "sources"): a response holds zero or
// one final result followed by interim results; the interim transcript is all of them in order.
import { describe, expect, it } from 'vitest';
import type { RawResult } from '../../../src/stt/raw.ts';
import {
  combinedStability,
  concatTranscripts,
  responseResults,
  stabilityAccepts,
} from '../../../src/stt/results.ts';

const r = (text: string, stability: number, isFinal = false, endOffsetMs?: number): RawResult => ({
  text,
  isFinal,
  stability,
  confidence: isFinal ? 0.9 : 0,
  endOffsetMs,
});

describe('one response, one interim', () => {
  it("the documented example: stable head + unstable tail is the head's and the tail's words, in order", () => {
    const out = responseResults([
      r('to be or not to be', 0.9, false, 1000),
      r(" that's the", 0.01, false, 1200),
    ]);
    expect(out).toEqual([
      {
        text: "to be or not to be that's the",
        isFinal: false,
        stability: 0.01,
        confidence: 0,
        endOffsetMs: 1200,
      },
    ]);
  });

  it('Hebrew head and tail (v2: stability unset on both) join with one space; never only the last result', () => {
    const out = responseResults([r('שלום אני רוצה לבדוק', 0), r('את ההזמנה', 0)]);
    expect(out).toHaveLength(1);
    expect(out[0]!.text).toBe('שלום אני רוצה לבדוק את ההזמנה');
    expect(out[0]!.stability).toBe(0);
  });

  it('a final comes first and alone; the interims after it are the next audio, joined', () => {
    const out = responseResults([r('שלום.', 0, true, 800), r('אני רוצה', 0.9), r(' לבדוק', 0.01)]);
    expect(out.map((x) => [x.text, x.isFinal])).toEqual([
      ['שלום.', true],
      ['אני רוצה לבדוק', false],
    ]);
  });

  it('a single interim result passes through unchanged', () => {
    const one = r('שלום', 0.5, false, 300);
    expect(responseResults([one])).toEqual([one]);
    expect(responseResults([])).toEqual([]);
  });

  it('concatenation keeps the separator the recognizer sent and adds one only where missing', () => {
    expect(concatTranscripts(['a', ' b', 'c', ''])).toBe('a b c');
  });
});

describe('stability: one rule for every consumer', () => {
  it('joined stability is the least reported one; unset when no part reports one', () => {
    expect(combinedStability([0.9, 0.01])).toBe(0.01);
    expect(combinedStability([0, 0.9])).toBe(0.9);
    expect(combinedStability([0, 0])).toBe(0);
  });

  it('unset is accepted (the rule falls back on its other evidence); a reported value must reach the minimum', () => {
    expect(stabilityAccepts(0, 0.8)).toBe(true);
    expect(stabilityAccepts(0.9, 0.8)).toBe(true);
    expect(stabilityAccepts(0.01, 0.8)).toBe(false);
    expect(stabilityAccepts(0.01, 0)).toBe(true);
  });
});
