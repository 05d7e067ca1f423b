// The browser's codec (agent/src/playground/static/codec.js) must produce what Twilio would:
// the same mu-law codes as the agent's reference encoder, and 8 kHz audio without aliasing.
import { describe, expect, it } from 'vitest';
import {
  decodeMulawSample as agentDecode,
  encodeMulawSample as agentEncode,
} from '../../../src/audio/mulaw.ts';
import {
  Resampler,
  base64ToBytes,
  bytesToBase64,
  decodeMulaw,
  decodeMulawSample,
  encodeMulaw,
  encodeMulawSample,
} from '../../../src/playground/static/codec.js';

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** RMS over the middle of a signal (skips the filter's warm-up and tail). */
function rms(x: Float32Array): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (b - a));
}

/** Amplitude of one frequency in a signal (single-bin DFT over the middle). */
function amplitudeAt(x: Float32Array, freq: number, rate: number): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let re = 0;
  let im = 0;
  for (let i = a; i < b; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= x[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (b - a);
}

function resampleInChunks(r: Resampler, input: Float32Array, chunk: number): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(r.process(input.subarray(i, i + chunk)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('playground codec: mu-law', () => {
  it('encodes every 16-bit sample exactly like the agent (G.711 reference) and decodes every code alike', () => {
    for (let s = -32768; s <= 32767; s++) {
      if (encodeMulawSample(s) !== agentEncode(s)) throw new Error(`sample ${s}`);
    }
    for (let c = 0; c < 256; c++) expect(decodeMulawSample(c)).toBe(agentDecode(c));
  });

  it('round-trips float audio within mu-law precision and through base64', () => {
    const x = tone(440, 8000, 0.1, 0.8);
    const bytes = encodeMulaw(x);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    const y = decodeMulaw(bytes);
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]! - x[i]!)).toBeLessThan(0.03);
    // Clipping instead of wrapping.
    expect(encodeMulaw(new Float32Array([2, -2]))).toEqual(
      new Uint8Array([agentEncode(32767), agentEncode(-32767)]),
    );
  });
});

describe('playground codec: resampler', () => {
  it('48 kHz -> 8 kHz keeps a 1 kHz tone (level and pitch) and makes one output per 6 inputs', () => {
    const input = tone(1000, 48_000, 1);
    const out = resampleInChunks(new Resampler(48_000, 8000), input, 128);
    expect(Math.abs(out.length - 8000)).toBeLessThan(60);
    expect(amplitudeAt(out, 1000, 8000)).toBeCloseTo(0.5, 2);
    expect(rms(out)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });

  it('48 kHz -> 8 kHz removes what would alias: a 6 kHz tone is at least 60 dB down', () => {
    const out = resampleInChunks(new Resampler(48_000, 8000), tone(6000, 48_000, 1), 128);
    expect(rms(out)).toBeLessThan(0.5 * 1e-3);
  });

  it('44.1 kHz -> 8 kHz (a non-integer ratio) keeps a 440 Hz tone', () => {
    const out = resampleInChunks(new Resampler(44_100, 8000), tone(440, 44_100, 1), 128);
    expect(amplitudeAt(out, 440, 8000)).toBeCloseTo(0.5, 2);
  });

  it('8 kHz -> 48 kHz (playback) keeps a 1 kHz tone without images', () => {
    const out = resampleInChunks(new Resampler(8000, 48_000), tone(1000, 8000, 1), 160);
    expect(Math.abs(out.length - 48_000)).toBeLessThan(200);
    expect(amplitudeAt(out, 1000, 48_000)).toBeCloseTo(0.5, 2);
    expect(amplitudeAt(out, 7000, 48_000)).toBeLessThan(1e-3);
  });

  it('gives the same samples whatever the block size (the worklet sees 128-sample quanta)', () => {
    const input = tone(700, 48_000, 0.2);
    const a = resampleInChunks(new Resampler(48_000, 8000), input, 128);
    const b = resampleInChunks(new Resampler(48_000, 8000), input, 1000);
    const n = Math.min(a.length, b.length);
    expect(n).toBeGreaterThan(1500);
    for (let i = 0; i < n; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
  });
});
