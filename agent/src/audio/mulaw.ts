// G.711 mu-law <-> 16-bit linear PCM, table driven (the hot path: every 20 ms frame of every
// call passes through here). Decoding is one lookup per byte in a 256-entry table. Encoding
// uses a table over the 14-bit magnitude (G.711 works on 14-bit samples; the two low bits of
// a 16-bit sample never change the code), so each sample costs a shift, a lookup and a sign fix.
// Values match the classic ITU-T G.711 reference encoder (bias 0x84, clip 32635) exactly.

const BIAS = 0x84;
const CLIP = 32635;

/** Linear value (16-bit scale) of one mu-law code, by the G.711 formula. Used to build the tables and as the reference. */
export function decodeMulawSample(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude | 0 : magnitude; // | 0: negative zero decodes to 0, not -0
}

/** mu-law code of one 16-bit sample, by the G.711 formula (segment search). The reference for the table encoder. */
export function encodeMulawSample(sample: number): number {
  let s = sample | 0;
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 256 codes -> PCM16. */
export const MULAW_DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decodeMulawSample(code);
  return table;
})();

/**
 * 14-bit magnitude (|sample| >> 2, 0..8192) -> code of the positive sample. A negative sample's
 * code is the same with bit 7 cleared. 8193 entries so that |-32768| >> 2 = 8192 fits.
 */
export const MULAW_ENCODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(8193);
  for (let i = 0; i < table.length; i++) table[i] = encodeMulawSample(Math.min(i << 2, 32767));
  return table;
})();

/** Decodes mu-law bytes to PCM16. `out` (at least buf.length long) avoids an allocation on the hot path. */
export function decodeMulaw(buf: Buffer | Uint8Array, out?: Int16Array): Int16Array {
  const n = buf.length;
  if (out !== undefined && out.length < n)
    throw new RangeError(`decodeMulaw: out has ${out.length} samples, need ${n}`);
  const pcm = out ?? new Int16Array(n);
  const table = MULAW_DECODE_TABLE;
  for (let i = 0; i < n; i++) pcm[i] = table[buf[i]!]!;
  return pcm;
}

/** Decodes `out.length` mu-law bytes of `buf` from `offset` into `out` (one frame of a longer message). */
export function decodeMulawAt(buf: Uint8Array, offset: number, out: Int16Array): void {
  const n = out.length;
  if (offset < 0 || offset + n > buf.length)
    throw new RangeError(`decodeMulawAt: ${n} bytes from ${offset} exceed ${buf.length}`);
  const table = MULAW_DECODE_TABLE;
  for (let i = 0; i < n; i++) out[i] = table[buf[offset + i]!]!;
}

/** Encodes PCM16 to mu-law bytes. `out` (at least pcm.length long) avoids an allocation on the hot path. */
export function encodeMulaw(pcm: Int16Array, out?: Buffer): Buffer {
  const n = pcm.length;
  if (out !== undefined && out.length < n)
    throw new RangeError(`encodeMulaw: out has ${out.length} bytes, need ${n}`);
  const buf = out ?? Buffer.allocUnsafe(n);
  const table = MULAW_ENCODE_TABLE;
  for (let i = 0; i < n; i++) {
    const s = pcm[i]!;
    // s >> 31 is 0 for s >= 0 and -1 below: branch-free absolute value and sign-bit mask.
    const neg = s >> 31;
    buf[i] = table[((s ^ neg) - neg) >> 2]! & (0xff ^ (neg & 0x80));
  }
  return buf;
}

/** One 20 ms frame at 8 kHz: 160 samples, 160 mu-law bytes. */
export const MULAW_FRAME_BYTES = 160;
/** The mu-law code of silence (linear 0). */
export const MULAW_SILENCE = 0xff;
