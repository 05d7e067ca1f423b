import { describe, expect, it } from 'vitest';
import { encodeMulaw } from '../../../src/audio/mulaw.ts';
import { encodeAudio } from '../../../src/sim/tts/requests.ts';

describe('TTS emulator audio encoding', () => {
  it('encodes a synthesised sentence to mu-law once and hands every answer the same bytes', () => {
    const pcm = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
    const first = encodeAudio(pcm, 'MULAW')!;
    expect(first).toEqual(Buffer.from(encodeMulaw(pcm)));
    expect(encodeAudio(pcm, 'MULAW')).toBe(first);
    const other = Int16Array.from(pcm, (v) => -v);
    expect(encodeAudio(other, 'MULAW')).toEqual(Buffer.from(encodeMulaw(other)));
    const linear = encodeAudio(pcm, 'LINEAR16')!;
    expect(linear.length).toBe(1600);
    expect(linear.readInt16LE(2)).toBe(pcm[1]);
    expect(encodeAudio(pcm, 'OGG_OPUS')).toBeNull();
  });
});
