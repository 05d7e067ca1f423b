// The agent's side of a call: one SpeechHandle per thing the agent says (the greeting, an answer
// with its apology, a filler, a goodbye, a re-prompt). A handle owns its AbortController, the
// preemptive request it took over, LLM -> splitter -> speakable text -> TTS -> playback, and its
// TurnRecord; it offers interrupt() and a `settled` promise, resolved once what the caller heard
// of it is known and reported (onSettled). Modelled on LiveKit agents-js SpeechHandle.
import type { Config } from '../config/schema.ts';
import { abortQuietly } from '../llm/abort.ts';
import { ResponderError } from '../llm/errors.ts';
import type { ChatMessage, Responder } from '../llm/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { TurnEnd } from '../turn/types.ts';
import type { OwnedTimers } from './clock.ts';
import type { TurnComponents } from './components.ts';
import { apologiesTotal } from './metrics.ts';
import {
  createPlayback,
  heardText,
  playbackGapMs,
  type Playback,
  type PlaybackSegment,
  type SegmentKind,
} from './playback.ts';
import type { PreemptiveRequest } from './preemptive-slot.ts';
import { answerSynthesisHooks, takeOverSpeculative } from './speculative-speech.ts';
import type { CallScope } from './scope.ts';
import { createSpeechPipeline, type SpeechPipeline } from './speech-pipeline.ts';
import type { TurnOutcome, TurnRecord } from './turn-record.ts';
import { AnswerTools, type CallTools } from '../tools/call-tools.ts';
import type { MediaSink } from './types.ts';

/** How long an interrupted handle waits for the cleared/played echoes of its audio. */
export const MARK_SETTLE_TIMEOUT_MS = 1500;

/** Fixed phrases (greeting, apology, goodbye, re-prompts) synthesised once per process. */
export interface PhraseSource {
  /** Raw mu-law 8 kHz audio of the text (cached after the first call). */
  get(text: string): Promise<Buffer>;
}

export type SpeechKind = Exclude<SegmentKind, 'apology'>;

/** Why an answer ended in the apology (hva_apologies_total{cause}). */
export type ApologyCause = 'llm_error' | 'llm_timeout' | 'llm_empty' | 'tts_error';

export interface AgentSpeechDeps {
  readonly config: Config;
  readonly responder: Responder;
  readonly synthesizer: Synthesizer;
  readonly phrases: PhraseSource;
  readonly components: Pick<TurnComponents, 'createSplitter'>;
  readonly playback: Playback;
  readonly timers: OwnedTimers;
  readonly now: () => number;
  readonly callId: string;
  readonly logger: Logger;
  /** The call's tools (none: text answers only). */
  readonly tools?: CallTools;
  /** The conversation so far (an answer's fresh request is made from it). */
  readonly messages: () => ChatMessage[];
  /** The call ended: nothing more is spoken. */
  readonly closed: () => boolean;
  /** Once per handle, when what was heard of it is known (the session commits it to history). */
  readonly onSettled: (handle: SpeechHandle, heard: string) => void;
}

export class SpeechHandle {
  readonly id: number;
  readonly kind: SpeechKind;
  /** The caller text an answer responds to ('' for the other kinds). */
  readonly userText: string;
  readonly record: TurnRecord | undefined;
  /** What the agent said or meant to say (the LLM's whole text for an answer). */
  fullText = '';
  /** What this answer's tools did: timings, the action to perform once heard, the exchange. */
  toolState: AnswerTools | undefined;
  /** Set when the handle did not end normally (interrupted, superseded, apology, ended). */
  outcome: TurnOutcome | undefined;
  finalized = false;
  /** Resolves once the handle is finalized: its heard text committed, its record reported. */
  readonly settled: Promise<void>;
  private readonly ac = new AbortController();
  private readonly deps: AgentSpeechDeps;
  private finalizeRun: Promise<void> | undefined;
  private resolveSettled!: () => void;
  private pre: PreemptiveRequest | undefined;

  constructor(
    deps: AgentSpeechDeps,
    init: { id: number; kind: SpeechKind; userText?: string; record?: TurnRecord; pre?: PreemptiveRequest },
  ) {
    this.deps = deps;
    this.id = init.id;
    this.kind = init.kind;
    this.userText = init.userText ?? '';
    this.record = init.record;
    this.pre = init.pre;
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }
  /** Finalization has begun (e.g. an interrupted handle waiting for its mark echoes). */
  get finalizing(): boolean {
    return this.finalizeRun !== undefined;
  }
  /** Some of its audio was handed to playback (false: the caller has heard nothing of it yet). */
  get hasAudio(): boolean {
    return this.deps.playback.segmentsOf(this.id).some((s) => s.bytes > 0);
  }

