import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TUNING,
  finalSuppression,
  oneShotRetryDelayMs,
  probeDelayMs,
  retryDelayMs,
  softRotationMs,
  type FinalContext,
} from '../../../src/stt/resilience-policy.ts';

const low = (): number => 0;
const high = (): number => 0.999999;

describe('resilience policy: delays', () => {
  it('retries the first stream error within 50-150 ms, then backs off doubling up to the cap', () => {
    expect(retryDelayMs(1, DEFAULT_TUNING, low)).toBe(50);
    expect(retryDelayMs(1, DEFAULT_TUNING, high)).toBeCloseTo(150, 1);
    // attempt 2: base 250 * 2 = 500, jitter 0.5-1.0
    expect(retryDelayMs(2, DEFAULT_TUNING, low)).toBe(250);
    expect(retryDelayMs(2, DEFAULT_TUNING, high)).toBeCloseTo(500, 1);
    // capped at retryMaxMs (3000) however many attempts
    expect(retryDelayMs(10, DEFAULT_TUNING, high)).toBeCloseTo(3000, 1);
  });

  it('re-probes after 0.75-1.25 x a doubling base, capped', () => {
    expect(probeDelayMs(1, DEFAULT_TUNING, low)).toBe(750);
    expect(probeDelayMs(2, DEFAULT_TUNING, high)).toBeCloseTo(2500, 1);
    expect(probeDelayMs(20, DEFAULT_TUNING, low)).toBe(22_500);
  });

  it('retries a one-shot request after 200 ms doubling, with jitter', () => {
    expect(oneShotRetryDelayMs(0, low)).toBe(100);
    expect(oneShotRetryDelayMs(1, high)).toBeCloseTo(400, 1);
  });

  it('looks for a quiet rotation in the soft window, never more than 30 % of the stream life', () => {
    expect(softRotationMs(290_000, DEFAULT_TUNING)).toBe(260_000);
    expect(softRotationMs(60_000, DEFAULT_TUNING)).toBe(42_000);
    expect(softRotationMs(0, DEFAULT_TUNING)).toBe(0);
  });
});

describe('resilience policy: which streaming finals are dropped', () => {
  const base: FinalContext = {
    text: 'שלום לכם',
    startMs: 1000,
    endMs: 2000,
    atSeam: false,
    lastFinalText: '',
    handoffMs: -Infinity,
    oneShotOwnedEndMs: -Infinity,
  };

  it('delivers an ordinary final', () => {
    expect(finalSuppression(base)).toBeUndefined();
  });

  it('drops an empty final', () => {
    expect(finalSuppression({ ...base, text: '' })).toBe('empty');
  });

  it('drops the first final after a seam when it repeats the previous one or its tail, punctuation aside', () => {
    const seam = { ...base, atSeam: true, lastFinalText: 'כן, אני רוצה. שלום לכם!' };
    expect(finalSuppression({ ...seam, text: 'שלום לכם' })).toBe('seam duplicate');
    expect(finalSuppression({ ...seam, text: 'שלום, לכם.' })).toBe('seam duplicate');
    expect(finalSuppression({ ...seam, text: 'להתראות' })).toBeUndefined();
    // Not at a seam, the same words are said again on purpose.
    expect(finalSuppression({ ...seam, atSeam: false, text: 'שלום לכם' })).toBeUndefined();
    // Punctuation only is never a repeat.
    expect(finalSuppression({ ...seam, text: '?!' })).toBeUndefined();
  });

  it('drops a final the fallback already recognized one-shot (300 ms of slack)', () => {
    const handed = { ...base, handoffMs: 1500, oneShotOwnedEndMs: 1800 };
    expect(finalSuppression(handed)).toBe('covered by fallback');
    expect(finalSuppression({ ...handed, endMs: 2101 })).toBeUndefined();
    expect(finalSuppression({ ...handed, startMs: 1501 })).toBeUndefined();
  });
});
