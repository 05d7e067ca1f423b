// The preemptive LLM request of the utterance the caller is still speaking (llm/preemptive.ts
// decides when to start, restart or keep one). The answer handle of the utterance takes it over
// when the turn is confirmed (agent-speech.ts confirms or drops it). One guess runs at a time: a
// new one stops the one before it, and its synthesised characters are billed to the turn.
import type { Config } from '../config/schema.ts';
import { abortQuietly } from '../llm/abort.ts';
import type { ChatMessage, Responder } from '../llm/types.ts';
import { PreemptiveGeneration, decidePreemptiveStart, type PreemptiveTrigger } from '../llm/preemptive.ts';
import type { Logger } from '../telemetry/logger.ts';
import { transcriptWords } from '../text/compare.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { SentenceSplitter } from './components.ts';
import { preemptiveStarts as preemptiveStartsTotal } from './metrics.ts';
import { SpeculativeSpeech } from './speculative-speech.ts';
import type { CallerPartial } from './user-turns.ts';

export interface PreemptiveRequest {
  readonly utteranceId: number;
  readonly generation: PreemptiveGeneration;
  readonly controller: AbortController;
  /** Requests started for this utterance (first start plus restarts). */
  readonly starts: number;
  /** Its first sentences synthesised ahead (TTS_PREEMPTIVE_SENTENCES > 0). */
  readonly speech: SpeculativeSpeech | undefined;
  /** TTS characters of this utterance's other guesses, cancelled unheard (restarts, abandoned guesses). */
  readonly wastedTtsChars: number;
  /** Why each guess of the utterance began, in order: the turn record's cost by cause. */
  readonly trail: readonly PreemptiveCause[];
}

/**
 * What made a guess begin: `pause` the caller stopped (the latest transcript), `agreed` two
 * responses agreed on a new text, `sentence` a stable partial ends a sentence, `silent` a partial
 * while the caller is silent and no guess ran.
 */
export type PreemptiveCause = 'pause' | 'agreed' | 'sentence' | 'silent';

/** What speculative synthesis of a guess needs (call/speculative-speech.ts). */
export interface SpeculativeSpeechDeps {
  readonly synthesizer: Synthesizer;
  readonly createSplitter: () => SentenceSplitter;
}

export interface PreemptiveSlotDeps {
  readonly config: Config;
  readonly responder: Responder;
  readonly callId: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** The request's messages: the history so far plus the candidate as the caller's message. */
  readonly messagesWithUser: (text: string) => ChatMessage[];
  /** Synthesis of a guess's first sentences before the turn is decided (off without it). */
  readonly speculative?: SpeculativeSpeechDeps;
}

/** One running guess. */
interface Guess {
  readonly generation: PreemptiveGeneration;
  readonly controller: AbortController;
  readonly speech: SpeculativeSpeech | undefined;
}

/** The utterance's guesses so far: the current one, and what the others cost. */
interface Tally {
  readonly utteranceId: number;
  current: Guess;
  /** The caller went on past the current guess: abandoned, kept only to bill it. */
  stale: boolean;
  starts: number;
  wastedTtsChars: number;
  readonly trail: PreemptiveCause[];
}

export class PreemptiveSlot {
  private readonly deps: PreemptiveSlotDeps;
  private tally: Tally | undefined;
  /** The endpointer's last pause report and its words, until the caller is heard going on. */
  private pause: { readonly utteranceId: number; readonly words: number; readonly atMs: number } | undefined;

  constructor(deps: PreemptiveSlotDeps) {
    this.deps = deps;
  }

  /** The transcript the request of this utterance was started on, if there is one. */
  candidateFor(utteranceId: number): string | undefined {
    const t = this.tally;
    return t?.utteranceId === utteranceId && !t.stale ? t.current.generation.candidate : undefined;
  }