  /** The caller barged in: stop now, then settle on the mark echoes (bounded). */
  interrupt(): Promise<void> {
    if (this.record) this.record.interruptedMs = this.deps.now();
    this.outcome = 'interrupted';
    abortQuietly(this.ac);
    return this.finalize('interrupted', MARK_SETTLE_TIMEOUT_MS);
  }
  /** Stops producing (no settle): the caller kept talking before any of it was heard. */
  supersede(): void {
    this.outcome = 'superseded';
    abortQuietly(this.ac);
  }
  /**
   * Withdraws the answer before any of it was heard (the caller went on speaking): stops it and
   * finalizes at once with nothing heard (turn/take-back.ts).
   */
  takeBack(): Promise<void> {
    this.outcome = 'takenBack';
    return this.finalize('takenBack', 0);
  }
  /** Stops producing without finalizing (call end). */
  stop(): void {
    abortQuietly(this.ac);
  }
  /** Finalizes now with what was heard so far (outcome: its own, else `fallback`). */
  close(fallback: TurnOutcome): Promise<void> {
    this.outcome ??= fallback;
    return this.finalize(this.outcome, 0);
  }

  /** Plays a cached phrase as this handle, then finalizes once its marks echoed. */
  async speakPhrase(text: string): Promise<void> {
    await this.playPhrase(this.kind, text);
    await this.deps.playback.settled(this.id);
    if (!this.finalized) await this.finalize('answered', 0);
  }

  /**
   * Answers: LLM (or the preemptive request it took over) -> splitter -> TTS -> playback, the
   * apology on failure, then finalizes once the caller heard it. `before` runs first unless the
   * handle was stopped meanwhile. Resolves true when the answer ran to its own end.
   */
  async speakAnswer(before: () => void): Promise<boolean> {
    if (this.signal.aborted || this.deps.closed()) {
      this.pre?.speech?.cancel();
      this.pre?.generation.cancel();
      // Superseded before it began: the caller still said it, and the next answer's message
      // merges with it (otherwise two turns ended back to back would lose the first).
      if (this.outcome === 'superseded' && !this.deps.closed()) before();
      return false;
    }
    before();
    const failure = await this.produce();
    if (this.signal.aborted || this.deps.closed()) return false;
    if (failure !== undefined) {
      apologiesTotal.inc({ cause: failure });
      this.outcome = 'apology';
      await this.playPhrase('apology', this.deps.config.apologyText);
    }
    await this.deps.playback.settled(this.id);
    if (this.finalized) return false;
    await this.finalize(this.outcome ?? 'answered', 0);
    return true;
  }

  private async produce(): Promise<ApologyCause | undefined> {
    const { config, synthesizer, callId, now, timers, logger: log } = this.deps;
    const r = this.record as TurnRecord;
    const signal = this.signal;
    const llmAc = new AbortController();
    const abortLlm = (): void => abortQuietly(llmAc);
    signal.addEventListener('abort', abortLlm, { once: true });
    let timedOut = false;
    const firstTokenTimer = timers.set(() => {
      timedOut = true;
      abortQuietly(llmAc);
    }, config.llmFirstTokenTimeoutMs);
    let failure: ApologyCause | undefined;
    const kept = takeOverSpeculative(this.pre, r);
    const pipeline = createSpeechPipeline({
      synthesizer,
      callId,
      signal,
      lookahead: 2,
      retry: {
        policy: { attempts: config.ttsRetryAttempts, backoffMs: config.ttsRetryBackoffMs },
        delay: (ms, abort) => abortableDelay(timers, ms, abort),
      },
      begin: (text) => this.deps.playback.begin('answer', this.id, text),
      // A kept guess's sentences synthesised before the turn was decided are adopted, not redone.
      ...answerSynthesisHooks(r, now, signal, () => (r.preemptive === 'hit' ? kept : undefined)),
      onError: () => {
        failure ??= 'tts_error';
        abortQuietly(llmAc);
      },
    });
    const splitter = this.deps.components.createSplitter();
    const push = (sentences: string[]): void => {
      for (const sentence of sentences) {
        r.firstSentenceMs ??= now();
        pipeline.push(sentence);
      }
    };
    const stream = this.openResponse(llmAc);
    if (r.preemptive !== 'hit') kept?.cancel();
    try {
      for await (const delta of stream) {
        if (llmAc.signal.aborted) break;
        if (r.llmFirstTokenMs === undefined) {
          r.llmFirstTokenMs = now();
          // A kept guess's first token may have come well before the turn was decided.
          const arrived = r.preemptive === 'hit' ? this.pre?.generation.firstDeltaAtMs : undefined;
          r.llmFirstTokenArrivedMs = arrived ?? r.llmFirstTokenMs;
          timers.clear(firstTokenTimer);
        }
        // With tools (tools/loop.ts), the stream already holds the filler and the honest
        // sentence as text, and an empty delta when the model answered with tool calls.
        this.fullText += delta;
        push(splitter.push(delta));
      }
      if (timedOut && r.llmFirstTokenMs === undefined) failure ??= 'llm_timeout';
      else if (!llmAc.signal.aborted) push(splitter.flush());
    } catch (err) {
      if (!signal.aborted && failure === undefined) {
        failure =
          timedOut || (err instanceof ResponderError && err.kind === 'timeout') ? 'llm_timeout' : 'llm_error';
        log.warn({ err, turnId: this.id }, 'responder failed');
      }
    } finally {
      r.llmEndMs = now();
      timers.clear(firstTokenTimer);
      signal.removeEventListener('abort', abortLlm);
    }
    return this.finishAnswer(pipeline, failure, kept);
  }

