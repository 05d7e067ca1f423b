// The VAD's per-frame measurement and onset bookkeeping (turn/vad.ts): two biquad filters run in
// one pass over a frame's samples, and a ring of the last raw decisions. Pure, no allocation per
// frame.

/** Second-order Butterworth coefficients (RBJ biquad), normalised by a0. */
export interface BiquadCoefficients {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

export function biquadCoefficients(
  kind: 'highpass' | 'lowpass',
  cornerHz: number,
  sampleRate: number,
): BiquadCoefficients {
  const w0 = (2 * Math.PI * cornerHz) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b0 = (kind === 'highpass' ? (1 + cos) / 2 : (1 - cos) / 2) / a0;
  return {
    b0,
    b1: (kind === 'highpass' ? -(1 + cos) : 1 - cos) / a0,
    b2: b0,
    a1: (-2 * cos) / a0,
    a2: (1 - alpha) / a0,
  };
}

/**
 * The high-pass and, on its output, the low-pass filter, with their states (x1, x2 = last inputs;
 * y1, y2 = last outputs) kept across frames. One pass per frame measures the high-passed energy
 * and peak and the low band's energy: the same arithmetic, in the same order, as filtering into
 * buffers and measuring them (frameFeatures), without the buffers.
 */
export class TwoBandFilter {
  private hx1 = 0;
  private hx2 = 0;
  private hy1 = 0;
  private hy2 = 0;
  private lx1 = 0;
  private lx2 = 0;
  private ly1 = 0;
  private ly2 = 0;
  /** Results of the last measure(): sums of squares of both outputs, peak of the high-passed one. */
  sumSq = 0;
  peak = 0;
  lowSumSq = 0;

  private readonly hp: BiquadCoefficients;
  private readonly lp: BiquadCoefficients;

  constructor(hp: BiquadCoefficients, lp: BiquadCoefficients) {
    this.hp = hp;
    this.lp = lp;
  }

  measure(pcm: Int16Array): void {
    if (this.measureStill(pcm)) return;
    let x1 = this.hx1;
    let x2 = this.hx2;
    let y1 = this.hy1;
    let y2 = this.hy2;
    let u1 = this.lx1;
    let u2 = this.lx2;
    let z1 = this.ly1;
    let z2 = this.ly2;
    let sumSq = 0;
    let peak = 0;
    let lowSumSq = 0;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.hp;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = this.lp;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i]!;
      const y = hb0 * x + hb1 * x1 + hb2 * x2 - ha1 * y1 - ha2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      sumSq += y * y;
      const a = y < 0 ? -y : y;
      if (a > peak) peak = a;
      const z = lb0 * y + lb1 * u1 + lb2 * u2 - la1 * z1 - la2 * z2;
      u2 = u1;
      u1 = y;
      z2 = z1;
      z1 = z;
      lowSumSq += z * z;
    }
    this.hx1 = x1;
    this.hx2 = x2;
    this.hy1 = y1;
    this.hy2 = y2;
    this.lx1 = u1;
    this.lx2 = u2;
    this.ly1 = z1;
    this.ly2 = z2;
    this.sumSq = sumSq;
    this.peak = peak;
    this.lowSumSq = lowSumSq;
  }

  /**
   * Digital silence (a frame of zeros, e.g. mu-law 0xFF) into filters that have settled under it:
   * after a few hundred milliseconds of zeros the filters' outputs do not decay to 0 but stay on
   * a fixed point far below one LSB (a denormal such as -1e-322, where rounding stops the decay),
   * and every sample of such a frame gives the same outputs and leaves the states as they were.
   * Then the frame's sums are those of one sample repeated, without running the filters (on
   * denormals, slow) - bit for bit what the loop computes. Any other frame or state: false, and
   * measure() runs the filters.
   */
  private measureStill(pcm: Int16Array): boolean {
    const { hx1, hx2, hy1, hy2, lx1, lx2, ly1, ly2 } = this;
    if (hx1 !== 0 || hx2 !== 0) return false;
    for (let i = 0; i < pcm.length; i++) if (pcm[i] !== 0) return false;
    // One sample of zeros, the same expressions as measure()'s loop.
    const x = 0;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.hp;
    const y = hb0 * x + hb1 * hx1 + hb2 * hx2 - ha1 * hy1 - ha2 * hy2;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = this.lp;
    const z = lb0 * y + lb1 * lx1 + lb2 * lx2 - la1 * ly1 - la2 * ly2;
    // Object.is: the states must stay what they are bit for bit, the sign of a zero included.
    const fixed =
      Object.is(x, hx1) &&
      Object.is(y, hy1) &&
      Object.is(y, hy2) &&
      Object.is(y, lx1) &&
      Object.is(y, lx2) &&
      Object.is(z, ly1) &&
      Object.is(z, ly2);
    if (!fixed) return false;
    const yy = y * y;
    const zz = z * z;
    let sumSq = 0;
    let lowSumSq = 0;
    if (yy !== 0) for (let i = 0; i < pcm.length; i++) sumSq += yy;
    if (zz !== 0) for (let i = 0; i < pcm.length; i++) lowSumSq += zz;
    const a = y < 0 ? -y : y;
    this.sumSq = sumSq;
    this.peak = pcm.length > 0 && a > 0 ? a : 0;
    this.lowSumSq = lowSumSq;
    return true;
  }
}

/** The last `size` raw decisions with their frame start times: a ring, oldest first. */
export class OnsetWindow {
  private readonly voiced: Uint8Array;
  private readonly startMs: Float64Array;
  private head = 0;
  private length = 0;

  private readonly size: number;

  constructor(size: number) {
    this.size = size;
    this.voiced = new Uint8Array(size);
    this.startMs = new Float64Array(size);
  }

  push(voiced: boolean, startMs: number): void {
    if (this.size === 0) return;
    let at: number;
    if (this.length < this.size) at = (this.head + this.length++) % this.size;
    else {
      at = this.head;
      this.head = (this.head + 1) % this.size;
    }
    this.voiced[at] = voiced ? 1 : 0;
    this.startMs[at] = startMs;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** How many frames in the window were voiced, and when the first of them started. */
  voicedCount(): { count: number; firstStartMs: number | undefined } {
    let count = 0;
    let firstStartMs: number | undefined;
    for (let k = 0; k < this.length; k++) {
      const at = (this.head + k) % this.size;
      if (this.voiced[at] === 0) continue;
      count++;
      firstStartMs ??= this.startMs[at];
    }
    return { count, firstStartMs };
  }
}
