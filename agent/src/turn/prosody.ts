// Where the caller's pitch ended before a pause, a turn-taking cue the transcript cannot give:
// a finished statement ends low, at the bottom of the speaker's range (the final fall); a
// speaker who stops mid-sentence to think holds the pitch level near their usual height (the
// "plateau" hold cue; e.g. Gravano & Hirschberg, "Turn-taking cues in task-oriented dialogue",
// 2011); a question may end level or high (turn/end-of-turn.ts never reads a question's end as a
// hold).
//
// Pure, per call. Per 20 ms frame: the PCM is copied into a small ring, and every
// `referenceEveryFrames`-th voiced frame gets one F0 estimate (turn/pitch.ts) for the speaker's
// running pitch level. When the silence after a voiced stretch reaches `analyseAfterFrames`, the
// end of the stretch is copied aside; it is analysed (about fifteen F0 estimates, ~0.2 ms) only
// if and when the endpointer asks, once per pause.
import { DEFAULT_PITCH, estimatePitch, maxPitchLag, type PitchOptions } from './pitch.ts';

/**
 * How the last voiced stretch ended: 'fall' (low in the speaker's range, or falling to it),
 * 'level' (held near the speaker's level), 'rise', or 'unknown' (too little pitch to tell).
 */
export type FinalPitch = 'fall' | 'level' | 'rise' | 'unknown';

export interface ProsodyOptions {
  readonly frameSamples: number;
  /** Frames analysed before the pause is analysed (the final fall spans ~200-300 ms). */
  readonly windowFrames: number;
  /** Silent frames (VAD) after the last voiced one before the stretch is analysed. */
  readonly analyseAfterFrames: number;
  /** The end this many semitones below the speaker's level, or below the window's peak: a fall. */
  readonly fallSemitones: number;
  /** The end this many semitones above the window's trough: a rise. */
  readonly riseSemitones: number;
  /** Frames quieter than this (dBFS) are not analysed (the VAD's own minimum). */
  readonly minEnergyDbfs: number;
  /** Fewer pitched frames than this at the end: 'unknown'. */
  readonly minPitchedFrames: number;
  /** One F0 estimate per this many voiced frames feeds the speaker's level. */
  readonly referenceEveryFrames: number;
  /** The speaker's level is the median of this many recent estimates. */
  readonly referenceSize: number;
  readonly pitch: PitchOptions;
}

export const DEFAULT_PROSODY: ProsodyOptions = {
  frameSamples: 160,
  windowFrames: 12,
  analyseAfterFrames: 5,
  fallSemitones: 2.5,
  riseSemitones: 2.5,
  minEnergyDbfs: -50,
  minPitchedFrames: 4,
  referenceEveryFrames: 8,
  referenceSize: 25,
  pitch: DEFAULT_PITCH,
};

/** What the endpointer may ask about the caller's audio (turn/endpointer.ts). */
export interface PhraseEndCues {
  /**
   * How the last voiced stretch ended, once the caller has been silent for `analyseAfterFrames`
   * (undefined while speaking or before that). Analysed on the first call per pause, cached.
   */
  finalPitch(): FinalPitch | undefined;
}

export interface PhraseEndTracker extends PhraseEndCues {
  /** One frame of caller audio and the VAD's raw decision for it. */
  push(pcm: Int16Array, voiced: boolean): void;
  /**
   * Where the next frame's samples go (`frameSamples` long): a frame decoded into it and then
   * pushed is not copied (the caller's audio path decodes straight into the tracker's history).
   * Valid until the next push.
   */
  frameSlot(): Int16Array;
  reset(): void;
}

const semitones = (hz: number): number => 12 * Math.log2(hz / 100);

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function frameEnergyDbfs(pcm: Int16Array, start: number, length: number): number {
  let sumSq = 0;
  for (let i = start; i < start + length; i++) sumSq += pcm[i]! * pcm[i]!;
  return 10 * Math.log10(sumSq / length / (32768 * 32768) + 1e-12);
}

/**
 * Classifies the end of a pitch track (semitones, time order, pitched frames only) against the
 * speaker's level (semitones, undefined when not known yet). Frames an octave away from the
 * track's median are dropped (period doubling/halving errors) and a 3-point median smooths the
 * rest; the end is the median of the last three.
 */
export function classifyFinalPitch(
  track: readonly number[],
  speakerLevel: number | undefined,
  o: Pick<ProsodyOptions, 'fallSemitones' | 'riseSemitones' | 'minPitchedFrames'> = DEFAULT_PROSODY,
): FinalPitch {
  if (track.length < o.minPitchedFrames) return 'unknown';
  const mid = median(track);
  const kept = track.filter((v) => Math.abs(v - mid) < 8);
  if (kept.length < o.minPitchedFrames) return 'unknown';
  const smooth = kept.map((_, i) => median(kept.slice(Math.max(0, i - 1), i + 2)));
  const end = median(smooth.slice(-3));
  const peak = Math.max(...smooth);
  const trough = Math.min(...smooth);
  if (peak - end >= o.fallSemitones) return 'fall';
  if (speakerLevel !== undefined && speakerLevel - end >= o.fallSemitones) return 'fall';
  if (end - trough >= o.riseSemitones) return 'rise';
  return 'level';
}

