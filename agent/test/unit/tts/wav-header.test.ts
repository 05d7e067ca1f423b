import { describe, expect, it } from 'vitest';
import {
  buildWavHeader,
  hasWavHeader,
  parseWavHeader,
  stripWavHeader,
  WavHeaderError,
} from '../../../src/tts/wav-header.ts';

const samples = Buffer.from([0xff, 0x7f, 0x00, 0x80, 0x10, 0x20]);

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

describe('WAV header stripping', () => {
  it('strips the 46-byte mu-law header Google puts on non-streaming output', () => {
    const wav = Buffer.concat([
      buildWavHeader({ format: 'mulaw', sampleRate: 8000, dataLength: samples.length }),
      samples,
    ]);
    expect(wav.length).toBe(46 + samples.length);
    expect(parseWavHeader(wav)).toMatchObject({
      audioFormat: 7,
      channels: 1,
      sampleRate: 8000,
      bitsPerSample: 8,
      dataOffset: 46,
    });
    expect(stripWavHeader(wav)).toEqual(samples);
  });

  it('walks past extra chunks (LIST, fact) to the data chunk, honouring odd-size padding', () => {
    const fmt = Buffer.alloc(18);
    fmt.writeUInt16LE(7, 0);
    fmt.writeUInt16LE(1, 2);
    fmt.writeUInt32LE(8000, 4);
    fmt.writeUInt32LE(8000, 8);
    fmt.writeUInt16LE(1, 12);
    fmt.writeUInt16LE(8, 14);
    const body = Buffer.concat([
      Buffer.from('WAVE', 'ascii'),
      chunk('fmt ', fmt),
      chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00Lavf\x00', 'latin1')), // odd length: padded
      chunk('fact', Buffer.from([6, 0, 0, 0])),
      chunk('data', samples),
    ]);
    const riff = Buffer.alloc(8);
    riff.write('RIFF', 0, 'ascii');
    riff.writeUInt32LE(body.length, 4);
    expect(stripWavHeader(Buffer.concat([riff, body]))).toEqual(samples);
  });

  it('passes headerless audio through unchanged (streaming output, already-stripped audio)', () => {
    expect(hasWavHeader(samples)).toBe(false);
    expect(stripWavHeader(samples)).toBe(samples);
    expect(stripWavHeader(Buffer.alloc(0)).length).toBe(0);
  });

  it('uses the rest of the buffer when the data size is unknown (0 or 0xFFFFFFFF) or too large', () => {
    for (const size of [0, 0xffffffff, 1000]) {
      const wav = Buffer.concat([
        buildWavHeader({ format: 'pcm16', sampleRate: 8000, dataLength: 0 }),
        samples,
      ]);
      wav.writeUInt32LE(size, 40);
      expect(stripWavHeader(wav)).toEqual(samples);
    }
  });

  it('rejects a RIFF file without fmt or data with a clear error', () => {
    const onlyRiff = Buffer.concat([Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1')]);
    expect(() => stripWavHeader(onlyRiff)).toThrow(WavHeaderError);
    const dataFirst = Buffer.concat([
      Buffer.from('RIFF\x10\x00\x00\x00WAVE', 'latin1'),
      chunk('data', samples),
    ]);
    expect(() => parseWavHeader(dataFirst)).toThrow(/data chunk before fmt/);
  });
});
