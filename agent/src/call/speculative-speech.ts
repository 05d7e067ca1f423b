// Speculative speech: the first sentences of a preemptive answer synthesised while the turn is
// not decided yet (issue 9: on Google-shaped transcripts the turn is often decided after the
// guess's first sentence exists). Nothing is played from here: when the turn is confirmed on the
// same transcript (a preemptive hit), the answer's speech pipeline adopts the audio of each
// sentence it would have synthesised itself (same index, same speakable text); on a miss, a
// restart or a withdrawn turn the syntheses are cancelled unheard and their characters counted
// as the turn's cost (TTS bills what was requested).
import type { PreemptiveGeneration } from '../llm/preemptive.ts';
import { SpeculativeSynthesis } from '../tts/speculative.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { SentenceSplitter } from './components.ts';
import type { PreemptiveRequest } from './preemptive-slot.ts';
import { speakableSentence, type SpeechPipelineOptions } from './speech-pipeline.ts';
import type { TurnRecord } from './turn-record.ts';

export interface SpeculativeSpeechOptions {
  readonly synthesizer: Synthesizer;
  readonly splitter: SentenceSplitter;
  readonly callId: string;
  /** Sentences synthesised ahead (the pipeline's lookahead is the natural bound). */
  readonly maxSentences: number;
  readonly now: () => number;
}

export class SpeculativeSpeech {
  private readonly options: SpeculativeSpeechOptions;
  private readonly sentences: SpeculativeSynthesis[] = [];
  private stopWatching: (() => void) | undefined;
  private stopped = false;

  constructor(generation: PreemptiveGeneration, options: SpeculativeSpeechOptions) {
    this.options = options;
    const unwatch = generation.watch((event) => {
      if (this.stopped) return;
      const { splitter } = this.options;
      if (event.type === 'delta') this.add(splitter.push(event.text));
      else if (event.ok) this.add(splitter.flush());
    });
    // The deltas so far may already have filled every sentence (stopped during watch()).
    if (this.stopped) unwatch();
    else this.stopWatching = unwatch;
  }

  private add(sentences: readonly string[]): void {
    const { synthesizer, callId, maxSentences, now } = this.options;
    for (const sentence of sentences) {
      if (this.sentences.length >= maxSentences) return this.stop();
      const spoken = speakableSentence(sentence, synthesizer);
      if (spoken === undefined) continue;
      const request = {
        callId,
        text: spoken.text,
        ...(spoken.ssml !== undefined ? { ssml: spoken.ssml } : {}),
      };
      this.sentences.push(new SpeculativeSynthesis(synthesizer, request, now));
    }
    if (this.sentences.length >= maxSentences) this.stop();
  }

  /** No more sentences from here on (the answer's pipeline synthesises the rest itself). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopWatching?.();
  }

  /** Characters requested from TTS so far (adopted or not). */
  get chars(): number {
    return this.sentences.reduce((n, s) => n + s.text.length, 0);
  }

  /** The synthesis of sentence `index` if it says exactly `text` and was not adopted yet. */
  adoptable(index: number, text: string): SpeculativeSynthesis | undefined {
    const s = this.sentences[index];
    return s !== undefined && s.adoptable && s.text === text ? s : undefined;
  }

  /** No more sentences; every synthesis not adopted is cancelled (adopted ones play on). */
  cancel(): void {
    this.stop();
    for (const s of this.sentences) s.cancel();
  }
}

/**
 * The answer takes its utterance's guess over: the guess's speech makes no new sentences from
 * now on (the answer's pipeline makes the rest), and every TTS character it and the utterance's
 * earlier guesses cost is billed to this turn.
 */
export function takeOverSpeculative(
  pre: PreemptiveRequest | undefined,
  record: TurnRecord,
): SpeculativeSpeech | undefined {
  if (!pre) return undefined;
  pre.speech?.stop();
  const chars = pre.wastedTtsChars + (pre.speech?.chars ?? 0);
  if (chars > 0) record.ttsChars = (record.ttsChars ?? 0) + chars;
  return pre.speech;
}

/**
 * The answer pipeline's synthesis hooks: each sentence adopts the kept guess's audio when it has
 * it (`kept()`: only on a hit), else a new request is billed; the record gets the first
 * sentence's request and first-audio times, speculative ones included.
 */
export function answerSynthesisHooks(
  r: TurnRecord,
  now: () => number,
  signal: AbortSignal,
  kept: () => SpeculativeSpeech | undefined,
): Pick<SpeechPipelineOptions, 'prefetched' | 'onSynthesisStart' | 'onFirstAudio'> {
  const adopted: SpeculativeSynthesis[] = [];
  return {
    prefetched: (i, text) => {
      const early = kept()?.adoptable(i, text);
      if (early) adopted[i] = early;
      return early?.adopt(signal);
    },
    onSynthesisStart: (i, text, prefetched) => {
      const early = prefetched ? adopted[i] : undefined;
      if (i === 0) {
        r.ttsRequestMs ??= early?.requestedAtMs ?? now();
        if (early?.firstAudioAtMs !== undefined) r.ttsFirstAudioMs ??= early.firstAudioAtMs;
      }
      // Speculative characters were billed when the guess was taken over.
      if (!prefetched) r.ttsChars = (r.ttsChars ?? 0) + text.length;
    },
    onFirstAudio: (i) => {
      if (i === 0) r.ttsFirstAudioMs ??= now();
    },
  };
}