/** The last frames of caller audio in a ring, with a linear copy for the pitch estimator. */
class FrameRing {
  readonly frames: number;
  private readonly n: number;
  private readonly ring: Int16Array;
  private readonly slots: Int16Array[];
  /** Frames `from`..frames-1 of the ring, oldest first, after linearize(from). */
  readonly linear: Int16Array;
  private head = 0; // next frame slot
  /** Frames pushed, up to the ring's size. */
  filled = 0;

  constructor(frames: number, frameSamples: number) {
    this.frames = frames;
    this.n = frameSamples;
    this.ring = new Int16Array(frames * frameSamples);
    this.slots = Array.from({ length: frames }, (_, k) =>
      this.ring.subarray(k * frameSamples, (k + 1) * frameSamples),
    );
    this.linear = new Int16Array(frames * frameSamples);
  }

  push(pcm: Int16Array): void {
    const n = this.n;
    if (pcm !== this.slots[this.head])
      this.ring.set(pcm.length === n ? pcm : pcm.subarray(0, n), this.head * n);
    this.head = (this.head + 1) % this.frames;
    this.filled = Math.min(this.frames, this.filled + 1);
  }

  /** Where the next frame goes (decode into it to skip the copy). */
  slot(): Int16Array {
    return this.slots[this.head]!;
  }

  /** Frames `from`..frames-1 of the ring, oldest first, into `linear` at 0. */
  linearize(from: number): void {
    const n = this.n;
    for (let k = from; k < this.frames; k++) {
      const slot = (this.head + k) % this.frames;
      this.linear.set(this.ring.subarray(slot * n, (slot + 1) * n), (k - from) * n);
    }
  }

  reset(): void {
    this.ring.fill(0);
    this.head = 0;
    this.filled = 0;
  }
}

/** The speaker's running pitch level: the median of the last `size` estimates (semitones). */
class SpeakerLevel {
  private readonly values: Float64Array;
  private count = 0;
  private readonly minCount: number;

  constructor(size: number, minCount: number) {
    this.values = new Float64Array(size);
    this.minCount = minCount;
  }

  add(semitoneValue: number): void {
    this.values[this.count++ % this.values.length] = semitoneValue;
  }

  /** Undefined until `minCount` estimates were added. */
  level(): number | undefined {
    const size = Math.min(this.count, this.values.length);
    return size < this.minCount ? undefined : median(Array.from(this.values.subarray(0, size)));
  }

  reset(): void {
    this.values.fill(0);
    this.count = 0;
  }
}

export function createPhraseEndTracker(options: Partial<ProsodyOptions> = {}): PhraseEndTracker {
  const o: ProsodyOptions = { ...DEFAULT_PROSODY, ...options };
  const n = o.frameSamples;
  // Enough frames for the window (with the silence before analysis) and one period of history.
  const historyFrames = Math.ceil(maxPitchLag(o.pitch) / n) + 1;
  const windowFrames = o.windowFrames + o.analyseAfterFrames;
  const ring = new FrameRing(windowFrames + historyFrames, n);
  const ringFrames = ring.frames;
  const scratch = new Float64Array(maxPitchLag(o.pitch) + 2);
  const speaker = new SpeakerLevel(o.referenceSize, o.minPitchedFrames);
  let silentFrames = 0;
  let voicedFrames = 0;

  /** One F0 estimate of the frame just pushed, for the speaker's level. */
  const sampleReference = (): void => {
    if (ring.filled < historyFrames + 1) return;
    ring.linearize(ringFrames - historyFrames - 1);
    const end = (historyFrames + 1) * n;
    if (frameEnergyDbfs(ring.linear, end - n, n) < o.minEnergyDbfs) return;
    const hz = estimatePitch(ring.linear, end, n, scratch, o.pitch);
    if (hz > 0) speaker.add(semitones(hz));
  };

  /** The end of the stretch, copied aside when the pause began (oldest frame first). */
  const snapshot = new Int16Array(ringFrames * n);
  let snapshotFilled = 0;
  let hasSnapshot = false;
  let cached: FinalPitch | undefined;

  const analyse = (): FinalPitch => {
    // The last voiced frames and the silent ones since: a statement's final syllable often
    // trails off below the VAD's threshold while still pitched, and that tail carries the fall.
    const track: number[] = [];
    const first = Math.max(
      historyFrames,
      ringFrames - snapshotFilled + historyFrames,
      ringFrames - windowFrames,
    );
    for (let k = first; k < ringFrames; k++) {
      if (frameEnergyDbfs(snapshot, k * n, n) < o.minEnergyDbfs) continue;
      const hz = estimatePitch(snapshot, (k + 1) * n, n, scratch, o.pitch);
      if (hz > 0) track.push(semitones(hz));
    }
    return classifyFinalPitch(track, speaker.level(), o);
  };

  return {
    push(pcm, voiced) {
      ring.push(pcm);
      if (voiced) {
        silentFrames = 0;
        hasSnapshot = false;
        cached = undefined;
        if (++voicedFrames % o.referenceEveryFrames === 0) sampleReference();
        return;
      }
      silentFrames++;
      if (voicedFrames === 0 || silentFrames !== o.analyseAfterFrames) return;
      ring.linearize(0);
      snapshot.set(ring.linear);
      snapshotFilled = ring.filled;
      hasSnapshot = true;
    },
    frameSlot() {
      return ring.slot();
    },
    finalPitch() {
      if (!hasSnapshot) return undefined;
      return (cached ??= analyse());
    },
    reset() {
      ring.reset();
      speaker.reset();
      silentFrames = 0;
      voicedFrames = 0;
      hasSnapshot = false;
      cached = undefined;
    },
  };
}