  /** The answer's last sentences spoken (or failed), its record completed; the cause of an apology, if one is due. */
  private async finishAnswer(
    pipeline: SpeechPipeline,
    failure: ApologyCause | undefined,
    kept: { cancel(): void } | undefined,
  ): Promise<ApologyCause | undefined> {
    const { logger: log } = this.deps;
    const r = this.record as TurnRecord;
    const signal = this.signal;
    try {
      await pipeline.finish();
    } catch (err) {
      if (!signal.aborted) {
        failure ??= 'tts_error';
        log.warn({ err, turnId: this.id }, 'speech synthesis failed mid-answer');
      }
    }
    // The model ended with nothing the caller can hear (only whitespace or markup, a stream that
    // ended without text): dead air otherwise. A tool action (end_call, transfer) speaks for itself.
    if (failure === undefined && !signal.aborted && pipeline.sentences === 0 && !this.toolState?.action) {
      failure = 'llm_empty';
      log.warn({ turnId: this.id, chars: this.fullText.length }, 'answer had nothing to say: apologising');
    }
    // Sentences synthesised ahead that the answer did not say (cut short, or said otherwise).
    kept?.cancel();
    r.sentences = pipeline.sentences;
    r.answerChars = this.fullText.length;
    if (this.toolState && this.toolState.timings.length > 0) r.tools = [...this.toolState.timings];
    return failure;
  }

  /** The preemptive request confirmed (hit) or replaced (miss), else a fresh request. */
  private openResponse(llmAc: AbortController): AsyncIterable<string> {
    const { responder, callId, now } = this.deps;
    const r = this.record as TurnRecord;
    const pre = this.pre;
    r.llmRequests = pre ? (r.preemptiveStarts ?? 1) : 0;
    const tools = this.deps.tools;
    const fresh = (): AsyncIterable<string> => {
      r.llmRequestMs = now();
      r.llmRequests = (r.llmRequests ?? 0) + 1;
      const request = { callId, messages: this.deps.messages(), signal: llmAc.signal };
      if (tools === undefined) return responder.respond(request);
      this.toolState = new AnswerTools();
      this.toolState.fillerDeadlineMs = r.speechEndMs + this.deps.config.toolFillerAfterMs;
      return tools.respond(request, this.toolState);
    };
    if (!pre) return fresh();
    const startedAt = now();
    llmAc.signal.addEventListener('abort', () => abortQuietly(pre.controller), { once: true });
    const outcome = pre.generation.confirm(this.userText, fresh);
    // A kept guess may now run the tools it asked for (tools/call-tools.ts).
    if (outcome.result === 'hit' && tools !== undefined) {
      this.toolState = tools.takePreemptive();
      if (this.toolState)
        this.toolState.fillerDeadlineMs = r.speechEndMs + this.deps.config.toolFillerAfterMs;
    }
    r.preemptive = outcome.result;
    if (outcome.result === 'hit') r.llmRequestMs = startedAt - outcome.savedMs;
    return outcome.stream;
  }

