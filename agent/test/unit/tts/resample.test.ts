import { describe, expect, it } from 'vitest';
import { resampleToRate, ResampleError } from '../../../src/audio/resample.ts';

function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Zero crossings per second / 2 = frequency of a pure tone. */
function toneFrequency(pcm: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 !== pcm[i]! < 0) crossings++;
  return crossings / 2 / (pcm.length / rate);
}

function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += pcm[i]! * pcm[i]!;
  return Math.sqrt(s / (to - from));
}

describe('resampleToRate (libsamplerate)', () => {
  it('22.05 kHz -> 8 kHz keeps duration and a 440 Hz tone', () => {
    const out = resampleToRate(sine(440, 22050, 1), 22050, 8000);
    expect(Math.abs(out.length - 8000)).toBeLessThanOrEqual(2);
    expect(toneFrequency(out.subarray(400, 7600), 8000)).toBeCloseTo(440, -1);
    expect(rms(out, 400, 7600)).toBeGreaterThan(0.3 * 32768 * 0.9);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    // 6 kHz cannot exist at 8 kHz; a naive decimator would fold it to 2 kHz at full level.
    const out = resampleToRate(sine(6000, 24000, 1), 24000, 8000);
    expect(rms(out, 400, 7600)).toBeLessThan(0.02 * 32768);
  });

  it('accepts PCM16 and upsamples 8 kHz -> 16 kHz', () => {
    const pcm = Int16Array.from(sine(300, 8000, 0.5), (v) => Math.round(v * 32767));
    const out = resampleToRate(pcm, 8000, 16000);
    expect(Math.abs(out.length - 8000)).toBeLessThanOrEqual(2);
    expect(toneFrequency(out.subarray(400, 7600), 16000)).toBeCloseTo(300, -1);
  });

  it('same rate returns a copy; bad rates are rejected clearly', () => {
    const pcm = new Int16Array([1, 2, 3]);
    const same = resampleToRate(pcm, 8000, 8000);
    expect(same).toEqual(pcm);
    expect(same).not.toBe(pcm);
    expect(resampleToRate(new Float32Array(0), 22050, 8000)).toHaveLength(0);
    expect(() => resampleToRate(pcm, 0, 8000)).toThrow(ResampleError);
    expect(() => resampleToRate(pcm, 8000, 44100.5)).toThrow(/toRate/);
  });
});
