// Local voice activity detection on 8 kHz PCM16 frames (normally 20 ms = 160 samples).
// An energy detector against adaptive noise floors, chosen over Silero for CPU and for having
// no model file or native runtime (figures in docs/vad.md). Pure: fed with frames and
// audio-clock timestamps, no timers, no I/O.
//
// Per frame: high-pass at 200 Hz (rumble, hum, DC), then two bands are judged on their own,
// the whole band and 200-1000 Hz (voiced speech keeps most of its energy there, broadband
// noise does not, so the low band finds speech deeper into white noise):
//   band loud = energy >= max(floor + margin, minEnergy); margin widens with the noise spread
//   voiced    = (either band loud) and not a click (peak/RMS guard)
//   speech starts after `onsetFrames` voiced frames within `onsetWindowFrames` (blip guard)
//   and ends `hangoverMs` after the end of the last voiced frame.
// Each floor follows quieter frames fast, rises slowly on non-voiced frames, and snaps up when a
// "voiced" stretch is stationary (steady noise or a tone: speech never keeps its level within a
// couple of dB for half a second).
import type { Vad, VadFrame } from './types.ts';

export const VAD_SAMPLE_RATE = 8000;
const SAMPLES_PER_MS = VAD_SAMPLE_RATE / 1000;
const FULL_SCALE = 32768;
/** Digital silence would drag the floor to -120 dB; real lines never sit below this. */
const FLOOR_MIN_DBFS = -70;

export interface EnergyVadTuning {
  /** Minimum energy above the noise floor that makes a frame voiced (dB). */
  readonly marginDb: number;
  /** Once in speech, a frame stays voiced at this smaller margin (hysteresis, dB). */
  readonly continueMarginDb: number;
  /** The margin grows to this many noise standard deviations in fluctuating noise. */
  readonly marginNoiseStds: number;
  /** Frames quieter than this are never voiced (dBFS), whatever the floor. */
  readonly minEnergyDbfs: number;
  /** The first frame sets the floor, but never above this (a call rarely starts mid-word). */
  readonly initialFloorMaxDbfs: number;
  /** High-pass corner (Hz): rumble, hum and DC below the telephone band are not voice. */
  readonly highPassHz: number;
  /** Upper edge (Hz) of the second, low band that is judged on its own. */
  readonly lowBandHz: number;
  /** Voiced frames needed within the onset window to start speech (click and blip guard). */
  readonly onsetFrames: number;
  readonly onsetWindowFrames: number;
  /** A frame whose peak/RMS ratio exceeds this is an impulse (click), not voice. */
  readonly maxCrestFactor: number;
  /** Per-frame smoothing of the floor toward a quieter frame (fast) and a louder non-voiced frame. */
  readonly floorDownRate: number;
  readonly floorUpRate: number;
  /** Stationarity guard: a voiced stretch this long whose energy std is below the limit is noise. */
  readonly stationaryFrames: number;
  readonly stationaryStdDb: number;
}

export const DEFAULT_VAD_TUNING: EnergyVadTuning = {
  marginDb: 3,
  continueMarginDb: 2,
  marginNoiseStds: 3,
  minEnergyDbfs: -50,
  initialFloorMaxDbfs: -25,
  highPassHz: 200,
  lowBandHz: 1000,
  onsetFrames: 5,
  onsetWindowFrames: 7,
  maxCrestFactor: 12,
  floorDownRate: 0.2,
  floorUpRate: 0.05,
  stationaryFrames: 25,
  stationaryStdDb: 1.5,
};

export interface VadConfig {
  /** The smoothed decision stays "speech" this long after the last voiced frame (VAD_HANGOVER_MS). */
  readonly vadHangoverMs: number;
  readonly vadTuning?: Partial<EnergyVadTuning>;
}

/** Measurements of one frame; exported for the benchmark and tests. */
export interface FrameFeatures {
  readonly energyDbfs: number;
  readonly crestFactor: number;
  readonly zeroCrossingRate: number;
}

export function frameFeatures(pcm: ArrayLike<number>): FrameFeatures {
  const n = pcm.length;
  if (n === 0) return { energyDbfs: -120, crestFactor: 0, zeroCrossingRate: 0 };
  let sumSq = 0;
  let peak = 0;
  let crossings = 0;
  let prev = pcm[0] ?? 0;
  for (let i = 0; i < n; i++) {
    const s = pcm[i] ?? 0;
    sumSq += s * s;
    const a = s < 0 ? -s : s;
    if (a > peak) peak = a;
    if (s >= 0 !== prev >= 0) crossings++;
    prev = s;
  }
  const meanSq = sumSq / n;
  const rms = Math.sqrt(meanSq);
  return {
    energyDbfs: 10 * Math.log10(meanSq / (FULL_SCALE * FULL_SCALE) + 1e-12),
    crestFactor: rms > 0 ? peak / rms : 0,
    zeroCrossingRate: n > 1 ? crossings / (n - 1) : 0,
  };
}

