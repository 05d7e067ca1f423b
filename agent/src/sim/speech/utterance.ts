// The words one emulated utterance reveals over time, shaped by the profile's behaviour. Pure:
// no timers, no I/O; randomness from the utterance's own seeded generator, so a call's results
// repeat whatever other calls do meanwhile. A script line may mark where the caller pauses
// mid-sentence with ' | ' (the pause set): each part is revealed as its audio is heard, and the
// line ends only after its last part.
import type { SpeechBehaviour } from './behaviour.ts';

export interface ShapedResult {
  readonly text: string;
  /** 0 = unset (the field is left out). */
  readonly stability: number;
}

/** Milliseconds of speech per revealed word (the tidy emulator's pace). */
export const MS_PER_WORD = 350;
const PUNCTUATION = /[.,?!;:…]+/gu;
const SENTENCE_END = /[.?!…]["'”’״׳)\]]*$/u;
const DECOYS = ['זה', 'את', 'כן', 'לא', 'אז', 'גם', 'של', 'עם', 'הוא', 'היא'];

/** A line with its pause markers removed (what the caller says). */
export function spokenLine(line: string): string {
  return line.includes('|') ? line.replace(/\s*\|\s*/g, ' ').trim() : line;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

export class ScriptedUtterance {
  readonly line: string;
  private readonly behaviour: SpeechBehaviour;
  private readonly apiVersion: 'v1' | 'v2';
  private readonly random: () => number;
  /** Words of each part, script punctuation kept. */
  private readonly parts: string[][];
  private readonly all: string[];
  private part = 0;
  private partStartMs: number;
  private lastTailWasGuess = false;
  /** The words of the last interim when its tail was a guess (the next one must revise it). */
  private lastGuess: string | undefined;
  /** Words already carried by a mid-utterance final. */
  private finalized = 0;
  /** Words of that final the next results repeat. */
  private repeated = 0;

  constructor(
    line: string,
    startMs: number,
    behaviour: SpeechBehaviour,
    apiVersion: 'v1' | 'v2',
    random: () => number,
  ) {
    this.line = line;
    this.behaviour = behaviour;
    this.apiVersion = apiVersion;
    this.random = random;
    this.parts = line.split(/\s*\|\s*/).map(words);
    this.all = this.parts.flat();
    this.partStartMs = startMs;
  }

  get hasMoreParts(): boolean {
    return this.part < this.parts.length - 1;
  }

  /** The caller resumed after a mid-sentence pause: the next part is being spoken. */
  nextPart(atMs: number): void {
    if (!this.hasMoreParts) return;
    this.part++;
    this.partStartMs = atMs;
  }

  private wordsThrough(part: number): number {
    let n = 0;
    for (let i = 0; i <= part; i++) n += this.parts[i]!.length;
    return n;
  }

  /**
   * Words the recognizer has heard in audio up to `audioMs`: the paced words of the parts so far,
   * but the current part's last word only once its speech had ended by then (`partEnded`), so
   * an interim never shows a word the caller has not finished saying, however fast the pace.
   */
  private heard(audioMs: number, partEnded: boolean): number {
    const before = this.part === 0 ? 0 : this.wordsThrough(this.part - 1);
    const through = this.wordsThrough(this.part);
    if (partEnded) return through;
    const inPart = Math.ceil(Math.max(0, audioMs - this.partStartMs) / MS_PER_WORD);
    return Math.max(0, Math.min(through - 1, before + Math.max(1, inPart)));
  }

  /**
   * The last interim's tail was a guess (a word misheard or one too many): the next interim
   * revises it, so the stream sends one even when every word was shown.
   */
  get tailIsGuess(): boolean {
    return this.lastTailWasGuess;
  }

  /** Whether an interim at `audioMs` shows every word of the parts spoken so far. */
  heardAll(audioMs: number, partEnded: boolean): boolean {
    return this.heard(audioMs, partEnded) >= this.wordsThrough(this.part);
  }

  /**
   * The results of one interim response covering the audio up to `audioMs` (the recognizer's
   * position: the audio received minus its lag); `partEnded`: the caller's current part (or the
   * whole line) had ended by then.
   */
  interim(audioMs: number, partEnded: boolean): ShapedResult[] {
    const n = this.heard(audioMs, partEnded);
    const b = this.behaviour;
    this.lastTailWasGuess = false;
    if (
      b.resultsPerInterimResponse === 'single' &&
      b.interimPunctuation === 'asScript' &&
      this.finalized === 0
    ) {
      // The tidy shape, exactly as before behaviours existed.
      if (n === 0) return [];
      const stability = Math.min(0.9, 0.2 + (0.7 * n) / Math.max(1, this.all.length));
      return [{ text: this.all.slice(0, n).join(' '), stability }];
    }
    let shown = this.all.slice(Math.max(0, this.finalized - this.repeated), n);
    if (b.interimPunctuation === 'none')
      shown = shown.map((w) => w.replace(PUNCTUATION, '')).filter((w) => w !== '');
    if (shown.length === 0) return [];
    const previousGuess = this.lastGuess;
    this.lastGuess = undefined;
    this.lastTailWasGuess = b.tailRevisionProbability > 0 && this.random() < b.tailRevisionProbability;
    if (this.lastTailWasGuess) {
      // A guess the next interim revises: the last word misheard, or a word too many.
      const last = shown[shown.length - 1]!;
      const decoys = DECOYS.filter((d) => d !== last);
      const pick = Math.floor(this.random() * decoys.length);
      const replace = this.random() < 0.5;
      const guessWith = (decoy: string): string[] =>
        replace ? [...shown.slice(0, -1), decoy] : [...shown, decoy];
      let guess = guessWith(decoys[pick]!);
      // The profile's tailRevision: the interim after a guess replaces its last word with a
      // different word or drops it. A second guess that happens to repeat the first word for
      // word would leave the decoy standing: it takes the next decoy instead (no extra draw, so
      // every other result of the seed is unchanged).
      if (guess.join(' ') === previousGuess) guess = guessWith(decoys[(pick + 1) % decoys.length]!);
      shown = guess;
      this.lastGuess = shown.join(' ');
    }
    const pair = this.apiVersion === 'v1' ? b.stabilityV1 : b.stabilityV2;
    const head = pair === 'unset' ? 0 : pair.stableHead;
    const tail = pair === 'unset' ? 0 : pair.unstableTail;
    if (b.resultsPerInterimResponse === 'single') return [{ text: shown.join(' '), stability: head }];
    const { min, max } = b.unstableTailWords;
    const tailWords = min + Math.floor(this.random() * (max - min + 1));
    if (shown.length <= tailWords) return [{ text: shown.join(' '), stability: tail }];
    // As in Google's documented example, the tail result starts with its separating space.
    return [
      { text: shown.slice(0, -tailWords).join(' '), stability: head },
      { text: ` ${shown.slice(-tailWords).join(' ')}`, stability: tail },
    ];
  }

  /**
   * A final inside a mid-utterance pause: the words of the parts spoken so far not yet finalized,
   * punctuated as a sentence when the profile says so. Undefined when there is nothing new.
   */
  midFinal(): string | undefined {
    const through = this.wordsThrough(this.part);
    if (through <= this.finalized) return undefined;
    const text = this.punctuateFinal(this.all.slice(Math.max(0, this.finalized - this.repeated), through));
    const p = this.behaviour.repeatPreviousFinalWordsProbability;
    this.repeated = p > 0 && this.random() < p ? Math.min(through, 1 + Math.floor(this.random() * 2)) : 0;
    this.finalized = through;
    return text;
  }

  /** The final at the end of the utterance: the whole line, or what no mid-utterance final carried. */
  endFinal(): string {
    if (this.finalized === 0 && this.behaviour.finalPunctuation === 'asScript') return spokenLine(this.line);
    return this.punctuateFinal(this.all.slice(Math.max(0, this.finalized - this.repeated)));
  }

  private punctuateFinal(ws: readonly string[]): string {
    const text = ws.join(' ');
    if (this.behaviour.finalPunctuation !== 'sentence' || text === '' || SENTENCE_END.test(text)) return text;
    return `${text.replace(/[,;:]+$/u, '')}.`;
  }
}

/** A 32-bit seed from the emulator seed, the call id and the utterance's start (reproducible per call). */
export function utteranceSeed(seed: number, callId: string, startMs: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < callId.length; i++) h = Math.imul(h ^ callId.charCodeAt(i), 0x01000193) >>> 0;
  return (Math.imul(h ^ Math.round(startMs), 0x85ebca6b) ^ (h >>> 13)) >>> 0;
}