  private async playPhrase(kind: SegmentKind, text: string): Promise<void> {
    if (text.trim() === '') return;
    let audio: Buffer;
    try {
      audio = await this.deps.phrases.get(text);
    } catch (err) {
      this.deps.logger.error({ err, kind }, 'cached phrase unavailable');
      return;
    }
    if (this.signal.aborted || this.deps.closed()) return;
    const writer = this.deps.playback.begin(kind, this.id, text);
    writer.write(audio);
    writer.end();
  }

  /** Records what was heard (after the marks settle, bounded) and reports the handle once. */
  private finalize(outcome: TurnOutcome, settleTimeoutMs: number): Promise<void> {
    if (this.finalizeRun) return this.finalizeRun;
    abortQuietly(this.ac);
    const settle = async (): Promise<void> => {
      if (settleTimeoutMs > 0 && !this.deps.closed()) {
        const wait = this.deps.timers.delay(settleTimeoutMs);
        await Promise.race([this.deps.playback.settled(this.id), wait.promise]);
        this.deps.timers.clear(wait.handle);
      }
      this.finalized = true;
      const segments = this.deps.playback.segmentsOf(this.id);
      const heard = heardText(segments);
      const r = this.record;
      if (r) {
        r.outcome = outcome;
        r.heardChars = heard.chars;
        r.sentencesPlayed = heard.sentences;
        r.playbackGapMs = playbackGapMs(segments);
      }
      this.deps.onSettled(this, heard.text);
      this.resolveSettled();
    };
    this.finalizeRun = settle();
    return this.finalizeRun;
  }
}

/** A wait on the call's timers that ends early (and releases its timer) when `signal` fires. */
function abortableDelay(timers: OwnedTimers, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  const wait = timers.delay(ms);
  return new Promise<void>((resolve) => {
    const done = (): void => {
      timers.clear(wait.handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void wait.promise.then(done);
  });
}

/** A new answer's record: the caller's turn as the endpointer decided it. */
export function answerRecord(turnId: number, turn: TurnEnd): TurnRecord {
  return {
    turnId,
    utteranceId: turn.utteranceId,
    rule: turn.rule,
    transcript: turn.transcript,
    speechStartMs: turn.speechStartMs,
    speechEndMs: turn.speechEndMs ?? turn.endedAtMs,
    speechEndFromVad: turn.speechEndMs !== undefined,
    firstPartialMs: turn.firstPartialMs,
    finalMs: turn.endedAtMs,
    ...(turn.resumptions ? { resumptions: turn.resumptions } : {}),
    answerChars: 0,
    heardChars: 0,
    sentences: 0,
    sentencesPlayed: 0,
  };
}

/** The call's playback, with the handles it plays for (recent ones, by id) and their records. */
export interface SpeechRegistry {
  readonly playback: Playback;
  track(handle: SpeechHandle): SpeechHandle;
  recordsOf(utteranceId: number): TurnRecord[];
}

export function createSpeechRegistry(
  sink: MediaSink,
  scope: Pick<CallScope, 'observer' | 'clock'>,
): SpeechRegistry {
  const handles = new Map<number, SpeechHandle>();
  const observe = ({ id: segmentId, turnId, kind, text, state }: PlaybackSegment): void =>
    scope.observer?.segment?.({ segmentId, turnId, kind, text, state, atMs: scope.clock.now() });
  const playback = createPlayback(sink, {
    onFirstAudio(segment) {
      observe(segment);
      const r = handles.get(segment.turnId)?.record;
      if (r && r.firstFrameSentMs === undefined && segment.firstSentAtMs !== undefined)
        r.firstFrameSentMs = segment.firstSentAtMs;
    },
    onResolved(segment) {
      observe(segment);
      const r = handles.get(segment.turnId)?.record;
      if (r && segment.state === 'played' && segment.resolvedAtMs !== undefined)
        r.lastMarkPlayedMs = segment.resolvedAtMs;
    },
  });
  return {
    playback,
    track(handle) {
      handles.set(handle.id, handle);
      if (handles.size > 50) handles.delete(handles.keys().next().value as number);
      return handle;
    },
    recordsOf(utteranceId) {
      const out: TurnRecord[] = [];
      for (const h of handles.values()) if (h.record?.utteranceId === utteranceId) out.push(h.record);
      return out;
    },
  };
}
