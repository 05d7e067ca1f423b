// The caller's side of a call: caller audio -> VAD (20 ms frames) -> batcher -> STT stream, STT
// results -> endpointer (fed by the call clock's 20 ms tick) -> typed events, and the barge-in
// rule on every VAD frame. Each frame also goes to the prosody tracker (turn/prosody.ts), which
// the endpointer asks how the caller's pitch ended when a pause could end the turn. It decides what the caller said and when; what to do about it is the
// session's policy (session.ts). Modelled on LiveKit agents-js voice/audio_recognition.ts.
import { decodeMulawAt } from '../audio/mulaw.ts';
import type { AudioChunk } from '../audio/types.ts';
import type { Config } from '../config/schema.ts';
import type { SttListener, SttStream, StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createPhraseEndTracker } from '../turn/prosody.ts';
import type { EndpointerInput, EndpointerOutput, TurnEnd, VadFrame } from '../turn/types.ts';
import type { CallClock } from './clock.ts';
import type { TurnComponents } from './components.ts';
import type { CallObserver } from './observer.ts';

export const FRAME_MS = 20;
const FRAME_SAMPLES = 160;

export interface CallerPartial {
  readonly utteranceId: number;
  readonly text: string;
  readonly stability: number;
  /** Two consecutive STT responses said this. */
  readonly agreed: boolean;
  /** The caller stopped (LLM_PREEMPTIVE_SILENCE_MS): the latest transcript, stable or not. */
  readonly paused: boolean;
  readonly atMs: number;
}

export interface UserTurnEvents {
  speechStarted(utteranceId: number, atMs: number): void;
  /**
   * A debounced interim the turn could end on, or the caller's pause (a preemptive candidate).
   * Interims that cannot end the turn (a word that needs a continuation, an unpunctuated text
   * from a recognizer that punctuates, a level pitch holding it open) are not delivered.
   */
  partial(partial: CallerPartial): void;
  /** Exactly once per utterance (the endpointer's promise); the transcript may be empty. */
  turnEnded(turn: TurnEnd): void;
  /** A final after its utterance already ended. */
  lateFinal(utteranceId: number, text: string, atMs: number): void;
  /** Caller speech long enough to interrupt, while the agent's audio may be playing. */
  bargeIn(atMs: number): void;
}

export interface UserTurnsDeps {
  readonly config: Config;
  readonly components: TurnComponents;
  readonly stt: StreamingStt;
  readonly clock: CallClock;
  readonly callId: string;
  readonly logger: Logger;
  readonly observer: CallObserver | undefined;
  /** True while agent audio may be playing (barge-in counts only then). */
  readonly agentSpeaking: () => boolean;
  /** Runs a step so a failure is logged and counted without ending the call. */
  readonly guard: <A>(where: string, fn: (arg: A) => void, arg?: A) => void;
}

export interface UserTurns {
  onAudio(chunk: AudioChunk): void;
  /** The VAD is between a speech start and its end. */
  readonly callerSpeaking: boolean;
  /** The session withdrew turn `utteranceId`: the caller's open utterance continues it. */
  takeBack(utteranceId: number): void;
  /** Stops the ticks, flushes the batcher and closes the STT stream. */
  close(): Promise<void>;
}

