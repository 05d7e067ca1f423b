// WAV (RIFF/WAVE) read and write. Parsing and serialising are pure functions over bytes; the
// file helpers at the bottom are the only I/O. Reading accepts what test audio and user
// recordings are usually stored as (PCM 8/16/24/32-bit, IEEE float, mu-law, A-law, any rate,
// any channel count) and always yields mono PCM16; writing produces PCM16 or mu-law (format 7).
import { readFile, writeFile } from 'node:fs/promises';
import { decodeMulaw } from './mulaw.ts';

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_IEEE_FLOAT = 3;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export type WavEncoding = 'pcm' | 'float' | 'mulaw' | 'alaw';

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

/** A decoded WAV file: mono PCM16 at the file's own rate, plus what the file declared. */
export interface WavAudio {
  readonly sampleRate: number;
  /** Mono PCM16 (multi-channel files are averaged to mono). */
  readonly samples: Int16Array;
  /** Channel count declared by the file (before the mix to mono). */
  readonly channels: number;
  readonly encoding: WavEncoding;
  readonly bitsPerSample: number;
}

/** Duration in milliseconds of a sample count at a rate. */
export function samplesToMs(sampleCount: number, sampleRate: number): number {
  return (sampleCount * 1000) / sampleRate;
}

interface FmtChunk {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function parseFmt(bytes: Uint8Array, offset: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError(`fmt chunk too short (${size} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
  let format = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitsPerSample = view.getUint16(14, true);
  if (format === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: the real format code is the first two bytes of the SubFormat GUID.
    if (size < 40) throw new WavFormatError('WAVE_FORMAT_EXTENSIBLE fmt chunk too short');
    format = view.getUint16(24, true);
  }
  if (channels < 1) throw new WavFormatError('WAV declares zero channels');
  if (sampleRate < 1) throw new WavFormatError('WAV declares a zero sample rate');
  let encoding: WavEncoding;
  switch (format) {
    case WAVE_FORMAT_PCM:
      if (![8, 16, 24, 32].includes(bitsPerSample)) {
        throw new WavFormatError(`unsupported PCM sample size: ${bitsPerSample} bits`);
      }
      encoding = 'pcm';
      break;
    case WAVE_FORMAT_IEEE_FLOAT:
      if (bitsPerSample !== 32 && bitsPerSample !== 64) {
        throw new WavFormatError(`unsupported float sample size: ${bitsPerSample} bits`);
      }
      encoding = 'float';
      break;
    case WAVE_FORMAT_MULAW:
    case WAVE_FORMAT_ALAW:
      if (bitsPerSample !== 8) throw new WavFormatError(`G.711 WAV must be 8 bits, got ${bitsPerSample}`);
      encoding = format === WAVE_FORMAT_MULAW ? 'mulaw' : 'alaw';
      break;
    default:
      throw new WavFormatError(`unsupported WAV format code ${format}`);
  }
  const expectedAlign = (bitsPerSample / 8) * channels;
  if (blockAlign !== expectedAlign) {
    throw new WavFormatError(`inconsistent block align ${blockAlign} (expected ${expectedAlign})`);
  }
  return { encoding, channels, sampleRate, bitsPerSample, blockAlign };
}

/** G.711 A-law byte -> linear PCM16 (ITU-T G.711). */
function alawToLinear(value: number): number {
  const a = value ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  magnitude += exponent === 0 ? 8 : 0x108;
  if (exponent > 1) magnitude <<= exponent - 1;
  return a & 0x80 ? magnitude : -magnitude;
}

function clamp16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

/** Reads one interleaved sample as a float-ish integer scaled to the PCM16 range. */
function sampleReader(fmt: FmtChunk, data: Uint8Array): (index: number) => number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bytes = fmt.bitsPerSample / 8;
  if (fmt.encoding === 'pcm') {
    switch (fmt.bitsPerSample) {
      case 8:
        return (i) => (data[i] as number) * 256 - 32768; // unsigned, centred at 128
      case 16:
        return (i) => view.getInt16(i * 2, true);
      case 24:
        return (i) => {
          const o = i * 3;
          const v = (data[o] as number) | ((data[o + 1] as number) << 8) | ((data[o + 2] as number) << 16);
          return ((v << 8) >> 8) / 256; // sign-extend, then scale to 16 bits
        };
      default:
        return (i) => view.getInt32(i * 4, true) / 65536;
    }
  }
  if (fmt.encoding === 'float') {
    return bytes === 4
      ? (i) => view.getFloat32(i * 4, true) * 32767
      : (i) => view.getFloat64(i * 8, true) * 32767;
  }
  if (fmt.encoding === 'alaw') return (i) => alawToLinear(data[i] as number);
  const pcm = decodeMulaw(data);
  return (i) => pcm[i] as number;
}

/** Parses a WAV file's bytes into mono PCM16. Throws WavFormatError on anything it cannot read. */
export function parseWav(input: Uint8Array): WavAudio {
  const bytes = input;
  if (bytes.length < 12) throw new WavFormatError('not a WAV file: shorter than a RIFF header');
  const ascii = (o: number) => String.fromCharCode(bytes[o]!, bytes[o + 1]!, bytes[o + 2]!, bytes[o + 3]!);
  if (ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: FmtChunk | undefined;
  let data: Uint8Array | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = ascii(offset);
    const declared = view.getUint32(offset + 4, true);
    const body = offset + 8;
    // Streaming writers leave 0 or 0xFFFFFFFF in the data size: take what is there.
    const size =
      id === 'data' && (declared === 0 || body + declared > bytes.length) ? bytes.length - body : declared;
    if (body + size > bytes.length) throw new WavFormatError(`chunk '${id}' runs past the end of the file`);
    if (id === 'fmt ') fmt = parseFmt(bytes, body, size);
    else if (id === 'data') data = bytes.subarray(body, body + size);
    if (fmt && data) break;
    offset = body + size + (size & 1); // chunks are word aligned
  }
  if (!fmt) throw new WavFormatError("WAV has no 'fmt ' chunk");
  if (!data) throw new WavFormatError("WAV has no 'data' chunk");
  const frames = Math.floor(data.length / fmt.blockAlign);
  const read = sampleReader(fmt, data.subarray(0, frames * fmt.blockAlign));
  const samples = new Int16Array(frames);
  const ch = fmt.channels;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < ch; c++) sum += read(f * ch + c);
    samples[f] = clamp16(Math.round(sum / ch));
  }
  return {
    sampleRate: fmt.sampleRate,
    samples,
    channels: fmt.channels,
    encoding: fmt.encoding,
    bitsPerSample: fmt.bitsPerSample,
  };
}

function header(
  format: number,
  channels: number,
  sampleRate: number,
  bitsPerSample: number,
  dataBytes: number,
  frames: number,
): Buffer {
  const blockAlign = (bitsPerSample / 8) * channels;
  // Non-PCM formats carry cbSize and a 'fact' chunk (sample frames), as the RIFF spec asks.
  const nonPcm = format !== WAVE_FORMAT_PCM;
  const fmtSize = nonPcm ? 18 : 16;
  const factSize = nonPcm ? 12 : 0;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const b = Buffer.alloc(headerSize);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(headerSize - 8 + dataBytes + (dataBytes & 1), 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(fmtSize, 16);
  b.writeUInt16LE(format, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * blockAlign, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(bitsPerSample, 34);
  let o = 36;
  if (nonPcm) {
    b.writeUInt16LE(0, o);
    o += 2;
    b.write('fact', o, 'ascii');
    b.writeUInt32LE(4, o + 4);
    b.writeUInt32LE(frames, o + 8);
    o += 12;
  }
  b.write('data', o, 'ascii');
  b.writeUInt32LE(dataBytes, o + 4);
  return b;
}

/** Serialises PCM16 samples (interleaved when channels > 1) as a PCM WAV file. */
export function encodeWavPcm16(samples: Int16Array, sampleRate: number, channels = 1): Buffer {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`invalid channel count ${channels}`);
  if (samples.length % channels !== 0) {
    throw new RangeError(`sample count ${samples.length} is not a multiple of ${channels} channels`);
  }
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i] as number, i * 2);
  return Buffer.concat([
    header(WAVE_FORMAT_PCM, channels, sampleRate, 16, data.length, samples.length / channels),
    data,
  ]);
}

/** Serialises raw mu-law bytes (mono) as a format-7 WAV file. */
export function encodeWavMulaw(mulaw: Uint8Array, sampleRate = 8000): Buffer {
  const pad = mulaw.length & 1 ? Buffer.from([0xff]) : Buffer.alloc(0);
  return Buffer.concat([
    header(WAVE_FORMAT_MULAW, 1, sampleRate, 8, mulaw.length, mulaw.length),
    Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength),
    pad,
  ]);
}

/** Reads and parses a WAV file. */
export async function readWavFile(path: string): Promise<WavAudio> {
  const bytes = await readFile(path);
  try {
    return parseWav(bytes);
  } catch (err) {
    if (err instanceof WavFormatError) throw new WavFormatError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Writes PCM16 samples as a WAV file. */
export async function writeWavFile(
  path: string,
  samples: Int16Array,
  sampleRate: number,
  channels = 1,
): Promise<void> {
  await writeFile(path, encodeWavPcm16(samples, sampleRate, channels));
}

/** Writes raw mu-law bytes as a format-7 WAV file. */
export async function writeMulawWavFile(path: string, mulaw: Uint8Array, sampleRate = 8000): Promise<void> {
  await writeFile(path, encodeWavMulaw(mulaw, sampleRate));
}
