// One CallSession per Twilio stream: composes VAD -> batcher -> STT -> endpointer -> LLM ->
// splitter -> TTS -> playback, owns the call clock, the conversation history and the per-turn
// record. Providers are only seen through their interfaces (stt/llm/tts types.ts).
import type { Config } from '../config/schema.ts';
import { decodeMulaw } from '../audio/mulaw.ts';
import { ResponderError } from '../llm/errors.ts';
import { ConversationHistory } from '../llm/history.ts';
import { PreemptiveGeneration, answerText, decidePreemptiveStart } from '../llm/preemptive.ts';
import { SCRIPTED_GOODBYE } from '../llm/scripted.ts';
import type { Responder } from '../llm/types.ts';
import type { AudioChunk, SttFinal, SttListener, SttPartial, SttStream, StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { CallTrace, Tracing } from '../telemetry/tracing.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { Endpointer, EndpointerOutput, TurnEnd, Vad, VadFrame } from '../turn/types.ts';
import {
  defaultTurnComponents,
  type AudioBatcher,
  type BargeInDetector,
  type SentenceSplitter,
  type TurnComponents,
} from './components.ts';
import {
  apologiesTotal,
  bargeInsTotal,
  dtmfTotal,
  preemptiveStarts as preemptiveStartsTotal,
  sessionErrors,
  turnLatency,
  turnOutcomes,
  turnsTotal,
} from './metrics.ts';
import {
  createPlayback,
  heardText,
  playbackGapMs,
  type Playback,
  type PlaybackSegment,
  type SegmentKind,
} from './playback.ts';
import { createSpeechPipeline } from './speech-pipeline.ts';
import { sharedTicker, type Ticker } from './ticker.ts';
import {
  formatLatencyLine,
  latencyStages,
  toTraceRecord,
  turnLogFields,
  type TurnOutcome,
  type TurnRecord,
} from './turn-record.ts';
import type { CallContext, CallHandler, CallHandlerFactory, MarkOutcome } from './types.ts';
import { safeObserver, type CallObserverFactory } from './observer.ts';

/** Fixed phrases (greeting, apology, goodbye) synthesised once per process. */
export interface PhraseSource {
  /** Raw mu-law 8 kHz audio of the text (cached after the first call). */
  get(text: string): Promise<Buffer>;
}

export interface SessionDeps {
  readonly config: Config;
  readonly stt: StreamingStt;
  readonly responder: Responder;
  readonly synthesizer: Synthesizer;
  readonly phrases: PhraseSource;
  readonly tracing?: Tracing;
  readonly logger: Logger;
  /** VAD, endpointer, batcher, splitter, barge-in rule; defaults to the turn/ modules. */
  readonly components?: Partial<TurnComponents>;
  /** Drives endpointing deadlines; defaults to the process-wide 20 ms ticker. */
  readonly ticker?: Ticker;
  /** Observes every finished turn record (demo table, benchmarks, tests). */
  readonly onTurn?: (record: Readonly<TurnRecord>, callSid: string) => void;
  /** Per-call observer of transcript, spoken segments, barge-ins and turn records (the playground feed). */
  readonly observe?: CallObserverFactory;
}

/** How long an utterance that ended with no transcript waits for its late final before it is dropped. */
export const EMPTY_TURN_FINAL_WAIT_MS = 2000;
/** How long a barge-in waits for the cleared/played echoes of the interrupted answer. */
export const MARK_SETTLE_TIMEOUT_MS = 1500;
const FRAME_MS = 20;
const FRAME_SAMPLES = 160;

interface AgentTurn {
  readonly turnId: number;
  readonly kind: 'greeting' | 'answer';
  readonly ac: AbortController;
  readonly record: TurnRecord | undefined;
  /** The caller text this answer responds to. */
  readonly userText: string;
  fullText: string;
  outcome: TurnOutcome | undefined;
  finalized: boolean;
  settling: Promise<void> | undefined;
}

export function createCallHandlerFactory(deps: SessionDeps): CallHandlerFactory {
  const components: TurnComponents = { ...defaultTurnComponents, ...deps.components };
  return (ctx) => createCallSession(ctx, deps, components);
}

export function createCallSession(
  ctx: CallContext,
  deps: SessionDeps,
  components: TurnComponents,
): CallHandler {
  const { config, responder, synthesizer, phrases } = deps;
  const { info, sink } = ctx;
  const callId = info.callSid;
  const log = ctx.logger;
  const now = (): number => sink.now();

  const vad: Vad = components.createVad(config);
  const endpointer: Endpointer = components.createEndpointer(config);
  const bargeIn: BargeInDetector = components.createBargeInDetector(config);
  const batcher: AudioBatcher = components.createBatcher(config, (chunk) => sttStream.write(chunk));
  const callTrace: CallTrace | undefined = deps.tracing?.startCallSpan({
    callSid: info.callSid,
    streamSid: info.streamSid,
    parentTraceparent: info.customParameters['traceparent'],
    startedAtMs: info.startedAtMs,
  });
  const observer = safeObserver(deps.observe?.(info), (err, method) => {
    sessionErrors.inc({ where: 'observer' });
    log.warn({ err, method }, 'call observer failed: no further events for this call');
  });

  const history = new ConversationHistory({
    systemPrompt: config.llmSystemPrompt,
    maxTurns: config.llmMaxHistoryTurns,
  });
  /** A preemptive LLM request started on a stable partial of the utterance still being spoken. */
  let preemptive:
    { utteranceId: number; generation: PreemptiveGeneration; controller: AbortController } | undefined;
  let preemptiveStarts = 0;
  let disposed = false;
  let turnCounter = 0;
  let current: AgentTurn | undefined;
  /** Utterances already answered (or deliberately not answered): exactly once. */
  const handledUtterances = new Set<number>();
  const records = new Map<number, TurnRecord>();
  let utteranceStartMs: number | undefined;
  let emptyTurn: { turn: TurnEnd; timer: NodeJS.Timeout } | undefined;
  /** Utterance whose speech interrupted the agent: its turn is answered even though it began during playback. */
  let bargedInDuringSpeech = false;
  const timers = new Set<NodeJS.Timeout>();
  const pcmScratch = new Int16Array(FRAME_SAMPLES * 8);

  // Runs fn(arg) so one failing step is logged and counted without ending the call; the
  // argument form lets per-frame callers pass a hoisted function instead of a fresh closure.
  const guard = <A>(where: string, fn: (arg: A) => void, arg?: A): void => {
    try {
      fn(arg as A);
    } catch (err) {
      sessionErrors.inc({ where });
      log.error({ err, where }, 'call session error');
    }
  };
  const background = (where: string, p: Promise<unknown>): void => {
    p.catch((err: unknown) => {
      sessionErrors.inc({ where });
      log.error({ err, where }, 'call session error');
    });
  };
  const setTimer = (fn: () => void, ms: number): NodeJS.Timeout => {
    const t = setTimeout(() => {
      timers.delete(t);
      guard('timer', fn);
    }, ms);
    timers.add(t);
    return t;
  };
  const clearTimer = (t: NodeJS.Timeout | undefined): void => {
    if (t === undefined) return;
    clearTimeout(t);
    timers.delete(t);
  };

  const playback: Playback = createPlayback(sink, {
    onFirstAudio(segment) {
      observeSegment(segment);
      const r = records.get(segment.turnId);
      if (r && r.firstFrameSentMs === undefined && segment.firstSentAtMs !== undefined)
        r.firstFrameSentMs = segment.firstSentAtMs;
    },
    onResolved(segment) {
      observeSegment(segment);
      const r = records.get(segment.turnId);
      if (r && segment.state === 'played' && segment.resolvedAtMs !== undefined)
        r.lastMarkPlayedMs = segment.resolvedAtMs;
    },
  });

  function observeSegment(segment: PlaybackSegment): void {
    const { id: segmentId, turnId, kind, text, state } = segment;
    observer?.segment?.({ segmentId, turnId, kind, text, state, atMs: now() });
  }

  // ---- STT ----
  const listener: SttListener = {
    onPartial: (partial: SttPartial) => {
      observer?.transcript?.({
        text: partial.text,
        isFinal: false,
        stability: partial.stability,
        atMs: now(),
      });
      guard('stt-partial', () => feed({ type: 'partial', partial }));
    },
    onFinal: (final: SttFinal) => {
      observer?.transcript?.({ text: final.text, isFinal: true, stability: 1, atMs: now() });
      guard('stt-final', () => feed({ type: 'final', final }));
    },
    onState: (change) =>
      log.info({ sttState: change.state, reason: change.reason, atMs: change.atMs }, 'STT state'),
    onError: (error) =>
      log.warn({ code: error.code, retryable: error.retryable, err: error.message }, 'STT error'),
  };
  const sttStream: SttStream = deps.stt.open({ callId, logger: log, now }, listener);

  const unsubscribeTick = (deps.ticker ?? sharedTicker).subscribe(() => {
    if (!disposed) guard('tick', feedTick);
  });

  // ---- endpointer outputs ----
  function feed(input: Parameters<Endpointer['handle']>[0]): void {
    if (disposed) return;
    for (const out of endpointer.handle(input)) onEndpointerOutput(out);
  }

  function onEndpointerOutput(out: EndpointerOutput): void {
    switch (out.type) {
      case 'speechStarted':
        log.debug({ utteranceId: out.utteranceId, atMs: out.atMs }, 'caller speech started');
        return;
      case 'partial':
        maybeStartPreemptive(out.utteranceId, out.text, out.stability, false, out.agreed);
        return;
      case 'callerPaused':
        maybeStartPreemptive(out.utteranceId, out.text, out.stability, true, false);
        return;
      case 'lateFinal': {
        if (emptyTurn && emptyTurn.turn.utteranceId === out.utteranceId && out.text.trim() !== '') {
          const { turn, timer } = emptyTurn;
          clearTimer(timer);
          emptyTurn = undefined;
          startAnswer({ ...turn, transcript: out.text, endedAtMs: out.atMs });
          return;
        }
        for (const r of records.values()) {
          if (r.utteranceId === out.utteranceId) r.lateFinalText = out.text;
        }
        log.info(
          { utteranceId: out.utteranceId, chars: out.text.length },
          'late final recorded (no new answer)',
        );
        return;
      }
      case 'turnEnded':
        onTurnEnded(out.turn);
        return;
    }
  }

  function onTurnEnded(turn: TurnEnd): void {
    if (handledUtterances.has(turn.utteranceId)) return;
    handledUtterances.add(turn.utteranceId);
    const { utteranceId, transcript, rule } = turn;
    observer?.turnEnded?.({ utteranceId, transcript, rule, atMs: turn.endedAtMs });
    if (handledUtterances.size > 1000)
      handledUtterances.delete(handledUtterances.values().next().value as number);
    turnsTotal.inc({ rule: turn.rule });
    const agentTalking = playback.speaking;
    const interrupted = bargedInDuringSpeech;
    bargedInDuringSpeech = false;
    if (agentTalking && !interrupted) {
      // Speech shorter than the barge-in threshold during agent speech: a noise or backchannel.
      turnOutcomes.inc({ outcome: 'ignored' });
      log.info(
        { utteranceId: turn.utteranceId, rule: turn.rule },
        'caller turn during agent speech below barge-in threshold: not answered',
      );
      return;
    }
    if (turn.transcript.trim() === '') {
      // The endpointer decided before any text arrived (e.g. no-voice timeout): wait for the final.
      if (emptyTurn) {
        clearTimer(emptyTurn.timer);
        finishUnanswered(emptyTurn.turn);
      }
      const timer = setTimer(() => {
        if (emptyTurn?.turn === turn) {
          emptyTurn = undefined;
          finishUnanswered(turn);
        }
      }, EMPTY_TURN_FINAL_WAIT_MS);
      emptyTurn = { turn, timer };
      return;
    }
    startAnswer(turn);
  }

  function finishUnanswered(turn: TurnEnd): void {
    turnOutcomes.inc({ outcome: 'no_transcript' });
    log.info(
      { utteranceId: turn.utteranceId, rule: turn.rule },
      'caller turn ended without a transcript: not answered',
    );
  }

  // ---- audio in ----
  function onVadFrame(frame: VadFrame, atMs: number): void {
    if (frame.event === 'speechStart') {
      utteranceStartMs = frame.eventTimeMs ?? atMs;
    }
    if (frame.event === 'speechEnd' && utteranceStartMs !== undefined) {
      sttStream.markUtterance?.(utteranceStartMs, frame.eventTimeMs ?? atMs);
      utteranceStartMs = undefined;
    }
    const agentSpeaking = playback.speaking;
    if (bargeIn.process(frame, FRAME_MS, agentSpeaking) && agentSpeaking) {
      bargedInDuringSpeech = true;
      interrupt('barge-in');
    }
    feed({ type: 'vad', atMs, frame, frameMs: FRAME_MS });
  }

  // ---- answers ----
  function nextRecord(turnId: number, turn: TurnEnd): TurnRecord {
    const fromVad = turn.speechEndMs !== undefined;
    return {
      turnId,
      utteranceId: turn.utteranceId,
      rule: turn.rule,
      transcript: turn.transcript,
      speechStartMs: turn.speechStartMs,
      speechEndMs: turn.speechEndMs ?? turn.endedAtMs,
      speechEndFromVad: fromVad,
      firstPartialMs: turn.firstPartialMs,
      finalMs: turn.endedAtMs,
      answerChars: 0,
      heardChars: 0,
      sentences: 0,
      sentencesPlayed: 0,
    };
  }

  function startAnswer(confirmedTurn: TurnEnd): void {
    const guess =
      preemptive?.utteranceId === confirmedTurn.utteranceId ? preemptive.generation.candidate : undefined;
    const userText = answerText(guess, confirmedTurn.transcript.trim(), confirmedTurn.tailSettled ?? true);
    const turn =
      userText === confirmedTurn.transcript.trim()
        ? confirmedTurn
        : { ...confirmedTurn, transcript: userText };
    const previous = current;
    if (
      previous &&
      !previous.finalized &&
      previous.kind === 'answer' &&
      previous.outcome === undefined &&
      !playback.speaking
    ) {
      // The caller kept talking before any of the previous answer was heard: the history merges
      // the two user messages (nothing of the old answer was played), and one answer follows.
      previous.outcome = 'superseded';
      previous.ac.abort();
    }
    const turnId = ++turnCounter;
    const record = nextRecord(turnId, turn);
    records.set(turnId, record);
    if (records.size > 50) records.delete(records.keys().next().value as number);
    const agentTurn: AgentTurn = {
      turnId,
      kind: 'answer',
      ac: new AbortController(),
      record,
      userText,
      fullText: '',
      outcome: undefined,
      finalized: false,
      settling: undefined,
    };
    const pre = preemptive?.utteranceId === turn.utteranceId ? preemptive : undefined;
    if (pre) {
      record.preemptiveCandidate = pre.generation.candidate;
      record.preemptiveStarts = preemptiveStarts;
    }
    if (preemptive && !pre) cancelPreemptive();
    preemptive = undefined;
    const settlePrev =
      previous && !previous.finalized
        ? finalize(previous, previous.outcome ?? 'superseded', 0)
        : Promise.resolve();
    current = agentTurn;
    background(
      'answer',
      settlePrev.then(() => {
        if (agentTurn.ac.signal.aborted || disposed) {
          pre?.generation.cancel();
          return;
        }
        history.addUser(userText);
        return runAnswer(agentTurn, pre);
      }),
    );
  }

  function cancelPreemptive(): void {
    preemptive?.generation.cancel();
    preemptive?.controller.abort();
    preemptive = undefined;
  }

  /**
   * A debounced partial, or the latest transcript when the VAD says the caller stopped: start the
   * LLM early if it qualifies (decidePreemptiveStart; kept only if the confirmed transcript matches).
   */
  function maybeStartPreemptive(
    utteranceId: number,
    text: string,
    stability: number,
    vadStop: boolean,
    agreed: boolean,
  ): void {
    if (!config.llmPreemptive) return;
    if (playback.speaking || (current && !current.finalized)) return;
    const mine = preemptive?.utteranceId === utteranceId ? preemptive : undefined;
    const decision = decidePreemptiveStart(
      {
        text,
        stability,
        // The VAD is between speechStart and speechEnd while the caller talks.
        callerSilent: utteranceStartMs === undefined,
        vadStop,
        agreed,
        ...(mine ? { current: { candidate: mine.generation.candidate, starts: preemptiveStarts } } : {}),
      },
      { minStability: config.sttEarlyFinalMinStability },
    );
    if (decision.action === 'none') {
      if (decision.reason === 'max_starts')
        preemptiveStartsTotal.inc({ action: 'none', reason: 'max_starts' });
      return;
    }
    cancelPreemptive();
    preemptiveStarts = mine ? preemptiveStarts + 1 : 1;
    preemptiveStartsTotal.inc({ action: decision.action, reason: decision.reason });
    log.debug(
      { utteranceId, action: decision.action, reason: decision.reason, chars: text.length, stability },
      'preemptive LLM request',
    );
    const controller = new AbortController();
    const generation = new PreemptiveGeneration(
      responder,
      { callId, candidate: text, messages: history.messagesWithUser(text), signal: controller.signal },
      now,
    );
    preemptive = { utteranceId, generation, controller };
  }

  async function runAnswer(turn: AgentTurn, pre: typeof preemptive): Promise<void> {
    const r = turn.record as TurnRecord;
    const signal = turn.ac.signal;
    const llmAc = new AbortController();
    const abortLlm = (): void => llmAc.abort();
    signal.addEventListener('abort', abortLlm, { once: true });
    let timedOut = false;
    const firstTokenTimer = setTimer(() => {
      timedOut = true;
      llmAc.abort();
    }, config.llmFirstTokenTimeoutMs);
    let failure: 'llm_error' | 'llm_timeout' | 'tts_error' | undefined;
    const pipeline = createSpeechPipeline({
      synthesizer,
      callId,
      signal,
      lookahead: 2,
      begin: (text) => playback.begin('answer', turn.turnId, text),
      onSynthesisStart: (i, text) => {
        if (i === 0) r.ttsRequestMs ??= now();
        r.ttsChars = (r.ttsChars ?? 0) + text.length;
      },
      onFirstAudio: (i) => {
        if (i === 0) r.ttsFirstAudioMs ??= now();
      },
      onError: () => {
        failure ??= 'tts_error';
        llmAc.abort();
      },
    });
    const splitter: SentenceSplitter = components.createSplitter();
    r.llmRequests = pre ? (r.preemptiveStarts ?? 1) : 0;
    const fresh = (): AsyncIterable<string> => {
      r.llmRequestMs = now();
      r.llmRequests = (r.llmRequests ?? 0) + 1;
      return responder.respond({ callId, messages: history.messages(), signal: llmAc.signal });
    };
    let stream: AsyncIterable<string>;
    if (pre) {
      const startedAt = now();
      llmAc.signal.addEventListener('abort', () => pre.controller.abort(), { once: true });
      const outcome = pre.generation.confirm(turn.userText, fresh);
      r.preemptive = outcome.result;
      if (outcome.result === 'hit') r.llmRequestMs = startedAt - outcome.savedMs;
      stream = outcome.stream;
    } else stream = fresh();
    try {
      for await (const delta of stream) {
        if (llmAc.signal.aborted) break;
        if (r.llmFirstTokenMs === undefined) {
          r.llmFirstTokenMs = now();
          clearTimer(firstTokenTimer);
        }
        turn.fullText += delta;
        for (const sentence of splitter.push(delta)) {
          r.firstSentenceMs ??= now();
          pipeline.push(sentence);
        }
      }
      if (timedOut && r.llmFirstTokenMs === undefined) failure ??= 'llm_timeout';
      else if (!llmAc.signal.aborted) {
        for (const sentence of splitter.flush()) {
          r.firstSentenceMs ??= now();
          pipeline.push(sentence);
        }
      }
    } catch (err) {
      if (!signal.aborted && failure === undefined) {
        failure =
          timedOut || (err instanceof ResponderError && err.kind === 'timeout') ? 'llm_timeout' : 'llm_error';
        log.warn({ err, turnId: turn.turnId }, 'responder failed');
      }
    } finally {
      r.llmEndMs = now();
      clearTimer(firstTokenTimer);
      signal.removeEventListener('abort', abortLlm);
    }
    try {
      await pipeline.finish();
    } catch (err) {
      if (!signal.aborted) {
        failure ??= 'tts_error';
        log.warn({ err, turnId: turn.turnId }, 'speech synthesis failed mid-answer');
      }
    }
    r.sentences = pipeline.sentences;
    r.answerChars = turn.fullText.length;
    if (signal.aborted || disposed) return;
    if (failure !== undefined) {
      apologiesTotal.inc({ cause: failure });
      turn.outcome = 'apology';
      await playPhrase('apology', turn.turnId, config.apologyText, signal);
    }
    await playback.settled(turn.turnId);
    if (turn.finalized) return;
    await finalize(turn, turn.outcome ?? 'answered', 0);
    if (
      turn.outcome === undefined &&
      turn.fullText.trim() === SCRIPTED_GOODBYE &&
      !disposed &&
      current === turn
    ) {
      // The offline responder said goodbye and the caller heard it: end the stream like a person would.
      log.info({ turnId: turn.turnId }, 'goodbye played: hanging up');
      sink.hangup('goodbye');
    }
  }

  async function playPhrase(
    kind: SegmentKind,
    turnId: number,
    text: string,
    signal: AbortSignal,
  ): Promise<void> {
    if (text.trim() === '') return;
    let audio: Buffer;
    try {
      audio = await phrases.get(text);
    } catch (err) {
      log.error({ err, kind }, 'cached phrase unavailable');
      return;
    }
    if (signal.aborted || disposed) return;
    const writer = playback.begin(kind, turnId, text);
    writer.write(audio);
    writer.end();
  }

  /** Stops the agent: clear Twilio's buffer, abort LLM/TTS, keep in history only what was heard. */
  function interrupt(reason: string): void {
    const turn = current;
    if (!turn || turn.finalized) {
      if (playback.speaking) playback.clear();
      return;
    }
    const wasSpeaking = playback.speaking;
    if (wasSpeaking) playback.clear();
    bargeInsTotal.inc();
    if (turn.record) turn.record.interruptedMs = now();
    turn.outcome = 'interrupted';
    turn.ac.abort();
    log.info({ turnId: turn.turnId, reason, wasSpeaking }, 'agent interrupted by the caller');
    observer?.bargeIn?.({ turnId: turn.turnId, wasSpeaking, atMs: now() });
    background('interrupt', finalize(turn, 'interrupted', MARK_SETTLE_TIMEOUT_MS));
  }

  /** Records what was heard (after the turn's marks settle, bounded) and emits the turn record once. */
  function finalize(turn: AgentTurn, outcome: TurnOutcome, settleTimeoutMs: number): Promise<void> {
    if (turn.settling) return turn.settling;
    turn.ac.abort();
    const settle = async (): Promise<void> => {
      if (settleTimeoutMs > 0 && !disposed) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          playback.settled(turn.turnId),
          new Promise<void>((resolve) => (t = setTimer(resolve, settleTimeoutMs))),
        ]);
        clearTimer(t);
      }
      turn.finalized = true;
      const segments = playback.segmentsOf(turn.turnId);
      const heard = heardText(segments);
      // Only what was heard; the next user message is added after this (startAnswer waits for it).
      history.addAssistant(heard.text);
      const r = turn.record;
      if (!r) return;
      r.outcome = outcome;
      r.heardChars = heard.chars;
      r.sentencesPlayed = heard.sentences;
      r.playbackGapMs = playbackGapMs(segments);
      emitRecord(r);
    };
    turn.settling = settle();
    return turn.settling;
  }

  function emitRecord(r: TurnRecord): void {
    turnOutcomes.inc({ outcome: r.outcome ?? 'answered' });
    const stages = latencyStages(r);
    for (const [stage, seconds] of Object.entries(stages))
      turnLatency.observe({ stage }, Math.max(0, seconds));
    log.info({ turn: turnLogFields(r) }, formatLatencyLine(r));
    if (callTrace) callTrace.recordTurn(toTraceRecord(r));
    deps.onTurn?.(r, callId);
    observer?.turnRecord?.(r, callTrace?.traceId);
  }

  // ---- greeting ----
  if (config.greetingText.trim() !== '') {
    const greeting: AgentTurn = {
      turnId: 0,
      kind: 'greeting',
      ac: new AbortController(),
      record: undefined,
      userText: '',
      fullText: config.greetingText,
      outcome: undefined,
      finalized: false,
      settling: undefined,
    };
    current = greeting;
    background(
      'greeting',
      (async () => {
        await playPhrase('greeting', 0, config.greetingText, greeting.ac.signal);
        await playback.settled(0);
        if (!greeting.finalized && current === greeting) await finalize(greeting, 'answered', 0);
      })(),
    );
  }

  // Per 20 ms frame: hoisted so the hot path allocates no closure.
  const processAudio = (chunk: AudioChunk): void => {
    batcher.push(chunk);
    const n = chunk.mulaw.length;
    const pcm = decodeMulaw(chunk.mulaw, n <= pcmScratch.length ? pcmScratch.subarray(0, n) : undefined);
    for (let off = 0; off + FRAME_SAMPLES <= n; off += FRAME_SAMPLES) {
      const atMs = chunk.audioTimeMs + (off / FRAME_SAMPLES) * FRAME_MS;
      const frame = vad.process(pcm.subarray(off, off + FRAME_SAMPLES), atMs);
      onVadFrame(frame, atMs);
    }
  };
  const feedTick = (): void => {
    feed({ type: 'tick', atMs: now() });
  };

  return {
    onAudio(chunk: AudioChunk): void {
      if (disposed) return;
      guard('audio', processAudio, chunk);
    },
    onMark(name: string, outcome: MarkOutcome): void {
      if (disposed) return;
      guard('mark', () => {
        playback.onMark(name, outcome);
      });
    },
    onDtmf(digit: string): void {
      if (disposed) return;
      dtmfTotal.inc();
      history.addDtmf(digit);
      log.info({ digit }, 'DTMF digit');
    },
    async dispose(reason: string): Promise<void> {
      if (disposed) return;
      const turn = current;
      if (turn && !turn.finalized && !turn.settling) {
        turn.outcome ??= 'ended';
        await finalize(turn, turn.outcome, 0);
      }
      disposed = true;
      unsubscribeTick();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      emptyTurn = undefined;
      current?.ac.abort();
      playback.dispose();
      batcher.flush();
      try {
        await sttStream.close();
      } catch (err) {
        log.warn({ err }, 'STT stream close failed');
      }
      callTrace?.end(now(), reason);
      observer?.ended?.(reason);
      log.info({ reason, turns: turnCounter }, 'call session disposed');
    },
  };
}