export function createUserTurns(deps: UserTurnsDeps, events: UserTurnEvents): UserTurns {
  const { config, components, clock, guard, logger: log } = deps;
  const vad = components.createVad(config);
  const phraseEnd = createPhraseEndTracker();
  const endpointer = components.createEndpointer(config, phraseEnd);
  const bargeIn = components.createBargeInDetector(config);
  const batcher = components.createBatcher(config, (chunk) => sttStream.write(chunk));
  let utteranceStartMs: number | undefined;
  let closed = false;

  const sttStream: SttStream = deps.stt.open(
    { callId: deps.callId, logger: log, now: () => clock.now(), scheduler: clock },
    sttListener(deps, (input, where) => {
      if (input.type === 'partial' || input.type === 'final')
        batcher.noteRecognizing?.(input.type === 'partial');
      guard(where, feed, input);
    }),
  );
  // Only calls with an utterance open get the tick: most of a call the caller listens. Asked
  // before the guard, so an idle call's tick is one property read.
  const feedTick = (): void => feed({ type: 'tick', atMs: clock.now() });
  const unsubscribeTick = clock.onTick(() => {
    if (!closed && endpointer.needsTicks !== false) guard('tick', feedTick);
  });

  function feed(input: EndpointerInput): void {
    if (closed) return;
    for (const out of endpointer.handle(input)) dispatch(out, events, log);
  }

  function onVadFrame(frame: VadFrame, atMs: number): void {
    batcher.noteVoice?.(frame.voiced, atMs);
    if (frame.event === 'speechStart') utteranceStartMs = frame.eventTimeMs ?? atMs;
    if (frame.event === 'speechEnd' && utteranceStartMs !== undefined) {
      sttStream.markUtterance?.(utteranceStartMs, frame.eventTimeMs ?? atMs);
      utteranceStartMs = undefined;
    }
    // The barge-in rule reads the agent's state only inside a speech segment (outside one it
    // just resets): asked there alone, most frames skip the playback lookup.
    const agentSpeaking = frame.speech && deps.agentSpeaking();
    if (bargeIn.process(frame, FRAME_MS, agentSpeaking) && agentSpeaking) events.bargeIn(atMs);
    feed({ type: 'vad', atMs, frame, frameMs: FRAME_MS });
  }

  // Per 20 ms frame, hoisted so the hot path allocates no closure. Each frame is decoded
  // straight into the prosody tracker's history (its next slot, the default 160 samples): the
  // VAD reads it there and the tracker keeps it without a copy.
  const processAudio = (chunk: AudioChunk): void => {
    batcher.push(chunk);
    const { mulaw, audioTimeMs } = chunk;
    for (let k = 0; (k + 1) * FRAME_SAMPLES <= mulaw.length; k++) {
      const pcm = phraseEnd.frameSlot();
      decodeMulawAt(mulaw, k * FRAME_SAMPLES, pcm);
      const atMs = audioTimeMs + k * FRAME_MS;
      const frame = vad.process(pcm, atMs);
      phraseEnd.push(pcm, frame.voiced);
      onVadFrame(frame, atMs);
    }
  };

  return {
    onAudio(chunk) {
      if (!closed) guard('audio', processAudio, chunk);
    },
    takeBack(utteranceId) {
      if (!closed) guard('take-back', feed, { type: 'takeBack', utteranceId, atMs: clock.now() });
    },
    get callerSpeaking() {
      return utteranceStartMs !== undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribeTick();
      await flushAndClose(batcher, sttStream, log);
    },
  };
}

/** The audio still batched goes to STT, then the stream closes (a failure is logged, not thrown). */
async function flushAndClose(batcher: { flush(): void }, stt: SttStream, log: Logger): Promise<void> {
  batcher.flush();
  try {
    await stt.close();
  } catch (err) {
    log.warn({ err }, 'STT stream close failed');
  }
}

/** STT results go to the endpointer (and the observer); state changes and errors to the log. */
function sttListener(
  deps: Pick<UserTurnsDeps, 'observer' | 'clock' | 'logger'>,
  feed: (input: EndpointerInput, where: string) => void,
): SttListener {
  const { observer, clock, logger: log } = deps;
  return {
    onPartial: (partial) => {
      const { text, stability } = partial;
      observer?.transcript?.({ text, isFinal: false, stability, atMs: clock.now() });
      feed({ type: 'partial', partial }, 'stt-partial');
    },
    onFinal: (final) => {
      observer?.transcript?.({ text: final.text, isFinal: true, stability: 1, atMs: clock.now() });
      feed({ type: 'final', final }, 'stt-final');
    },
    onState: (change) =>
      log.info({ sttState: change.state, reason: change.reason, atMs: change.atMs }, 'STT state'),
    onError: (error) =>
      log.warn({ code: error.code, retryable: error.retryable, err: error.message }, 'STT error'),
  };
}

/** One endpointer output as the typed event the session listens to. */
function dispatch(out: EndpointerOutput, events: UserTurnEvents, log: Logger): void {
  switch (out.type) {
    case 'speechStarted':
      log.debug({ utteranceId: out.utteranceId, atMs: out.atMs }, 'caller speech started');
      events.speechStarted(out.utteranceId, out.atMs);
      return;
    case 'partial':
      if (out.couldEnd !== false) events.partial({ ...out, paused: false });
      return;
    case 'callerPaused':
      events.partial({ ...out, agreed: false, paused: true });
      return;
    case 'lateFinal':
      events.lateFinal(out.utteranceId, out.text, out.atMs);
      return;
    case 'turnEnded':
      events.turnEnded(out.turn);
      return;
    case 'turnTakenBack':
      log.info(
        { utteranceId: out.utteranceId, into: out.into },
        'caller turn taken back: the caller went on',
      );
      return;
  }
}
