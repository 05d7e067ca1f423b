// Deterministic 8 kHz PCM16 test signals for the VAD and endpointing tests and the VAD
// benchmark: silence, white and pink noise, tones, clicks, mixing at a target SNR, framing,
// and reference speech labels derived from clean audio. Pure; a seeded PRNG keeps every run
// identical.
import { seededRandom } from './profile.ts';

export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** Float signals in [-1, 1) are the working form; toPcm16 clips and converts. */
export type Signal = Float32Array;

export const msToSamples = (ms: number): number => Math.round((ms * SAMPLE_RATE) / 1000);

export function silence(ms: number): Signal {
  return new Float32Array(msToSamples(ms));
}

/** Gaussian white noise with the given RMS (full scale = 1). */
export function whiteNoise(ms: number, rms: number, seed = 1): Signal {
  const rng = seededRandom(seed);
  const out = new Float32Array(msToSamples(ms));
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller gives two normals per pair of uniforms.
    const u1 = Math.max(rng(), 1e-12);
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2) * rms;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2) * rms;
  }
  return out;
}

/** Pink (1/f) noise by Paul Kellet's filter over white noise, scaled to the given RMS. */
export function pinkNoise(ms: number, rms: number, seed = 2): Signal {
  const white = whiteNoise(ms, 1, seed);
  const out = new Float32Array(white.length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  let b4 = 0;
  let b5 = 0;
  let b6 = 0;
  for (let i = 0; i < white.length; i++) {
    const w = white[i] ?? 0;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return scaleToRms(out, rms);
}

export function tone(ms: number, hz: number, rms: number): Signal {
  const out = new Float32Array(msToSamples(ms));
  const amp = rms * Math.SQRT2;
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE);
  return out;
}

/** A signal of `ms` silence with single-sample impulses of the given amplitude every `everyMs`. */
export function clicks(ms: number, everyMs: number, amplitude: number): Signal {
  const out = new Float32Array(msToSamples(ms));
  const step = msToSamples(everyMs);
  for (let i = Math.floor(step / 2); i < out.length; i += step) out[i] = amplitude;
  return out;
}

export function concat(...parts: readonly Signal[]): Signal {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Adds `b` into a copy of `a` starting at sample `offset` (b is cut at a's end). */
export function mixAt(a: Signal, b: Signal, offset = 0): Signal {
  const out = Float32Array.from(a);
  for (let i = 0; i < b.length && offset + i < out.length; i++)
    out[offset + i] = (out[offset + i] ?? 0) + (b[i] ?? 0);
  return out;
}

export function rms(s: Signal): number {
  let sum = 0;
  for (const x of s) sum += x * x;
  return s.length === 0 ? 0 : Math.sqrt(sum / s.length);
}

export function scaleToRms(s: Signal, target: number): Signal {
  const r = rms(s);
  const k = r === 0 ? 0 : target / r;
  return s.map((x) => x * k);
}

export const dbToAmplitude = (db: number): number => 10 ** (db / 20);

export function pcm16ToFloat(pcm: Int16Array): Signal {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32768;
  return out;
}

export function toPcm16(s: Signal): Int16Array {
  const out = new Int16Array(s.length);
  for (let i = 0; i < s.length; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round((s[i] ?? 0) * 32768)));
  return out;
}

/** Splits into 20 ms frames (the last partial frame is dropped, as a stream would not send it). */
export function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME_SAMPLES <= pcm.length; i += FRAME_SAMPLES)
    out.push(pcm.subarray(i, i + FRAME_SAMPLES));
  return out;
}

/**
 * Reads the PCM16 samples of a canonical 44-byte-header mono WAV (the fixtures). Rejects
 * anything else with a message instead of guessing.
 */
export function parsePcm16Wav(buf: Uint8Array): Int16Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number): string => String.fromCharCode(...buf.subarray(o, o + 4));
  if (buf.byteLength < 44 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE' || tag(36) !== 'data') {
    throw new Error('not a 44-byte-header RIFF/WAVE file');
  }
  const format = view.getUint16(20, true);
  const channels = view.getUint16(22, true);
  const rate = view.getUint32(24, true);
  const bits = view.getUint16(34, true);
  if (format !== 1 || channels !== 1 || rate !== SAMPLE_RATE || bits !== 16) {
    throw new Error(
      `expected PCM16 mono 8000 Hz, got format=${format} channels=${channels} rate=${rate} bits=${bits}`,
    );
  }
  const dataBytes = Math.min(view.getUint32(40, true), buf.byteLength - 44);
  const out = new Int16Array(Math.floor(dataBytes / 2));
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(44 + 2 * i, true);
  return out;
}

/**
 * Reference labels for clean speech: a frame is speech when its energy is within `rangeDb` of
 * the loudest frame, with gaps shorter than `bridgeMs` filled (pauses inside a word are speech).
 */
export function speechLabels(clean: Signal, rangeDb = 30, bridgeMs = 100): boolean[] {
  const energies: number[] = [];
  for (let i = 0; i + FRAME_SAMPLES <= clean.length; i += FRAME_SAMPLES) {
    energies.push(10 * Math.log10(rms(clean.subarray(i, i + FRAME_SAMPLES)) ** 2 + 1e-12));
  }
  const peak = Math.max(...energies);
  const labels = energies.map((e) => e >= peak - rangeDb);
  const bridge = Math.round(bridgeMs / FRAME_MS);
  let lastSpeech = -1;
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    if (lastSpeech >= 0 && i - lastSpeech - 1 <= bridge)
      for (let j = lastSpeech + 1; j < i; j++) labels[j] = true;
    lastSpeech = i;
  }
  return labels;
}

/** Speech power of a clean signal measured over its labelled speech frames only. */
export function activeRms(clean: Signal, labels: readonly boolean[]): number {
  let sum = 0;
  let n = 0;
  labels.forEach((isSpeech, f) => {
    if (!isSpeech) return;
    for (let i = f * FRAME_SAMPLES; i < (f + 1) * FRAME_SAMPLES; i++) sum += (clean[i] ?? 0) ** 2;
    n += FRAME_SAMPLES;
  });
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/**
 * A speech-like signal: a 140 Hz harmonic voice whose loudness follows ~4 syllables per second
 * (so, unlike a tone, its level is never stationary), for timelines that need voice of an exact
 * length.
 */
export function speechLike(ms: number, rmsLevel: number, seed = 3): Signal {
  const rng = seededRandom(seed);
  const out = new Float32Array(msToSamples(ms));
  const syllableSamples = msToSamples(250);
  let gain = 1;
  for (let i = 0; i < out.length; i++) {
    if (i % syllableSamples === 0) gain = 0.35 + 0.65 * rng();
    const phase = (i % syllableSamples) / syllableSamples;
    const envelope = gain * (0.25 + 0.75 * Math.sin(Math.PI * phase));
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin((2 * Math.PI * 140 * h * i) / SAMPLE_RATE) / h;
    out[i] = v * envelope;
  }
  return scaleToRms(out, rmsLevel);
}
