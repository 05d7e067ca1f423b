// Browser side of the playground's audio: G.711 mu-law (the same reference encoder as
// agent/src/audio/mulaw.ts: bias 0x84, clip 32635) and a streaming band-limited resampler
// (windowed sinc, Blackman window). Pure ES module, imported by both AudioWorklets and by the
// unit tests; no DOM, no timers.

const BIAS = 0x84;
const CLIP = 32635;

/** mu-law code of one 16-bit sample (G.711 segment search). */
export function encodeMulawSample(sample) {
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

/** Linear value (16-bit scale) of one mu-law code. */
export function decodeMulawSample(code) {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude | 0 : magnitude;
}

const DECODE_TABLE = new Float32Array(256);
for (let c = 0; c < 256; c++) DECODE_TABLE[c] = decodeMulawSample(c) / 32768;

/** Float samples (-1..1) to mu-law bytes. */
export function encodeMulaw(floats, out = new Uint8Array(floats.length)) {
  for (let i = 0; i < floats.length; i++) {
    const v = Math.max(-1, Math.min(1, floats[i]));
    out[i] = encodeMulawSample(Math.round(v * 32767));
  }
  return out;
}

/** mu-law bytes to float samples (-1..1). */
export function decodeMulaw(bytes, out = new Float32Array(bytes.length)) {
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE_TABLE[bytes[i]];
  return out;
}

/** Base64 of bytes, without Buffer (worklets and pages have no Buffer; btoa needs a binary string). */
export function bytesToBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

export function base64ToBytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const ZERO_CROSSINGS = 12;
const TABLE_STEPS = 128;

/**
 * Streaming resampler from inRate to outRate for any ratio. The low-pass cut-off sits at 90 % of
 * the lower Nyquist frequency (3.6 kHz between 48 kHz and 8 kHz), so speech keeps its telephone
 * band and nothing above 4 kHz folds back into it when downsampling. The kernel is tabulated
 * once; each output sample is a dot product over the input around its position.
 */
export class Resampler {
  constructor(inRate, outRate) {
    if (!(inRate > 0 && outRate > 0)) throw new RangeError('Resampler: rates must be positive');
    this.step = inRate / outRate;
    // Cut-off as a fraction of the input rate.
    this.cutoff = (0.9 * Math.min(inRate, outRate)) / 2 / inRate;
    this.halfWidth = Math.ceil(ZERO_CROSSINGS / (2 * this.cutoff));
    const n = this.halfWidth * TABLE_STEPS + 2;
    this.table = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = i / TABLE_STEPS;
      const x = 2 * this.cutoff * u;
      const sinc = u === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = u >= this.halfWidth ? 0 : blackman(u / this.halfWidth);
      this.table[i] = 2 * this.cutoff * sinc * w;
    }
    // Input history starts with halfWidth zeros: the first output is centred on the first input.
    this.buffer = new Float32Array(4096);
    this.length = this.halfWidth;
    this.position = this.halfWidth;
  }

  /** Resamples the next block of input; returns the output samples it completes. */
  process(input) {
    this.append(input);
    const outCount = Math.max(0, Math.floor((this.length - this.halfWidth - this.position) / this.step) + 1);
    const out = new Float32Array(outCount);
    const { buffer, table, halfWidth } = this;
    let produced = 0;
    while (produced < outCount && this.position + halfWidth < this.length) {
      const t = this.position;
      const centre = Math.floor(t);
      let acc = 0;
      for (let k = centre - halfWidth + 1; k <= centre + halfWidth; k++) {
        const u = Math.abs(t - k) * TABLE_STEPS;
        const j = Math.floor(u);
        if (j >= table.length - 1) continue;
        const h = table[j] + (table[j + 1] - table[j]) * (u - j);
        acc += buffer[k] * h;
      }
      out[produced++] = acc;
      this.position += this.step;
    }
    this.compact();
    return produced === outCount ? out : out.subarray(0, produced);
  }

  append(input) {
    if (this.length + input.length > this.buffer.length) {
      const bigger = new Float32Array(Math.max(this.buffer.length * 2, this.length + input.length));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
    this.buffer.set(input, this.length);
    this.length += input.length;
  }

  /** Drops input no future output needs. */
  compact() {
    const drop = Math.floor(this.position) - this.halfWidth;
    if (drop <= 0) return;
    this.buffer.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.position -= drop;
  }
}

function blackman(x) {
  // x in [0, 1): distance from the centre as a fraction of the half width.
  const n = 0.5 + x / 2;
  return 0.42 - 0.5 * Math.cos(2 * Math.PI * n) + 0.08 * Math.cos(4 * Math.PI * n);
}
