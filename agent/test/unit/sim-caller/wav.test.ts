import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeWavMulaw,
  encodeWavPcm16,
  parseWav,
  readWavFile,
  WavFormatError,
  writeWavFile,
  samplesToMs,
} from '../../../src/audio/wav.ts';
import { decodeMulaw, encodeMulaw } from '../../../src/audio/mulaw.ts';
import { loadCallerAudio, wavToMulaw8k } from '../../../src/sim/caller/audio-source.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/audio');

function tone(n: number, rate: number, hz = 440, amp = 12000): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Builds a WAV by hand with an arbitrary fmt chunk, to test formats the writer does not produce. */
function rawWav(
  format: number,
  channels: number,
  rate: number,
  bits: number,
  data: Buffer,
  extensible = false,
): Buffer {
  const fmtSize = extensible ? 40 : 16;
  const fmt = Buffer.alloc(8 + fmtSize);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(fmtSize, 4);
  fmt.writeUInt16LE(extensible ? 0xfffe : format, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 16);
  fmt.writeUInt16LE((channels * bits) / 8, 20);
  fmt.writeUInt16LE(bits, 22);
  if (extensible) {
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(bits, 26);
    fmt.writeUInt16LE(format, 32); // SubFormat GUID starts with the format code
  }
  const list = Buffer.from('LIST\x04\x00\x00\x00INFO', 'latin1'); // an unrelated chunk before data
  const dataHdr = Buffer.alloc(8);
  dataHdr.write('data', 0, 'ascii');
  dataHdr.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE'), fmt, list, dataHdr, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('WAV PCM16', () => {
  it('round-trips mono samples exactly', () => {
    const samples = tone(1234, 8000);
    const wav = parseWav(encodeWavPcm16(samples, 8000));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toBe(1);
    expect(wav.encoding).toBe('pcm');
    expect(Array.from(wav.samples)).toEqual(Array.from(samples));
  });

  it('mixes stereo to mono by averaging the channels', () => {
    const interleaved = new Int16Array([1000, 3000, -2000, -4000, 32767, 32767, -32768, -32768]);
    const wav = parseWav(encodeWavPcm16(interleaved, 16000, 2));
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(16000);
    expect(Array.from(wav.samples)).toEqual([2000, -3000, 32767, -32768]);
  });

  it('rejects interleaved data that does not fill whole frames', () => {
    expect(() => encodeWavPcm16(new Int16Array(3), 8000, 2)).toThrow(RangeError);
  });

  it('writes and reads files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wav-'));
    try {
      const samples = tone(800, 8000);
      await writeWavFile(join(dir, 'a.wav'), samples, 8000);
      const back = await readWavFile(join(dir, 'a.wav'));
      expect(Array.from(back.samples)).toEqual(Array.from(samples));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WAV mu-law (format 7)', () => {
  it('writes a format-7 header with a fact chunk and decodes on read', () => {
    const pcm = tone(321, 8000);
    const mulaw = encodeMulaw(pcm);
    const file = encodeWavMulaw(mulaw);
    expect(file.readUInt16LE(20)).toBe(7);
    expect(file.readUInt16LE(34)).toBe(8);
    expect(file.toString('ascii', 38, 42)).toBe('fact');
    expect(file.length % 2).toBe(0); // odd data is padded to a word boundary
    const wav = parseWav(file);
    expect(wav.encoding).toBe('mulaw');
    expect(wav.samples.length).toBe(321);
    expect(Array.from(wav.samples)).toEqual(Array.from(decodeMulaw(mulaw)));
  });
});

