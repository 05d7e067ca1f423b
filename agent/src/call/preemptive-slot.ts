// The preemptive LLM request of the utterance the caller is still speaking (llm/preemptive.ts
// decides when to start, restart or keep one). At most one per call; the answer handle of the
// utterance takes it over when the turn is confirmed (agent-speech.ts confirms or drops it).
import type { Config } from '../config/schema.ts';
import type { ChatMessage, Responder } from '../llm/types.ts';
import { PreemptiveGeneration, decidePreemptiveStart } from '../llm/preemptive.ts';
import type { Logger } from '../telemetry/logger.ts';
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
  /** TTS characters of this utterance's earlier guesses, cancelled unheard (restarts). */
  readonly wastedTtsChars: number;
}

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

export class PreemptiveSlot {
  private readonly deps: PreemptiveSlotDeps;
  private current: PreemptiveRequest | undefined;

  constructor(deps: PreemptiveSlotDeps) {
    this.deps = deps;
  }

  /** The transcript the request of this utterance was started on, if there is one. */
  candidateFor(utteranceId: number): string | undefined {
    return this.current?.utteranceId === utteranceId ? this.current.generation.candidate : undefined;
  }

  /** A partial (or the caller's pause) of the utterance being spoken: start or restart if it qualifies. */
  consider(partial: CallerPartial, callerSilent: boolean): void {
    const { config, logger } = this.deps;
    const { utteranceId, text, stability } = partial;
    const mine = this.current?.utteranceId === utteranceId ? this.current : undefined;
    const decision = decidePreemptiveStart(
      {
        text,
        stability,
        callerSilent,
        vadStop: partial.paused,
        agreed: partial.agreed,
        ...(mine ? { current: { candidate: mine.generation.candidate, starts: mine.starts } } : {}),
      },
      { minStability: config.sttEarlyFinalMinStability },
    );
    if (decision.action === 'none') {
      if (decision.reason === 'max_starts')
        preemptiveStartsTotal.inc({ action: 'none', reason: 'max_starts' });
      return;
    }
    const wasted = mine ? mine.wastedTtsChars + (mine.speech?.chars ?? 0) : 0;
    this.cancel();
    preemptiveStartsTotal.inc({ action: decision.action, reason: decision.reason });
    logger.debug(
      { utteranceId, action: decision.action, reason: decision.reason, chars: text.length, stability },
      'preemptive LLM request',
    );
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
    const starts = mine ? mine.starts + 1 : 1;
    const speech = this.speculate(generation);
    this.current = { utteranceId, generation, controller, starts, speech, wastedTtsChars: wasted };
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
    const mine = this.current?.utteranceId === utteranceId ? this.current : undefined;
    if (!mine) this.cancel();
    this.current = undefined;
    return mine;
  }

  cancel(): void {
    this.current?.speech?.cancel();
    this.current?.generation.cancel();
    this.current?.controller.abort();
    this.current = undefined;
  }
}
