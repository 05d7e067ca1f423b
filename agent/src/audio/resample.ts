// Sample-rate conversion over libsamplerate (WebAssembly). One converter per thread, loaded once
// at import time so resampleToRate stays synchronous for callers on the audio path.
import libsamplerate from '@alexanderolsen/libsamplerate-js';

const { create, ConverterType } = libsamplerate;

// SINC_FASTEST is still a band-limited sinc converter (no aliasing into the 4 kHz phone band) and
// resamples ~3 s of 22.05 kHz speech in ~13 ms; the better modes cost 2-5x more for no audible gain at 8 kHz.
const converter = await create(1, 8000, 8000, { converterType: ConverterType.SRC_SINC_FASTEST });

export class ResampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResampleError';
  }
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 192000) {
    throw new ResampleError(`${name} must be an integer from 1 to 192000 Hz, got ${rate}`);
  }
}

/** Converts PCM16 samples to floats in [-1, 1). */
export function int16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] as number) / 32768;
  return out;
}

/** Converts floats to PCM16 with clipping (the sinc filter can overshoot full scale slightly). */
export function float32ToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round((samples[i] as number) * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * Resamples mono audio from `fromRate` to `toRate`. Float input is taken as [-1, 1], Int16 as PCM16.
 * Returns PCM16. Same rates: a copy (Int16) or a conversion (Float32), never the input itself.
 */
export function resampleToRate(pcm: Float32Array | Int16Array, fromRate: number, toRate: number): Int16Array {
  checkRate('fromRate', fromRate);
  checkRate('toRate', toRate);
  if (fromRate === toRate) return pcm instanceof Int16Array ? pcm.slice() : float32ToInt16(pcm);
  if (pcm.length === 0) return new Int16Array(0);
  const input = pcm instanceof Int16Array ? int16ToFloat32(pcm) : pcm;
  if (converter.inputSampleRate !== fromRate) converter.inputSampleRate = fromRate;
  if (converter.outputSampleRate !== toRate) converter.outputSampleRate = toRate;
  return float32ToInt16(converter.simple(input));
}
