// Fundamental frequency (F0) of a stretch of 8 kHz PCM16 by normalized cross-correlation, for
// the prosody cue (turn/prosody.ts). Pure; run lazily (a few dozen frames once per pause),
// never on every frame.

export interface PitchOptions {
  readonly sampleRate: number;
  /** Lowest and highest F0 searched (Hz). */
  readonly minHz: number;
  readonly maxHz: number;
  /** A frame is pitched only if its best normalized correlation reaches this (0-1). */
  readonly minCorrelation: number;
}

export const DEFAULT_PITCH: PitchOptions = { sampleRate: 8000, minHz: 70, maxHz: 400, minCorrelation: 0.6 };

/** Samples of history `estimatePitch` needs before a window (its longest period). */
export const maxPitchLag = (o: PitchOptions = DEFAULT_PITCH): number => Math.ceil(o.sampleRate / o.minHz);

/**
 * F0 (Hz) of the `length` samples of `pcm` ending at `end`, or 0 when the stretch is not clearly
 * periodic (unvoiced, noise, silence). The correlation compares the window with the same
 * samples `lag` earlier, so `end - length - maxPitchLag()` must be >= 0. `scratch` (at least
 * maxPitchLag() + 2 long) holds the correlation per lag, so a call allocates nothing.
 *
 * Cost: the sums use every other sample (F0 stays far below 2 kHz) and every other lag, then
 * the lags beside the best one: about 50 x 80 multiply-adds for a 20 ms frame.
 */
export function estimatePitch(
  pcm: Int16Array,
  end: number,
  length: number,
  scratch: Float64Array,
  o: PitchOptions = DEFAULT_PITCH,
): number {
  const minLag = Math.floor(o.sampleRate / o.maxHz);
  const maxLag = maxPitchLag(o);
  const start = end - length;
  if (start - maxLag < 0 || length <= 0 || scratch.length < maxLag + 2) return 0;
  let energy0 = 0;
  for (let i = start; i < end; i += 2) energy0 += pcm[i]! * pcm[i]!;
  if (energy0 === 0) return 0;
  const nccf = (lag: number): number => {
    let cross = 0;
    let energyL = 0;
    for (let i = start; i < end; i += 2) {
      const l = pcm[i - lag]!;
      cross += pcm[i]! * l;
      energyL += l * l;
    }
    return energyL > 0 ? cross / Math.sqrt(energy0 * energyL) : 0;
  };
  scratch.fill(-2);
  let bestLag = 0;
  let best = 0;
  for (let lag = minLag; lag <= maxLag; lag += 2) {
    const c = (scratch[lag] = nccf(lag));
    if (c > best) {
      best = c;
      bestLag = lag;
    }
  }
  if (bestLag === 0) return 0;
  // Refine among the odd lags beside the coarse best.
  for (const lag of [bestLag - 1, bestLag + 1]) {
    if (lag < minLag || lag > maxLag) continue;
    const c = (scratch[lag] = nccf(lag));
    if (c > best) {
      best = c;
      bestLag = lag;
    }
  }
  if (best < o.minCorrelation) return 0;
  const at = (lag: number): number =>
    lag < minLag || lag > maxLag ? 0 : scratch[lag]! > -2 ? scratch[lag]! : (scratch[lag] = nccf(lag));
  // Multiple-period guard: a lag of a half, third or quarter of the best one (twice, three or
  // four times the F0) nearly as well correlated is the true period; the shortest wins.
  for (let k = 4; k >= 2; k--) {
    const centre = Math.round(bestLag / k);
    if (centre - 1 < minLag) continue;
    const lag = [centre - 1, centre, centre + 1].reduce((x, y) => (at(y) > at(x) ? y : x));
    if (at(lag) >= 0.85 * best) {
      bestLag = lag;
      break;
    }
  }
  // Parabolic interpolation around the peak for sub-sample resolution.
  const a = at(bestLag - 1);
  const b = at(bestLag);
  const c = at(bestLag + 1);
  const denom = a - 2 * b + c;
  const shift = bestLag > minLag && bestLag < maxLag && denom !== 0 ? (0.5 * (a - c)) / denom : 0;
  return o.sampleRate / (bestLag + Math.max(-0.5, Math.min(0.5, shift)));
}
