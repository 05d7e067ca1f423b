import { describe, expect, it } from 'vitest';
import alawmulawPackage from 'alawmulaw';
import {
  MULAW_DECODE_TABLE,
  decodeMulaw,
  decodeMulawAt,
  decodeMulawSample,
  encodeMulaw,
  encodeMulawSample,
} from '../../../src/audio/mulaw.ts';

const reference = alawmulawPackage.mulaw;

// Expected values from the ITU-T G.711 mu-law tables (14-bit decision/reconstruction levels,
// scaled by 4 to the 16-bit range used by PCM16).
describe('G.711 mu-law reference values', () => {
  it('decodes the known code points', () => {
    expect(decodeMulawSample(0xff)).toBe(0); // positive zero
    expect(decodeMulawSample(0x7f)).toBe(0); // negative zero
    expect(decodeMulawSample(0xfe)).toBe(8); // 14-bit level 2
    expect(decodeMulawSample(0x7e)).toBe(-8);
    expect(decodeMulawSample(0xf0)).toBe(120); // end of segment 0 (14-bit 30)
    expect(decodeMulawSample(0xef)).toBe(132); // start of segment 1 (14-bit 33)
    expect(decodeMulawSample(0x8f)).toBe(16764); // start of segment 7 (14-bit 4191)
    expect(decodeMulawSample(0x80)).toBe(32124); // largest level (14-bit 8031)
    expect(decodeMulawSample(0x00)).toBe(-32124);
  });

  it('encodes the known code points', () => {
    expect(encodeMulawSample(0)).toBe(0xff);
    expect(encodeMulawSample(-1)).toBe(0x7f);
    expect(encodeMulawSample(32767)).toBe(0x80);
    expect(encodeMulawSample(-32768)).toBe(0x00);
    expect(encodeMulawSample(8)).toBe(0xfe);
    expect(encodeMulawSample(132)).toBe(0xef);
    expect(encodeMulawSample(16764)).toBe(0x8f);
  });

  it('has a decode table of 256 values, odd-symmetric around the sign bit', () => {
    expect(MULAW_DECODE_TABLE.length).toBe(256);
    for (let code = 0; code < 128; code++) {
      expect(MULAW_DECODE_TABLE[code]! + MULAW_DECODE_TABLE[code | 0x80]!).toBe(0);
    }
  });

  it('decode is monotonic within each sign half', () => {
    // Codes 0xFF down to 0x80 are increasing positive levels; 0x7F down to 0x00 increasingly negative.
    for (let code = 0xff; code > 0x80; code--) {
      expect(decodeMulawSample(code - 1)).toBeGreaterThan(decodeMulawSample(code));
    }
    for (let code = 0x7f; code > 0x00; code--) {
      expect(decodeMulawSample(code - 1)).toBeLessThan(decodeMulawSample(code));
    }
  });
});

describe('table codec', () => {
  it('encodes every 16-bit sample exactly like the formula encoder', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    const encoded = encodeMulaw(all);
    const mismatches: number[] = [];
    for (let i = 0; i < 65536; i++) if (encoded[i] !== encodeMulawSample(all[i]!)) mismatches.push(all[i]!);
    expect(mismatches).toEqual([]);
  });

  it('agrees with the alawmulaw package away from its different clipping point', () => {
    for (let s = -32000; s <= 32000; s += 7)
      expect(encodeMulaw(Int16Array.of(s))[0]).toBe(reference.encodeSample(s) & 0xff);
    for (let code = 0; code < 256; code++)
      expect(decodeMulaw(Uint8Array.of(code))[0]).toBe(reference.decodeSample(code) + 0); // + 0 folds its -0 into 0
  });

  it('round-trips every code except negative zero', () => {
    const codes = new Uint8Array(256).map((_, i) => i);
    const back = encodeMulaw(decodeMulaw(codes));
    for (let code = 0; code < 256; code++) expect(back[code]).toBe(code === 0x7f ? 0xff : code);
  });

  it('keeps the quantisation error within half a step of the segment', () => {
    for (let s = -32635; s <= 32635; s += 3) {
      const back = decodeMulawSample(encodeMulawSample(s));
      const magnitude = Math.abs(s) + 132;
      const segment = Math.max(0, Math.floor(Math.log2(magnitude)) - 7);
      const step = 8 << segment;
      expect(Math.abs(back - s)).toBeLessThanOrEqual(step / 2);
    }
  });

  it('writes into caller-provided buffers and rejects short ones', () => {
    const pcm = new Int16Array(4);
    const out = decodeMulaw(Buffer.from([0xff, 0x80, 0x00, 0x7f]), pcm);
    expect(out).toBe(pcm);
    expect(Array.from(pcm)).toEqual([0, 32124, -32124, 0]);
    const buf = Buffer.alloc(4);
    expect(encodeMulaw(pcm, buf)).toBe(buf);
    expect(Array.from(buf)).toEqual([0xff, 0x80, 0x00, 0xff]);
    expect(() => decodeMulaw(Buffer.alloc(5), new Int16Array(4))).toThrow(RangeError);
    expect(() => encodeMulaw(new Int16Array(5), Buffer.alloc(4))).toThrow(RangeError);
  });
});

describe('decodeMulawAt: one frame of a longer message', () => {
  it('decodes out.length bytes from the offset, as decodeMulaw does on that slice', () => {
    const buf = Buffer.from(Array.from({ length: 480 }, (_, i) => (i * 7) & 0xff));
    const out = new Int16Array(160);
    for (const offset of [0, 160, 320]) {
      decodeMulawAt(buf, offset, out);
      expect(Array.from(out)).toEqual(Array.from(decodeMulaw(buf.subarray(offset, offset + 160))));
    }
  });
  it('refuses a frame that runs past the message', () => {
    expect(() => decodeMulawAt(Buffer.alloc(300), 160, new Int16Array(160))).toThrow(RangeError);
    expect(() => decodeMulawAt(Buffer.alloc(300), -1, new Int16Array(160))).toThrow(RangeError);
  });
});
