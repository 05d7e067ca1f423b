// One CallSession per Twilio stream: the policy between the caller's side (user-turns.ts) and
// the agent's side (agent-speech.ts). It decides which utterance is answered, when a new one
// supersedes or interrupts what the agent is saying, what the conversation history keeps (only
// what the caller heard), and when the call ends (actions.ts). Every timer is on one clock
// (clock.ts). Target shape: ../shared/design-call-session.md.
import type { Config } from '../config/schema.ts';
import { ConversationHistory } from '../llm/history.ts';
import { answerText } from '../llm/preemptive.ts';
import { SCRIPTED_GOODBYE } from '../llm/scripted.ts';
import type { Responder } from '../llm/types.ts';
import type { StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Tracing } from '../telemetry/tracing.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { TurnEnd } from '../turn/types.ts';
import { streamActions, type CallActions } from './actions.ts';
import {
  answerRecord,
  createSpeechRegistry,
  SpeechHandle,
  type AgentSpeechDeps,
  type PhraseSource,
} from './agent-speech.ts';
import type { CallClock } from './clock.ts';
import { defaultTurnComponents, type TurnComponents } from './components.ts';
import { bargeInsTotal, dtmfTotal, turnOutcomes, turnsTotal } from './metrics.ts';
import type { CallObserverFactory } from './observer.ts';
import { PreemptiveSlot } from './preemptive-slot.ts';
import { createCallScope } from './scope.ts';
import type { TurnRecord } from './turn-record.ts';
import type { CallContext, CallHandler, CallHandlerFactory } from './types.ts';
import { createUserTurns, type UserTurnEvents } from './user-turns.ts';

export type { PhraseSource };

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
  /** The call's one clock; defaults to real timers on the call's time and the shared 20 ms ticker. */
  readonly clock?: (ctx: CallContext) => CallClock;
  /** How the call is ended, transferred or sent DTMF; defaults to closing the media stream. */
  readonly actions?: (ctx: CallContext) => CallActions;
  /** Observes every finished turn record (demo table, benchmarks, tests). */
  readonly onTurn?: (record: Readonly<TurnRecord>, callSid: string) => void;
  /** Per-call observer of transcript, spoken segments, barge-ins and turn records (the playground feed). */
  readonly observe?: CallObserverFactory;
}

/** How long an utterance that ended with no transcript waits for its late final before it is dropped. */
export const EMPTY_TURN_FINAL_WAIT_MS = 2000;
export { MARK_SETTLE_TIMEOUT_MS } from './agent-speech.ts';

export function createCallHandlerFactory(deps: SessionDeps): CallHandlerFactory {
  const components: TurnComponents = { ...defaultTurnComponents, ...deps.components };
  return (ctx) => createCallSession(ctx, deps, components);
}