describe('WAV other sample formats', () => {
  it('reads unsigned 8-bit PCM', () => {
    const wav = parseWav(rawWav(1, 1, 8000, 8, Buffer.from([0, 128, 255])));
    expect(Array.from(wav.samples)).toEqual([-32768, 0, 32512]);
  });

  it('reads 24-bit and 32-bit PCM scaled to 16 bits', () => {
    const d24 = Buffer.from([0x00, 0x00, 0x40, 0x00, 0x00, 0xc0]); // +0.5, -0.5 full scale
    expect(Array.from(parseWav(rawWav(1, 1, 8000, 24, d24)).samples)).toEqual([16384, -16384]);
    const d32 = Buffer.alloc(8);
    d32.writeInt32LE(0x40000000, 0);
    d32.writeInt32LE(-0x40000000, 4);
    expect(Array.from(parseWav(rawWav(1, 1, 8000, 32, d32)).samples)).toEqual([16384, -16384]);
  });

  it('reads float32 stereo (WAVE_FORMAT_EXTENSIBLE) and clips out-of-range values', () => {
    const d = Buffer.alloc(16);
    [0.5, 0.5, 2, 2].forEach((v, i) => d.writeFloatLE(v, i * 4));
    const wav = parseWav(rawWav(3, 2, 44100, 32, d, true));
    expect(wav.encoding).toBe('float');
    expect(wav.sampleRate).toBe(44100);
    expect(Array.from(wav.samples)).toEqual([Math.round(0.5 * 32767), 32767]);
  });

  it('reads A-law', () => {
    // 0xD5 is A-law for the smallest positive value, 0x55 the smallest negative.
    expect(Array.from(parseWav(rawWav(6, 1, 8000, 8, Buffer.from([0xd5, 0x55]))).samples)).toEqual([8, -8]);
  });
});

describe('WAV errors', () => {
  it('names what is wrong', () => {
    expect(() => parseWav(Buffer.from('hello'))).toThrow(WavFormatError);
    expect(() => parseWav(Buffer.from('RIFF\0\0\0\0AVI LIST'))).toThrow(/not a RIFF\/WAVE/);
    expect(() => parseWav(rawWav(2, 1, 8000, 4, Buffer.alloc(4)))).toThrow(/format code 2/);
    expect(() => parseWav(rawWav(1, 1, 8000, 12, Buffer.alloc(4)))).toThrow(/12 bits/);
    const noData = encodeWavPcm16(new Int16Array(4), 8000).subarray(0, 36);
    expect(() => parseWav(noData)).toThrow(/no 'data' chunk/);
  });
});

describe('fixtures and caller audio', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.wav'));

  it('parses every fixture as 8 kHz mono speech', async () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of fixtures) {
      const wav = await readWavFile(join(FIXTURES, f));
      expect(wav.sampleRate).toBe(8000);
      expect(wav.samples.length).toBeGreaterThan(1600);
      expect(wav.samples.some((s) => Math.abs(s) > 1000)).toBe(true);
    }
  });

  it('loads an 8 kHz fixture as one mu-law byte per sample', async () => {
    const wav = await readWavFile(join(FIXTURES, 'hello.wav'));
    const mulaw = await loadCallerAudio(join(FIXTURES, 'hello.wav'));
    expect(mulaw.length).toBe(wav.samples.length);
    expect(Array.from(mulaw.subarray(0, 50))).toEqual(Array.from(encodeMulaw(wav.samples.subarray(0, 50))));
  });

  it('resamples 16 kHz audio to 8 kHz keeping its duration', async () => {
    const pcm16k = tone(16000 * 1.5, 16000, 300);
    const mulaw = wavToMulaw8k(parseWav(encodeWavPcm16(pcm16k, 16000)));
    expect(samplesToMs(mulaw.length, 8000)).toBeGreaterThan(1490);
    expect(samplesToMs(mulaw.length, 8000)).toBeLessThan(1510);
    // Still a 300 Hz tone of the same level: count zero crossings in the middle second.
    const pcm = decodeMulaw(mulaw).subarray(2000, 10000);
    let crossings = 0;
    for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 !== pcm[i]! < 0) crossings++;
    expect(crossings).toBeGreaterThan(590);
    expect(crossings).toBeLessThan(610);
  });

  it('takes .ulaw files as raw mu-law and refuses unknown non-WAV files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ulaw-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'a.ulaw'), Buffer.from([1, 2, 3]));
      await writeFile(join(dir, 'a.txt'), 'hello');
      expect(Array.from(await loadCallerAudio(join(dir, 'a.ulaw')))).toEqual([1, 2, 3]);
      await expect(loadCallerAudio(join(dir, 'a.txt'))).rejects.toThrow(/not a WAV file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
