import { describe, expect, it } from 'vitest';
import { createBargeInDetector } from '../../../src/turn/barge-in.ts';
import {
  FRAME_MS,
  concat,
  dbToAmplitude,
  frames,
  silence,
  speechLike,
  toPcm16,
  whiteNoise,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import type { VadFrame } from '../../../src/turn/types.ts';
import { createVad } from '../../../src/turn/vad.ts';

const V: VadFrame = { voiced: true, speech: true };
const H: VadFrame = { voiced: false, speech: true }; // hangover
const S: VadFrame = { voiced: false, speech: false };

/** Frame indexes where the detector fired. */
function fires(
  seq: readonly VadFrame[],
  minMs: number,
  speaking: (i: number) => boolean = () => true,
): number[] {
  const d = createBargeInDetector({ bargeInMinMs: minMs });
  return seq.flatMap((f, i) => (d.process(f, FRAME_MS, speaking(i)) ? [i] : []));
}

/** Barge-ins over real audio through the VAD, agent speaking throughout. */
function audioFires(signal: Signal, minMs = 300): number[] {
  const vad = createVad({ vadHangoverMs: 220 });
  const d = createBargeInDetector({ bargeInMinMs: minMs });
  return frames(toPcm16(signal)).flatMap((pcm, i) =>
    d.process(vad.process(pcm, i * FRAME_MS), FRAME_MS, true) ? [i * FRAME_MS] : [],
  );
}

describe('barge-in rule', () => {
  it('interrupts once voiced time reaches the minimum, once per segment', () => {
    const seq = [...Array(20).fill(V), ...Array(11).fill(H), S, ...Array(16).fill(V)];
    expect(fires(seq, 300)).toEqual([14, 46]);
  });

  it('hangover frames do not count as voice; shorter noises never interrupt', () => {
    const seq = [...Array(10).fill(V), ...Array(11).fill(H), S];
    expect(fires(seq, 300)).toEqual([]);
    expect(fires([...Array(3).fill(V), ...Array(3).fill(H), ...Array(3).fill(V), S], 200)).toEqual([]);
  });

  it('only time while the agent speaks counts', () => {
    const seq = Array(30).fill(V);
    expect(fires(seq, 300, (i) => i >= 10)).toEqual([24]);
    expect(fires(seq, 300, () => false)).toEqual([]);
  });

  it('a threshold of 0 interrupts on the first voiced frame', () => {
    expect(fires([H, V, V], 0)).toEqual([1]);
  });

  it('on audio: 1 s of caller voice interrupts after ~300 ms; a 200 ms noise burst does not', () => {
    const voice = audioFires(concat(silence(500), speechLike(1000, dbToAmplitude(-20)), silence(500)));
    expect(voice).toHaveLength(1);
    expect(voice[0]).toBeGreaterThanOrEqual(500 + 280);
    expect(voice[0]).toBeLessThanOrEqual(500 + 400);
    expect(audioFires(concat(silence(500), whiteNoise(200, dbToAmplitude(-20), 4), silence(800)))).toEqual(
      [],
    );
  });

  it('rejects a negative threshold', () => {
    expect(() => createBargeInDetector({ bargeInMinMs: -5 })).toThrow(/bargeInMinMs/);
  });
});