/** Second-order Butterworth coefficients (RBJ biquad), normalised by a0. */
interface BiquadCoefficients {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

function biquadCoefficients(kind: 'highpass' | 'lowpass', cornerHz: number): BiquadCoefficients {
  const w0 = (2 * Math.PI * cornerHz) / VAD_SAMPLE_RATE;
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

/** 10*log10 of the mean square against full scale, the dBFS of frameFeatures. */
function energyDbfs(sumSq: number, n: number): number {
  return n === 0 ? -120 : 10 * Math.log10(sumSq / n / (FULL_SCALE * FULL_SCALE) + 1e-12);
}

/** Tuning counts index ring buffers: they must be whole numbers (0 is allowed). */
function frameCount(
  tuning: EnergyVadTuning,
  key: 'onsetFrames' | 'onsetWindowFrames' | 'stationaryFrames',
): number {
  const v = tuning[key];
  if (!Number.isInteger(v) || v < 0)
    throw new RangeError(`vadTuning.${key} must be a whole number >= 0, got ${v}`);
  return v;
}

/**
 * Noise floor and voicing decision for one frequency band: the floor follows quieter frames
 * fast and louder non-voice frames slowly, its spread widens the margin, and a voiced stretch
 * with a steady level (noise, tone) becomes the new floor. The stretch is a ring buffer read
 * oldest first, so its mean and spread are the same sums in the same order as over a list.
 */
class Band {
  private floorDb: number | undefined;
  private noiseVar = 0;
  private readonly stretch: Float64Array;
  private head = 0;
  private size = 0;
  private readonly tuning: EnergyVadTuning;

  constructor(tuning: EnergyVadTuning, stationaryFrames: number) {
    this.tuning = tuning;
    this.stretch = new Float64Array(stationaryFrames);
  }

  loud(e: number, inSpeech: boolean): boolean {
    const t = this.tuning;
    const floorDb = (this.floorDb ??= Math.min(e, t.initialFloorMaxDbfs));
    const base = inSpeech ? t.continueMarginDb : t.marginDb;
    const margin = Math.max(base, t.marginNoiseStds * Math.sqrt(this.noiseVar));
    if (e < Math.max(floorDb + margin, t.minEnergyDbfs)) {
      this.size = 0;
      return false;
    }
    const cap = this.stretch.length;
    // A window of 0 frames keeps nothing and never finds a steady stretch.
    if (cap === 0) return true;
    if (this.size < cap) this.stretch[(this.head + this.size++) % cap] = e;
    else {
      this.stretch[this.head] = e;
      this.head = (this.head + 1) % cap;
    }
    if (this.size === cap && this.stretchStdDev() < t.stationaryStdDb) {
      // Steady level for the whole window: noise or a tone. Adopt it as the floor.
      this.floorDb = this.stretchMean();
      this.size = 0;
      return false;
    }
    return true;
  }

  adapt(e: number, voiced: boolean): void {
    const floorDb = this.floorDb;
    if (floorDb === undefined || (voiced && e >= floorDb)) return;
    const t = this.tuning;
    const d = e - floorDb;
    this.floorDb = Math.max(FLOOR_MIN_DBFS, floorDb + d * (e < floorDb ? t.floorDownRate : t.floorUpRate));
    if (!voiced) this.noiseVar += (Math.min(d * d, 100) - this.noiseVar) * t.floorUpRate;
  }

  private stretchMean(): number {
    const cap = this.stretch.length;
    let s = 0;
    for (let k = 0; k < this.size; k++) s += this.stretch[(this.head + k) % cap]!;
    return s / this.size;
  }

  private stretchStdDev(): number {
    const cap = this.stretch.length;
    const m = this.stretchMean();
    let s = 0;
    for (let k = 0; k < this.size; k++) {
      const d = this.stretch[(this.head + k) % cap]! - m;
      s += d * d;
    }
    return Math.sqrt(s / this.size);
  }
}

export function createVad(config: VadConfig): Vad {
  if (!Number.isFinite(config.vadHangoverMs) || config.vadHangoverMs < 0) {
    throw new RangeError(`vadHangoverMs must be a non-negative number, got ${config.vadHangoverMs}`);
  }
  const tuning: EnergyVadTuning = { ...DEFAULT_VAD_TUNING, ...config.vadTuning };
  const hangoverMs = config.vadHangoverMs;
  const onsetFrames = frameCount(tuning, 'onsetFrames');
  const onsetWindow = frameCount(tuning, 'onsetWindowFrames');
  const stationaryFrames = frameCount(tuning, 'stationaryFrames');
  const hp = biquadCoefficients('highpass', tuning.highPassHz);
  const lp = biquadCoefficients('lowpass', tuning.lowBandHz);

  // Filter states (x1, x2 = last inputs; y1, y2 = last outputs) of the high-pass and of the
  // low-pass that runs on the high-passed signal.
  let hx1 = 0;
  let hx2 = 0;
  let hy1 = 0;
  let hy2 = 0;
  let lx1 = 0;
  let lx2 = 0;
  let ly1 = 0;
  let ly2 = 0;
  let fullBand = new Band(tuning, stationaryFrames);
  let lowBand = new Band(tuning, stationaryFrames);
  let inSpeech = false;
  let lastVoicedEndMs = 0;
  // The last `onsetWindow` raw decisions with their frame start times (a ring, oldest at onsetHead).
  const onsetVoiced = new Uint8Array(onsetWindow);
  const onsetStartMs = new Float64Array(onsetWindow);
  let onsetHead = 0;
  let onsetSize = 0;

  const reset = (): void => {
    hx1 = hx2 = hy1 = hy2 = lx1 = lx2 = ly1 = ly2 = 0;
    fullBand = new Band(tuning, stationaryFrames);
    lowBand = new Band(tuning, stationaryFrames);
    inSpeech = false;
    lastVoicedEndMs = 0;
    onsetHead = 0;
    onsetSize = 0;
  };

  const rememberOnset = (voiced: boolean, startMs: number): void => {
    if (onsetWindow === 0) return;
    let at: number;
    if (onsetSize < onsetWindow) at = (onsetHead + onsetSize++) % onsetWindow;
    else {
      at = onsetHead;
      onsetHead = (onsetHead + 1) % onsetWindow;
    }
    onsetVoiced[at] = voiced ? 1 : 0;
    onsetStartMs[at] = startMs;
  };

  const process = (pcm: Int16Array, audioTimeMs: number): VadFrame => {
    if (!Number.isFinite(audioTimeMs)) throw new RangeError(`audioTimeMs must be finite, got ${audioTimeMs}`);
    const n = pcm.length;
    const frameEndMs = audioTimeMs + n / SAMPLES_PER_MS;
    // One pass: high-pass each sample, take its energy and peak, low-pass it and take that
    // energy. The same arithmetic, in the same order, as filtering into buffers and measuring
    // them (frameFeatures), without the buffers.
    let x1 = hx1;
    let x2 = hx2;
    let y1 = hy1;
    let y2 = hy2;
    let u1 = lx1;
    let u2 = lx2;
    let z1 = ly1;
    let z2 = ly2;
    let sumSq = 0;
    let peak = 0;
    let lowSumSq = 0;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = hp;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = lp;
    for (let i = 0; i < n; i++) {
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
    hx1 = x1;
    hx2 = x2;
    hy1 = y1;
    hy2 = y2;
    lx1 = u1;
    lx2 = u2;
    ly1 = z1;
    ly2 = z2;
    // Digital silence reads as -120 dB; clamp so it cannot distort the floor or its spread.
    const e = Math.max(FLOOR_MIN_DBFS, energyDbfs(sumSq, n));
    // Voiced speech keeps most of its energy below ~1 kHz where broadband noise has little:
    // the low band alone finds speech a few dB deeper into white noise.
    const eLow = Math.max(FLOOR_MIN_DBFS, energyDbfs(lowSumSq, n));
    const rms = n === 0 ? 0 : Math.sqrt(sumSq / n);
    const crestFactor = rms > 0 ? peak / rms : 0;
    const click = crestFactor > tuning.maxCrestFactor;
    const loudFull = fullBand.loud(e, inSpeech);
    const loudLow = lowBand.loud(eLow, inSpeech);
    const voiced = (loudFull || loudLow) && !click;
    fullBand.adapt(e, voiced);
    lowBand.adapt(eLow, voiced);
    rememberOnset(voiced, audioTimeMs);

    if (voiced) {
      if (inSpeech) lastVoicedEndMs = frameEndMs;
      else {
        let count = 0;
        let firstStartMs: number | undefined;
        for (let k = 0; k < onsetSize; k++) {
          const at = (onsetHead + k) % onsetWindow;
          if (onsetVoiced[at] === 0) continue;
          count++;
          firstStartMs ??= onsetStartMs[at];
        }
        if (count >= onsetFrames) {
          inSpeech = true;
          lastVoicedEndMs = frameEndMs;
          return { voiced, speech: true, event: 'speechStart', eventTimeMs: firstStartMs ?? audioTimeMs };
        }
      }
      return VOICED[inSpeech ? 1 : 0]!;
    }
    if (inSpeech && frameEndMs - lastVoicedEndMs >= hangoverMs) {
      inSpeech = false;
      onsetSize = 0;
      return { voiced, speech: false, event: 'speechEnd', eventTimeMs: lastVoicedEndMs };
    }
    return UNVOICED[inSpeech ? 1 : 0]!;
  };

  return { process, reset };
}

// The frames without an event are the same four values every time: shared, frozen objects
// instead of one allocation per frame.
const VOICED: readonly VadFrame[] = [
  Object.freeze({ voiced: true, speech: false }),
  Object.freeze({ voiced: true, speech: true }),
];
const UNVOICED: readonly VadFrame[] = [
  Object.freeze({ voiced: false, speech: false }),
  Object.freeze({ voiced: false, speech: true }),
];