export function createCallSession(
  ctx: CallContext,
  deps: SessionDeps,
  components: TurnComponents,
): CallHandler {
  const { config } = deps;
  const scope = createCallScope(ctx, deps);
  const { callId, log, clock, timers, guard, background, observer } = scope;
  const actions = deps.actions?.(ctx) ?? streamActions(ctx.sink);
  const { playback, track, recordsOf } = createSpeechRegistry(ctx.sink, scope);
  const history = new ConversationHistory({
    systemPrompt: config.llmSystemPrompt,
    maxTurns: config.llmMaxHistoryTurns,
  });
  let disposed = false;
  let turnCounter = 0;
  /** What the agent is saying (or last said); undefined before the first thing. */
  let current: SpeechHandle | undefined;
  /** Utterances already answered (or deliberately not answered): exactly once. */
  const handledUtterances = new Set<number>();
  let emptyTurn: { turn: TurnEnd; timer: unknown } | undefined;
  /** Utterance whose speech interrupted the agent: its turn is answered even though it began during playback. */
  let bargedInDuringSpeech = false;

  const now = (): number => clock.now();
  const { responder, synthesizer, phrases } = deps;
  const speech: AgentSpeechDeps = {
    ...{ config, responder, synthesizer, phrases, components, playback, timers, now, callId, logger: log },
    messages: () => history.messages(),
    closed: () => disposed,
    // Only what was heard; the next user message is added after this (an answer waits for it).
    onSettled: (handle, heard) => {
      history.addAssistant(heard);
      if (handle.record) scope.report(handle.record);
    },
  };
  const preemptive = new PreemptiveSlot({
    ...{ config, responder, callId, logger: log, now },
    messagesWithUser: (text) => history.messagesWithUser(text),
  });

  const events: UserTurnEvents = {
    // n9 (issue 9): taking a turn back when the caller resumes before any answer audio belongs
    // here: `current.kind === 'answer' && !current.hasAudio` -> current.supersede().
    speechStarted: () => undefined,
    partial: (partial) => {
      if (!config.llmPreemptive) return;
      if (playback.speaking || (current && !current.finalized)) return;
      preemptive.consider(partial, !userTurns.callerSpeaking);
    },
    lateFinal: (utteranceId, text, atMs) => {
      if (emptyTurn && emptyTurn.turn.utteranceId === utteranceId && text.trim() !== '') {
        const { turn, timer } = emptyTurn;
        timers.clear(timer);
        emptyTurn = undefined;
        startAnswer({ ...turn, transcript: text, endedAtMs: atMs });
        return;
      }
      for (const r of recordsOf(utteranceId)) r.lateFinalText = text;
      log.info({ utteranceId, chars: text.length }, 'late final recorded (no new answer)');
    },
    turnEnded: (turn) => onTurnEnded(turn),
    bargeIn: () => {
      bargedInDuringSpeech = true;
      interrupt('barge-in');
    },
  };
  const agentSpeaking = (): boolean => playback.speaking;
  const userTurns = createUserTurns(
    { config, components, stt: deps.stt, clock, callId, logger: log, observer, guard, agentSpeaking },
    events,
  );

  function onTurnEnded(turn: TurnEnd): void {
    if (handledUtterances.has(turn.utteranceId)) return;
    handledUtterances.add(turn.utteranceId);
    const { utteranceId, transcript, rule } = turn;
    observer?.turnEnded?.({ utteranceId, transcript, rule, atMs: turn.endedAtMs });
    if (handledUtterances.size > 1000)
      handledUtterances.delete(handledUtterances.values().next().value as number);
    turnsTotal.inc({ rule });
    const interrupted = bargedInDuringSpeech;
    bargedInDuringSpeech = false;
    if (playback.speaking && !interrupted) {
      // Speech shorter than the barge-in threshold during agent speech: a noise or backchannel.
      turnOutcomes.inc({ outcome: 'ignored' });
      log.info(
        { utteranceId, rule },
        'caller turn during agent speech below barge-in threshold: not answered',
      );
      return;
    }
    if (transcript.trim() === '') {
      // The endpointer decided before any text arrived (e.g. no-voice timeout): wait for the final.
      if (emptyTurn) {
        timers.clear(emptyTurn.timer);
        finishUnanswered(emptyTurn.turn);
      }
      const timer = timers.set(() => {
        if (emptyTurn?.turn !== turn) return;
        emptyTurn = undefined;
        finishUnanswered(turn);
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

  function startAnswer(confirmed: TurnEnd): void {
    const guess = preemptive.candidateFor(confirmed.utteranceId);
    const userText = answerText(guess, confirmed.transcript.trim(), confirmed.tailSettled ?? true);
    const turn =
      userText === confirmed.transcript.trim() ? confirmed : { ...confirmed, transcript: userText };
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
      previous.supersede();
    }
    const turnId = ++turnCounter;
    const record = answerRecord(turnId, turn);
    const pre = preemptive.take(turn.utteranceId);
    if (pre) {
      record.preemptiveCandidate = pre.generation.candidate;
      record.preemptiveStarts = pre.starts;
    }
    const handle = track(
      new SpeechHandle(speech, { id: turnId, kind: 'answer', userText, record, ...(pre ? { pre } : {}) }),
    );
    const settlePrev = previous && !previous.finalized ? previous.close('superseded') : Promise.resolve();
    current = handle;
    const answered = settlePrev.then(() => handle.speakAnswer(() => history.addUser(userText)));
    background(
      'answer',
      answered.then((completed) => completed && afterAnswer(handle)),
    );
  }

  function afterAnswer(handle: SpeechHandle): void {
    // The offline responder said goodbye and the caller heard it: end the call like a person would.
    if (handle.outcome !== undefined || handle.fullText.trim() !== SCRIPTED_GOODBYE) return;
    if (disposed || current !== handle) return;
    log.info({ turnId: handle.id }, 'goodbye played: hanging up');
    actions.endCall('goodbye');
  }

  /** Stops the agent: clear Twilio's buffer, abort LLM/TTS, keep in history only what was heard. */
  function interrupt(reason: string): void {
    const handle = current;
    const wasSpeaking = playback.speaking;
    if (wasSpeaking) playback.clear();
    if (!handle || handle.finalized) return;
    bargeInsTotal.inc();
    log.info({ turnId: handle.id, reason, wasSpeaking }, 'agent interrupted by the caller');
    observer?.bargeIn?.({ turnId: handle.id, wasSpeaking, atMs: clock.now() });
    background('interrupt', handle.interrupt());
  }

  if (config.greetingText.trim() !== '') {
    const greeting = track(new SpeechHandle(speech, { id: 0, kind: 'greeting' }));
    current = greeting;
    background('greeting', greeting.speakPhrase(config.greetingText));
  }

  return {
    onAudio(chunk) {
      if (!disposed) userTurns.onAudio(chunk);
    },
    onMark(name, outcome) {
      if (!disposed) guard('mark', () => void playback.onMark(name, outcome));
    },
    onDtmf(digit) {
      if (disposed) return;
      dtmfTotal.inc();
      history.addDtmf(digit);
      log.info({ digit }, 'DTMF digit');
    },
    async dispose(reason) {
      if (disposed) return;
      const handle = current;
      if (handle && !handle.finalized && !handle.finalizing) await handle.close('ended');
      disposed = true;
      timers.clearAll();
      emptyTurn = undefined;
      current?.stop();
      preemptive.cancel();
      playback.dispose();
      await userTurns.close();
      scope.callTrace?.end(clock.now(), reason);
      observer?.ended?.(reason);
      log.info({ reason, turns: turnCounter }, 'call session disposed');
    },
  };
}
