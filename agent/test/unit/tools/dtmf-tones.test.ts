import { describe, expect, it } from 'vitest';
import { decodeMulaw } from '../../../src/audio/mulaw.ts';
import { dtmfAudio, dtmfFrequencies } from '../../../src/tools/dtmf-tones.ts';

/** Goertzel power of one frequency over 8 kHz samples (what an IVR's DTMF detector computes). */
function power(samples: Int16Array, freq: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

const ALL = [697, 770, 852, 941, 1209, 1336, 1477, 1633];

/** The key a Goertzel detector hears in a 100 ms window. */
function detect(window: Int16Array): string {
  const p = ALL.map((f) => power(window, f));
  const row = p.slice(0, 4).indexOf(Math.max(...p.slice(0, 4)));
  const col = p.slice(4).indexOf(Math.max(...p.slice(4)));
  return ['123A', '456B', '789C', '*0#D'][row]![col]!;
}

describe('DTMF tones', () => {
  it('a Goertzel detector hears the digits that were asked for, in order', () => {
    const pcm = decodeMulaw(dtmfAudio('159*#0'));
    const heard: string[] = [];
    for (let i = 0; i < 6; i++) heard.push(detect(pcm.subarray(i * 1600, i * 1600 + 800)));
    expect(heard.join('')).toBe('159*#0');
    // the gap after each tone is silent
    expect(Math.max(...pcm.subarray(800 + 10, 1600 - 10).map(Math.abs))).toBeLessThan(50);
  });

  it('has the right lengths: 100 ms tone + 100 ms gap per digit, 500 ms per w', () => {
    expect(dtmfAudio('12').length).toBe(3200);
    expect(dtmfAudio('1w2').length).toBe(3200 + 4000);
    expect(dtmfFrequencies('#')).toEqual([941, 1477]);
  });

  it('refuses a character that is not a key', () => {
    expect(() => dtmfAudio('12x')).toThrow(/not a DTMF key/);
  });
});
