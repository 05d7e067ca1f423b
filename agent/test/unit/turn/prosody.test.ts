// The prosody cue (turn/prosody.ts, turn/pitch.ts): F0 of voiced frames, and how the end of a
// voiced stretch is read (fall / level / rise) against the window and the speaker's level. On
// synthetic voiced sound with a known pitch contour, and on the pause fixtures (the check that
// the two pause sets really carry the intonation scripts/make-pause-fixtures.sh says they do).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frames, parsePcm16Wav } from '../../../src/sim/synthetic-audio.ts';
import { maxPitchLag, estimatePitch } from '../../../src/turn/pitch.ts';
import { classifyFinalPitch, createPhraseEndTracker, type FinalPitch } from '../../../src/turn/prosody.ts';
import { createVad } from '../../../src/turn/vad.ts';

const RATE = 8000;

/** A voiced sound (5 harmonics) whose F0 follows `hz(t)` (t in s), `ms` long, at about -20 dBFS. */
function voiced(ms: number, hz: (t: number) => number): Int16Array {
  const n = Math.round((ms / 1000) * RATE);
  const out = new Int16Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * hz(i / RATE)) / RATE;
    let s = 0;
    for (let h = 1; h <= 5; h++) s += Math.sin(h * phase) / h;
    out[i] = Math.round(2500 * s);
  }
  return out;
}
const silent = (ms: number): Int16Array => new Int16Array(Math.round((ms / 1000) * RATE));
function join16(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Feeds 20 ms frames (voiced = louder than -45 dBFS) and returns the reading after each pause. */
function readings(pcm: Int16Array): FinalPitch[] {
  const tracker = createPhraseEndTracker();
  const out: FinalPitch[] = [];
  let asked = false;
  for (const f of frames(pcm)) {
    let sum = 0;
    for (const s of f) sum += s * s;
    const loud = 10 * Math.log10(sum / f.length / 32768 ** 2 + 1e-12) > -45;
    tracker.push(f, loud);
    if (loud) asked = false;
    const r = asked ? undefined : tracker.finalPitch();
    if (r !== undefined) {
      out.push(r);
      asked = true;
    }
  }
  return out;
}

describe('estimatePitch', () => {
  it('finds the F0 of a harmonic sound within 2 % across the telephone speaker range', () => {
    const scratch = new Float64Array(maxPitchLag() + 2);
    for (const f0 of [85, 110, 150, 220, 300]) {
      const pcm = voiced(100, () => f0);
      const hz = estimatePitch(pcm, pcm.length, 160, scratch);
      expect(Math.abs(hz - f0) / f0).toBeLessThan(0.02);
    }
  });

  it('says 0 for silence, white noise, and a window without enough history', () => {
    const scratch = new Float64Array(maxPitchLag() + 2);
    expect(estimatePitch(silent(100), 800, 160, scratch)).toBe(0);
    let seed = 7;
    const noise = Int16Array.from({ length: 800 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 8000;
    });
    expect(estimatePitch(noise, 800, 160, scratch)).toBe(0);
    expect(
      estimatePitch(
        voiced(100, () => 120),
        200,
        160,
        scratch,
      ),
    ).toBe(0);
  });
});

describe('classifyFinalPitch', () => {
  const st = (hz: number[]): number[] => hz.map((h) => 12 * Math.log2(h / 100));
  it('a drop from the peak to the end is a fall; a plateau is level; a climb is a rise', () => {
    expect(classifyFinalPitch(st([110, 112, 110, 104, 96, 88, 82, 80]), undefined)).toBe('fall');
    expect(classifyFinalPitch(st([110, 112, 110, 109, 108, 108, 107, 106]), undefined)).toBe('level');
    expect(classifyFinalPitch(st([100, 100, 102, 106, 112, 120, 126, 130]), undefined)).toBe('rise');
  });

  it('an end already low in the speaker range is a fall even with no movement inside the window', () => {
    const flatLow = st([80, 80, 81, 80, 79, 80]);
    expect(classifyFinalPitch(flatLow, undefined)).toBe('level');
    expect(classifyFinalPitch(flatLow, 12 * Math.log2(110 / 100))).toBe('fall');
  });

  it('single-frame octave errors do not make a contour, and too few pitched frames are unknown', () => {
    expect(classifyFinalPitch(st([110, 220, 110, 109, 55, 108, 108]), undefined)).toBe('level');
    expect(classifyFinalPitch(st([110, 108, 100]), undefined)).toBe('unknown');
  });
});

describe('createPhraseEndTracker', () => {
  it('reads a statement-like fall, a held level pitch and a rise at the pause after each', () => {
    const fall = voiced(600, (t) => (t < 0.3 ? 115 : 115 - (t - 0.3) * 120));
    const level = voiced(600, () => 112);
    const rise = voiced(600, (t) => (t < 0.3 ? 100 : 100 + (t - 0.3) * 150));
    expect(readings(join16(fall, silent(300)))).toEqual(['fall']);
    expect(readings(join16(level, silent(300)))).toEqual(['level']);
    expect(readings(join16(rise, silent(300)))).toEqual(['rise']);
  });

  it('knows nothing while the caller speaks or before the pause is 100 ms long; one analysis per pause', () => {
    const tracker = createPhraseEndTracker();
    const speech = frames(voiced(400, () => 120));
    for (const f of speech) {
      tracker.push(f, true);
      expect(tracker.finalPitch()).toBeUndefined();
    }
    const quiet = frames(silent(200));
    for (const [i, f] of quiet.entries()) {
      tracker.push(f, false);
      if (i < 4) expect(tracker.finalPitch()).toBeUndefined();
    }
    expect(tracker.finalPitch()).toBe('level');
    tracker.push(speech[0]!, true);
    expect(tracker.finalPitch()).toBeUndefined();
    tracker.reset();
    for (const f of quiet) tracker.push(f, false);
    expect(tracker.finalPitch()).toBeUndefined();
  });

  it('a stretch that ends low in the range this speaker has used is a fall (the fall came earlier)', () => {
    const talk = voiced(1500, () => 118);
    const stepDown = voiced(300, () => 82);
    expect(readings(join16(talk, silent(200), stepDown, silent(300)))).toEqual(['level', 'fall']);
  });
});

describe('the pause fixtures carry the intonation they claim (scripts/make-pause-fixtures.sh)', () => {
  const FIXTURES = join(import.meta.dirname, '../../fixtures/audio');
  /** Readings through the real VAD at each pause of at least 300 ms, and at the end. */
  function atPauses(file: string): FinalPitch[] {
    const pcm = parsePcm16Wav(readFileSync(join(FIXTURES, file)));
    const vad = createVad({ vadHangoverMs: 220 });
    const tracker = createPhraseEndTracker();
    const out: FinalPitch[] = [];
    let silentFrames = 0;
    let reading: FinalPitch | undefined;
    for (const [i, f] of frames(join16(pcm, silent(400))).entries()) {
      const v = vad.process(f, i * 20).voiced;
      tracker.push(f, v);
      silentFrames = v ? 0 : silentFrames + 1;
      if (silentFrames === 5) reading = tracker.finalPitch();
      if (silentFrames === 15 && reading) out.push(reading);
    }
    return out;
  }

  it('p750 in one utterance: level pitch at the mid-sentence pause, a fall at the end', () => {
    expect(atPauses('pauses/p750.wav')).toEqual(['level', 'fall']);
  });

  it('p750 split into two sentences (the first set): the first half already ends with the final fall', () => {
    expect(atPauses('pauses-split/p750.wav')[0]).toBe('fall');
  });

  it('the benchmark statements end with a fall', () => {
    for (const name of ['hello', 'address']) expect(atPauses(`${name}.wav`).at(-1)).toBe('fall');
  });
});

describe("frames written into the tracker's own slot", () => {
  // The caller's audio path decodes each frame into frameSlot() and pushes that view (no copy):
  // the readings must be those of pushing copies.
  it('give the same reading at every frame as frames pushed from elsewhere', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'audio');
    const pcm = parsePcm16Wav(readFileSync(join(dir, 'address.wav')));
    const vad = createVad({ vadHangoverMs: 220 });
    const copied = createPhraseEndTracker();
    const inPlace = createPhraseEndTracker();
    let readings = 0;
    for (const [i, frame] of frames(pcm).entries()) {
      const voiced = vad.process(frame, i * 20).voiced;
      copied.push(Int16Array.from(frame), voiced);
      const slot = inPlace.frameSlot();
      slot.set(frame);
      inPlace.push(slot, voiced);
      expect(inPlace.finalPitch(), `frame ${i}`).toBe(copied.finalPitch());
      if (copied.finalPitch() !== undefined) readings++;
    }
    expect(readings).toBeGreaterThan(10);
  });
});
