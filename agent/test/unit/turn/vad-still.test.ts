import { describe, expect, it } from 'vitest';
import { biquadCoefficients, TwoBandFilter, type BiquadCoefficients } from '../../../src/turn/vad-filters.ts';
import { FIXTURE_TEXT, fixture } from './timeline.ts';
import { concat, frames, silence, toPcm16, whiteNoise } from '../../../src/sim/synthetic-audio.ts';

// Digital silence skips the filters once they sit on their fixed point (TwoBandFilter
// measureStill): the sums and states must be bit for bit those of running the filters.

/** The two biquads run sample by sample, as the VAD did before its one-pass rewrite. */
function reference(hp: BiquadCoefficients, lp: BiquadCoefficients) {
  let [x1, x2, y1, y2, u1, u2, z1, z2] = [0, 0, 0, 0, 0, 0, 0, 0];
  return (pcm: Int16Array): [number, number, number] => {
    let sumSq = 0;
    let peak = 0;
    let lowSumSq = 0;
    for (const x of pcm) {
      const y = hp.b0 * x + hp.b1 * x1 + hp.b2 * x2 - hp.a1 * y1 - hp.a2 * y2;
      [x2, x1, y2, y1] = [x1, x, y1, y];
      sumSq += y * y;
      peak = Math.max(peak, Math.abs(y));
      const z = lp.b0 * y + lp.b1 * u1 + lp.b2 * u2 - lp.a1 * z1 - lp.a2 * z2;
      [u2, u1, z2, z1] = [u1, y, z1, z];
      lowSumSq += z * z;
    }
    return [sumSq, peak, lowSumSq];
  };
}

describe('VAD filters over digital silence', () => {
  it('every frame measures what the filters compute, and most silent frames skip them', () => {
    const hp = biquadCoefficients('highpass', 200, 8000);
    const lp = biquadCoefficients('lowpass', 1000, 8000);
    const filter = new TwoBandFilter(hp, lp);
    const ref = reference(hp, lp);
    const still = filter as unknown as { measureStill(pcm: Int16Array): boolean };
    const measureStill = still.measureStill.bind(filter);
    let skipped = 0;
    still.measureStill = (pcm) => {
      const r = measureStill(pcm);
      if (r) skipped++;
      return r;
    };
    const names = Object.keys(FIXTURE_TEXT).slice(0, 3);
    const signal = concat(
      silence(500),
      ...names.flatMap((n) => [fixture(n), silence(3000)]),
      whiteNoise(400, 0.01, 3),
      silence(2000),
    );
    const all = frames(toPcm16(signal));
    for (const [i, pcm] of all.entries()) {
      filter.measure(pcm);
      expect([filter.sumSq, filter.peak, filter.lowSumSq], `frame ${i}`).toEqual(ref(pcm));
    }
    // Silence is about 11.5 s of the signal (575 frames); the filters settle within ~40 frames.
    expect(skipped).toBeGreaterThan(300);
  });
});
