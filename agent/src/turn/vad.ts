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

/** Second-order Butterworth filter (RBJ biquad), state kept across frames. */
function createBiquad(
  kind: 'highpass' | 'lowpass',
  cornerHz: number,
): (x: ArrayLike<number>) => Float64Array {
  const w0 = (2 * Math.PI * cornerHz) / VAD_SAMPLE_RATE;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b0 = (kind === 'highpass' ? (1 + cos) / 2 : (1 - cos) / 2) / a0;
  const b1 = (kind === 'highpass' ? -(1 + cos) : 1 - cos) / a0;
  const b2 = b0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  // One output buffer reused frame after frame (no garbage per frame); valid until the next call.
  let out = new Float64Array(160);
  return (input) => {
    if (out.length !== input.length) out = new Float64Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const x = input[i] ?? 0;
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      out[i] = y;
    }
    return out;
  };
}

/**
 * Noise floor and voicing decision for one frequency band: the floor follows quieter frames
 * fast and louder non-voice frames slowly, its spread widens the margin, and a voiced stretch
 * with a steady level (noise, tone) becomes the new floor.
 */
function createBand(tuning: EnergyVadTuning): {
  loud(e: number, inSpeech: boolean): boolean;
  adapt(e: number, voiced: boolean): void;
} {
  let floorDb: number | undefined;
  let noiseVar = 0;
  let stretch: number[] = [];
  return {
    loud(e, inSpeech) {
      floorDb ??= Math.min(e, tuning.initialFloorMaxDbfs);
      const base = inSpeech ? tuning.continueMarginDb : tuning.marginDb;
      const margin = Math.max(base, tuning.marginNoiseStds * Math.sqrt(noiseVar));
      if (e < Math.max(floorDb + margin, tuning.minEnergyDbfs)) {
        stretch = [];
        return false;
      }
      stretch.push(e);
      if (stretch.length > tuning.stationaryFrames) stretch.shift();
      if (stretch.length === tuning.stationaryFrames && stdDev(stretch) < tuning.stationaryStdDb) {
        // Steady level for the whole window: noise or a tone. Adopt it as the floor.
        floorDb = mean(stretch);
        stretch = [];
        return false;
      }
      return true;
    },
    adapt(e, voiced) {
      if (floorDb === undefined || (voiced && e >= floorDb)) return;
      const d = e - floorDb;
      floorDb = Math.max(
        FLOOR_MIN_DBFS,
        floorDb + d * (e < floorDb ? tuning.floorDownRate : tuning.floorUpRate),
      );
      if (!voiced) noiseVar += (Math.min(d * d, 100) - noiseVar) * tuning.floorUpRate;
    },
  };
}

export function createVad(config: VadConfig): Vad {
  if (!Number.isFinite(config.vadHangoverMs) || config.vadHangoverMs < 0) {
    throw new RangeError(`vadHangoverMs must be a non-negative number, got ${config.vadHangoverMs}`);
  }
  const tuning: EnergyVadTuning = { ...DEFAULT_VAD_TUNING, ...config.vadTuning };
  const hangoverMs = config.vadHangoverMs;

  let highPass = createBiquad('highpass', tuning.highPassHz);
  let lowPass = createBiquad('lowpass', tuning.lowBandHz);
  let fullBand = createBand(tuning);
  let lowBand = createBand(tuning);
  let inSpeech = false;
  let lastVoicedEndMs = 0;
  // Recent raw decisions, for the onset rule.
  let onsetHistory: { voiced: boolean; startMs: number }[] = [];

  const reset = (): void => {
    highPass = createBiquad('highpass', tuning.highPassHz);
    lowPass = createBiquad('lowpass', tuning.lowBandHz);
    fullBand = createBand(tuning);
    lowBand = createBand(tuning);
    inSpeech = false;
    lastVoicedEndMs = 0;
    onsetHistory = [];
  };

  const process = (pcm: Int16Array, audioTimeMs: number): VadFrame => {
    if (!Number.isFinite(audioTimeMs)) throw new RangeError(`audioTimeMs must be finite, got ${audioTimeMs}`);
    const frameEndMs = audioTimeMs + pcm.length / SAMPLES_PER_MS;
    const band = highPass(pcm);
    const f = frameFeatures(band);
    // Digital silence reads as -120 dB; clamp so it cannot distort the floor or its spread.
    const e = Math.max(FLOOR_MIN_DBFS, f.energyDbfs);
    // Voiced speech keeps most of its energy below ~1 kHz where broadband noise has little:
    // the low band alone finds speech a few dB deeper into white noise.
    const eLow = Math.max(FLOOR_MIN_DBFS, frameFeatures(lowPass(band)).energyDbfs);
    const click = f.crestFactor > tuning.maxCrestFactor;
    const loudFull = fullBand.loud(e, inSpeech);
    const loudLow = lowBand.loud(eLow, inSpeech);
    const voiced = (loudFull || loudLow) && !click;
    fullBand.adapt(e, voiced);
    lowBand.adapt(eLow, voiced);

    onsetHistory.push({ voiced, startMs: audioTimeMs });
    if (onsetHistory.length > tuning.onsetWindowFrames) onsetHistory.shift();

    if (voiced) {
      if (inSpeech) lastVoicedEndMs = frameEndMs;
      else {
        const voicedInWindow = onsetHistory.filter((h) => h.voiced);
        if (voicedInWindow.length >= tuning.onsetFrames) {
          inSpeech = true;
          lastVoicedEndMs = frameEndMs;
          return {
            voiced,
            speech: true,
            event: 'speechStart',
            eventTimeMs: voicedInWindow[0]?.startMs ?? audioTimeMs,
          };
        }
      }
      return { voiced, speech: inSpeech };
    }
    if (inSpeech && frameEndMs - lastVoicedEndMs >= hangoverMs) {
      inSpeech = false;
      onsetHistory = [];
      return { voiced, speech: false, event: 'speechEnd', eventTimeMs: lastVoicedEndMs };
    }
    return { voiced, speech: inSpeech };
  };

  return { process, reset };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function stdDev(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}