  /** A partial (or the caller's pause) of the utterance being spoken: start or restart if it qualifies. */
  consider(partial: CallerPartial, callerSilent: boolean): void {
    const { config, logger } = this.deps;
    const { utteranceId, text, stability } = partial;
    const mine = this.tally?.utteranceId === utteranceId ? this.tally : undefined;
    const words = wordCount(text);
    if (partial.paused) this.pause = { utteranceId, words, atMs: partial.atMs };
    else if (!callerSilent && this.heardGoingOn(partial, words)) {
      // Heard going on with more words than the pause had: a mid-sentence pause, not the end.
      this.pause = undefined;
      if (mine) this.abandon(mine);
    }
    const candidate = mine ? (mine.stale ? '' : mine.current.generation.candidate) : undefined;
    const decision = decidePreemptiveStart(
      {
        text,
        stability,
        callerSilent,
        vadStop: partial.paused,
        agreed: partial.agreed,
        pauseReported: this.pause?.utteranceId === utteranceId,
        ...(mine ? { current: { candidate: candidate ?? '', starts: mine.starts } } : {}),
      },
      { minStability: config.sttEarlyFinalMinStability },
    );
    if (decision.action === 'none') {
      if (decision.reason === 'max_starts')
        preemptiveStartsTotal.inc({ action: 'none', reason: 'max_starts' });
      return;
    }
    preemptiveStartsTotal.inc({ action: decision.action, reason: decision.reason });
    logger.debug(
      { utteranceId, action: decision.action, reason: decision.reason, chars: text.length, stability },
      'preemptive LLM request',
    );
    if (!mine) this.cancel();
    const guess = this.startGuess(text);
    const cause = causeOf(decision, partial);
    if (!mine) {
      this.tally = {
        utteranceId,
        current: guess,
        stale: false,
        starts: 1,
        wastedTtsChars: 0,
        trail: [cause],
      };
      return;
    }
    const chars = stopGuess(mine.current);
    // An abandoned guess's characters were billed when it was abandoned.
    if (!mine.stale) mine.wastedTtsChars += chars;
    mine.current = guess;
    mine.stale = false;
    mine.starts++;
    mine.trail.push(cause);
  }

  /**
   * A partial heard while the VAD says speech shows more words than the pause report: the caller
   * went on. Only once the VAD's hangover of the speech before the report has surely run out (the
   * report may come LLM_PREEMPTIVE_AGREED_SILENCE_MS after the last voiced frame, the hangover is
   * VAD_HANGOVER_MS): inside it the "speech" is the old one, and a word more a revised tail.
   */
  private heardGoingOn(partial: CallerPartial, words: number): boolean {
    const { config } = this.deps;
    const pause = this.pause;
    if (pause?.utteranceId !== partial.utteranceId || words <= pause.words) return false;
    const hangoverLeftMs =
      config.vadHangoverMs - Math.min(config.llmPreemptiveAgreedSilenceMs, config.llmPreemptiveSilenceMs);
    return partial.atMs - pause.atMs > hangoverLeftMs;
  }

  /**
   * The caller is heard going on past the guess: its request and synthesis stop now (the
   * tokens and characters of a guess that can no longer be kept); the next qualifying partial
   * starts a new one.
   */
  private abandon(mine: Tally): void {
    if (mine.stale) return;
    mine.current.speech?.cancel();
    mine.wastedTtsChars += mine.current.speech?.chars ?? 0;
    mine.current.generation.abandon();
    mine.stale = true;
    this.deps.logger.debug(
      { utteranceId: mine.utteranceId },
      'preemptive LLM request abandoned: the caller went on',
    );
  }

  private startGuess(text: string): Guess {
    const controller = new AbortController();
    const generation = new PreemptiveGeneration(
      this.deps.responder,
      {
        callId: this.deps.callId,
        candidate: text,
        messages: this.deps.messagesWithUser(text),
        signal: controller.signal,
      },
      this.deps.now,
    );
    return { generation, controller, speech: this.speculate(generation) };
  }

  private speculate(generation: PreemptiveGeneration): SpeculativeSpeech | undefined {
    const { config, speculative, callId, now } = this.deps;
    if (!speculative || config.ttsPreemptiveSentences === 0) return undefined;
    return new SpeculativeSpeech(generation, {
      synthesizer: speculative.synthesizer,
      splitter: speculative.createSplitter(),
      callId,
      maxSentences: config.ttsPreemptiveSentences,
      now,
    });
  }

  /** Hands the utterance's request to its answer; a request for any other utterance is cancelled. */
  take(utteranceId: number): PreemptiveRequest | undefined {
    const mine = this.tally?.utteranceId === utteranceId ? this.tally : undefined;
    if (!mine) {
      this.cancel();
      return undefined;
    }
    this.tally = undefined;
    const { generation, controller } = mine.current;
    // An abandoned guess's speech chars are already in wastedTtsChars; it answers afresh (a miss).
    const speech = mine.stale ? undefined : mine.current.speech;
    const { starts, wastedTtsChars, trail } = mine;
    return { utteranceId, generation, controller, speech, starts, wastedTtsChars, trail };
  }

  cancel(): void {
    const t = this.tally;
    this.tally = undefined;
    if (!t) return;
    stopGuess(t.current);
  }
}

/** Cancels a guess unheard; returns the TTS characters it had requested (billed all the same). */
function stopGuess(guess: Guess): number {
  guess.speech?.cancel();
  guess.generation.cancel();
  abortQuietly(guess.controller);
  return guess.speech?.chars ?? 0;
}

function wordCount(text: string): number {
  return transcriptWords(text).length;
}

function causeOf(decision: PreemptiveTrigger, partial: CallerPartial): PreemptiveCause {
  if (partial.paused) return 'pause';
  if (partial.agreed) return 'agreed';
  return decision.reason === 'sentence_end' ? 'sentence' : 'silent';
}
