// One CallSession per Twilio stream: the policy between the caller's side (user-turns.ts) and
// the agent's side (agent-speech.ts). It decides which utterance is answered, when a new one
// supersedes or interrupts what the agent is saying, what the conversation history keeps (only
// what the caller heard), and when the call ends (actions.ts). Every timer is on one clock
// (clock.ts). Target shape: ../shared/design-call-session.md.
import type { AudioChunk } from '../audio/types.ts';
import type { Config } from '../config/schema.ts';
import { ConversationHistory } from '../llm/history.ts';
import { answerText } from '../llm/preemptive.ts';
import { decideTakeBack } from '../turn/take-back.ts';
import { SCRIPTED_GOODBYE } from '../llm/scripted.ts';
import type { TurnEnd } from '../turn/types.ts';
import type { CallActions } from './actions.ts';
import {
  answerRecord,
  SpeechHandle,
  type AgentSpeechDeps,
  type PhraseSource,
  type SpeechRegistry,
} from './agent-speech.ts';
import { defaultTurnComponents, type TurnComponents } from './components.ts';
import { bargeInsTotal, callPolicyActions, dtmfTotal, turnOutcomes, turnsTotal } from './metrics.ts';
import { CallPolicies } from './policies.ts';
import { LlmWarmth } from './llm-warmth.ts';
import { PreemptiveSlot } from './preemptive-slot.ts';
import { createCallParts, type CallScope, type SessionDeps } from './scope.ts';
import type { CallContext, CallHandler, CallHandlerFactory, MarkOutcome } from './types.ts';
import { createUserTurns, type UserTurnEvents, type UserTurns } from './user-turns.ts';
import type { CallAction } from '../tools/types.ts';

export type { PhraseSource, SessionDeps };

/** How long an utterance that ended with no transcript waits for its late final before it is dropped. */
export const EMPTY_TURN_FINAL_WAIT_MS = 2000;
/** The longest a closing sentence may take to be heard before the call ends anyway. */
export const CLOSING_MAX_WAIT_MS = 20_000;
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
  return new CallSession(ctx, deps, components);
}

/** A caller turn and the answer it started; committed once its user text entered the history. */
interface PendingAnswer {
  readonly turn: TurnEnd;
  readonly handle: SpeechHandle;
  committed: boolean;
}

class CallSession implements CallHandler {
  private readonly config: Config;
  private readonly scope: CallScope;
  private readonly actions: CallActions;
  private readonly speech: AgentSpeechDeps;
  private readonly registry: SpeechRegistry;
  private readonly history: ConversationHistory;
  private readonly preemptive: PreemptiveSlot;
  private readonly userTurns: UserTurns;
  private readonly llmWarmth: LlmWarmth;
  private disposed = false;
  private turnCounter = 0;
  /** What the agent is saying (or last said); undefined before the first thing. */
  private current: SpeechHandle | undefined;
  /** Utterances already answered (or deliberately not answered): exactly once. */
  private readonly handledUtterances = new Set<number>();
  private emptyTurn: { turn: TurnEnd; timer: unknown } | undefined;
  /** The utterance interrupted the agent: its turn is answered though it began during playback. */
  private bargedInDuringSpeech = false;
  /** The last utterance's start, and whether agent audio was playing then. */
  private speechStart?: { utteranceId: number; overAgent: boolean };
  /** The latest caller turn and its answer: taken back if the caller goes on before any audio. */
  private lastAnswer: PendingAnswer | undefined;
  private readonly policies: CallPolicies;
  /** The closing sentence is being said: no more answers, re-prompts or barge-ins. */
  private closing = false;
  /** Ids of re-prompts and closings (negative: answer records stay numbered 1, 2, ...). */
  private phraseIds = 0;

  constructor(ctx: CallContext, deps: SessionDeps, components: TurnComponents) {
    const config = (this.config = deps.config);
    const parts = createCallParts(ctx, deps, components, {
      closed: () => this.disposed,
      settled: (handle) => {
        const normalEnd = handle.outcome === undefined || handle.outcome === 'apology';
        if (handle === this.current && normalEnd) this.waitForCaller();
      },
    });
    ({ scope: this.scope, actions: this.actions, registry: this.registry } = parts);
    ({ history: this.history, speech: this.speech, preemptive: this.preemptive } = parts);
    const { callId, log, clock, timers, guard, observer } = this.scope;
    const playback = this.registry.playback;
    const agentSpeaking = (): boolean => playback.speaking;
    this.userTurns = createUserTurns(
      { config, components, stt: deps.stt, clock, callId, logger: log, observer, guard, agentSpeaking },
      this.userTurnEvents(),
    );
    this.llmWarmth = new LlmWarmth({
      responder: this.speech.responder,
      timers,
      intervalMs: config.llmWarmIntervalMs,
      callerSpeaking: () => this.userTurns.callerSpeaking,
    });
    this.policies = new CallPolicies(timers, config, {
      reprompt: (text, n) => this.say('prompt', text, `reprompt_${n}`),
      close: (text, reason) => this.closeCall(text, reason),
      dtmfTurn: (turn, digits) => this.onDtmfTurn(turn, digits),
    });
    if (config.greetingText.trim() !== '') {
      const greeting = this.registry.track(new SpeechHandle(this.speech, { id: 0, kind: 'greeting' }));
      this.current = greeting;
      this.scope.background('greeting', greeting.speakPhrase(config.greetingText));
    } else this.waitForCaller();
  }

  private userTurnEvents(): UserTurnEvents {
    return {
      speechStarted: (utteranceId, atMs) => {
        this.speechStart = { utteranceId, overAgent: this.registry.playback.speaking };
        if (!this.closing) this.llmWarmth.speechStarted();
        this.policies.silence.busy();
        this.maybeTakeBack(atMs);
      },
      partial: (partial) => {
        if (!this.config.llmPreemptive) return;
        if (this.registry.playback.speaking || (this.current && !this.current.finalized)) return;
        this.preemptive.consider(partial, !this.userTurns.callerSpeaking);
      },
      lateFinal: (utteranceId, text, atMs) => this.onLateFinal(utteranceId, text, atMs),
      turnEnded: (turn) => this.onTurnEnded(turn),
      bargeIn: () => {
        if (this.closing) return;
        this.bargedInDuringSpeech = true;
        this.interrupt('barge-in');
      },
    };
  }

  private onLateFinal(utteranceId: number, text: string, atMs: number): void {
    const empty = this.emptyTurn;
    if (empty && empty.turn.utteranceId === utteranceId && text.trim() !== '') {
      this.scope.timers.clear(empty.timer);
      this.emptyTurn = undefined;
      this.startAnswer({ ...empty.turn, transcript: text, endedAtMs: atMs });
      return;
    }
    for (const r of this.registry.recordsOf(utteranceId)) r.lateFinalText = text;
    this.scope.log.info({ utteranceId, chars: text.length }, 'late final recorded (no new answer)');
  }

  private onTurnEnded(turn: TurnEnd): void {
    const { utteranceId, transcript, rule } = turn;
    const { log, observer, timers } = this.scope;
    if (this.handledUtterances.has(utteranceId)) return;
    this.handledUtterances.add(utteranceId);
    if (this.handledUtterances.size > 1000)
      this.handledUtterances.delete(this.handledUtterances.values().next().value as number);
    observer?.turnEnded?.({ utteranceId, transcript, rule, atMs: turn.endedAtMs });
    turnsTotal.inc({ rule });
    if (this.closing) return;
    const interrupted = this.bargedInDuringSpeech;
    this.bargedInDuringSpeech = false;
    if (this.registry.playback.speaking && !interrupted && !this.startedOverAgent(utteranceId)) {
      // The caller was talking before the agent's audio began (an answer that came late): not a
      // backchannel, however little of it overlapped. Stop the agent; the turn is answered below.
      this.interrupt('caller-overlap');
    } else if (this.registry.playback.speaking && !interrupted) {
      // Speech shorter than the barge-in threshold during agent speech: a noise or backchannel.
      turnOutcomes.inc({ outcome: 'ignored' });
      log.info(
        { utteranceId, rule },
        'caller turn during agent speech below barge-in threshold: not answered',
      );
      return;
    }
    if (transcript.trim() !== '') return this.startAnswer(turn);
    // The endpointer decided before any text arrived (e.g. no-voice timeout): wait for the final.
    if (this.emptyTurn) {
      timers.clear(this.emptyTurn.timer);
      this.finishUnanswered(this.emptyTurn.turn);
    }
    const timer = timers.set(() => {
      if (this.emptyTurn?.turn !== turn) return;
      this.emptyTurn = undefined;
      this.finishUnanswered(turn);
    }, EMPTY_TURN_FINAL_WAIT_MS);
    this.emptyTurn = { turn, timer };
  }

  /** Whether the utterance began while agent audio was playing (unknown: assume it did). */
  private startedOverAgent(utteranceId: number): boolean {
    return this.speechStart?.utteranceId === utteranceId ? this.speechStart.overAgent : true;
  }

  private finishUnanswered(turn: TurnEnd): void {
    turnOutcomes.inc({ outcome: 'no_transcript' });
    const { utteranceId, rule } = turn;
    this.scope.log.info({ utteranceId, rule }, 'caller turn ended without a transcript: not answered');
    this.waitForCaller();
  }

  private startAnswer(confirmed: TurnEnd, dtmfDigits?: string): void {
    if (this.closing) return;
    this.policies.silence.busy();
    this.policies.silence.heard();
    // Keys pressed and not sent yet go with this turn, before what the caller said.
    const pendingDigits = this.policies.dtmf.takePending();
    const guess = this.preemptive.candidateFor(confirmed.utteranceId);
    const userText = answerText(guess, confirmed.transcript.trim(), confirmed.tailSettled ?? true);
    const turn =
      userText === confirmed.transcript.trim() ? confirmed : { ...confirmed, transcript: userText };
    const previous = this.current;
    if (previous?.kind === 'answer' && !previous.finalized && previous.outcome === undefined) {
      // The caller kept talking before any of the previous answer was heard: the history merges
      // the two user messages (nothing of the old answer was played), and one answer follows.
      if (!this.registry.playback.speaking) previous.supersede();
    }
    const record = answerRecord(++this.turnCounter, turn);
    const pre = this.preemptive.take(turn.utteranceId);
    if (pre) {
      record.preemptiveCandidate = pre.generation.candidate;
      record.preemptiveStarts = pre.starts;
      record.preemptiveTrail = pre.trail.join('>');
    }
    const init = { id: record.turnId, kind: 'answer' as const, userText, record, ...(pre ? { pre } : {}) };
    const handle = this.registry.track(new SpeechHandle(this.speech, init));
    const settlePrev = previous && !previous.finalized ? previous.close('superseded') : Promise.resolve();
    this.current = handle;
    // A keypad turn is never taken back (its digits are not words to continue).
    const last: PendingAnswer | undefined =
      dtmfDigits === undefined && pendingDigits === '' ? { turn, handle, committed: false } : undefined;
    this.lastAnswer = last;
    const toHistory = (): void => {
      if (pendingDigits !== '') this.history.addDtmf(pendingDigits);
      if (dtmfDigits !== undefined) this.history.addDtmf(dtmfDigits);
      else this.history.addUser(userText);
      if (last) last.committed = true;
    };
    const answered = settlePrev.then(() => handle.speakAnswer(toHistory));
    this.scope.background(
      'answer',
      answered.then((completed) => completed && this.afterAnswer(handle)),
    );
  }

  /**
   * The caller speaks again: if the turn that just ended is still being answered and none of its
   * audio was sent, it was a pause, not a turn end. The answer is withdrawn silently (its request
   * aborted, its user text out of the history, its record 'takenBack') and the caller's new words
   * continue the same utterance, so one answer follows the whole sentence (turn/take-back.ts).
   */
  private maybeTakeBack(atMs: number): void {
    const last = this.lastAnswer;
    if (!last || this.closing) return;
    const { handle, turn } = last;
    const decision = decideTakeBack(
      {
        answerPending: handle === this.current && !handle.finalized && handle.outcome === undefined,
        answerAudioSent: handle.hasAudio,
        sinceTurnEndMs: atMs - turn.endedAtMs,
      },
      this.config.endpointTakeBackMs,
    );
    if (!decision.takeBack) return;
    this.lastAnswer = undefined;
    if (last.committed) this.history.retractUser(handle.userText);
    this.userTurns.takeBack(turn.utteranceId);
    this.scope.log.info(
      { turnId: handle.id, utteranceId: turn.utteranceId, sinceTurnEndMs: Math.round(atMs - turn.endedAtMs) },
      'caller went on before any answer audio: turn taken back',
    );
    this.scope.background('take-back', handle.takeBack());
  }

  private afterAnswer(handle: SpeechHandle): void {
    const action = handle.toolState?.action;
    if (action !== undefined && handle.outcome === undefined && !this.disposed && this.current === handle)
      return this.perform(action, handle);
    // The offline responder said goodbye and the caller heard it: end the call like a person would.
    if (handle.outcome !== undefined || handle.fullText.trim() !== SCRIPTED_GOODBYE) return;
    if (this.disposed || this.current !== handle) return;
    this.scope.log.info({ turnId: handle.id }, 'goodbye played: hanging up');
    this.closing = true;
    this.policies.silence.stop();
    this.actions.endCall('goodbye');
  }

  /**
   * The model ended the call or asked for a transfer, and the caller heard what it said before:
   * now act. A transfer Twilio refuses is said honestly and the conversation goes on.
   */
  private perform(action: CallAction, handle: SpeechHandle): void {
    this.closing = true;
    this.policies.silence.stop();
    if (action.type === 'end_call') {
      this.scope.log.info({ turnId: handle.id }, 'the model ended the call: goodbye heard, hanging up');
      return this.endCall('goodbye');
    }
    const transfer = this.actions.transfer?.bind(this.actions);
    const target = action.target.name;
    this.scope.log.info({ turnId: handle.id, target }, 'transferring the call');
    const done = transfer ? transfer(target) : Promise.reject(new Error('transfers are not configured'));
    this.scope.background(
      'transfer',
      done.catch((err: unknown) => {
        this.scope.log.warn({ err, target }, 'transfer failed: the call goes on');
        this.closing = false;
        if (!this.disposed) this.say('prompt', this.config.transferFailedText, 'transfer_failed');
      }),
    );
  }

  /** The agent finished and nobody talks: the silence policy starts counting. */
  private waitForCaller(): void {
    if (this.closing || this.disposed || this.userTurns.callerSpeaking) return;
    if (this.registry.playback.speaking || (this.current && !this.current.finalized)) return;
    this.policies.silence.idle();
  }

  /** A phrase the agent says on its own (a re-prompt), as the current handle. */
  private say(kind: 'prompt', text: string, action: string): void {
    callPolicyActions.inc({ action });
    const handle = this.registry.track(new SpeechHandle(this.speech, { id: --this.phraseIds, kind }));
    this.current = handle;
    this.scope.background(kind, handle.speakPhrase(text));
  }

  /** Stops whatever the agent says, says the closing sentence, then ends the call once it was heard. */
  private closeCall(text: string, reason: 'max_duration' | 'silence'): void {
    if (this.closing || this.disposed) return;
    this.closing = true;
    this.policies.silence.stop();
    callPolicyActions.inc({ action: `close_${reason}` });
    this.scope.log.info({ reason }, 'closing the call');
    const previous = this.current;
    if (this.registry.playback.speaking) this.registry.playback.clear();
    const settlePrev = previous && !previous.finalized ? previous.close('ended') : Promise.resolve();
    const goodbye = this.registry.track(
      new SpeechHandle(this.speech, { id: --this.phraseIds, kind: 'goodbye' }),
    );
    this.current = goodbye;
    // Bounded: a closing whose mark never echoes still ends the call.
    const heard = settlePrev.then(() => goodbye.speakPhrase(text));
    const bound = this.scope.timers.delay(CLOSING_MAX_WAIT_MS).promise;
    this.scope.background(
      'closing',
      Promise.race([heard, bound]).then(() => this.endCall(reason)),
    );
  }

  private endCall(reason: string): void {
    if (!this.disposed) this.actions.endCall(reason);
  }

  /** Keys pressed on the phone, complete (finish key or inter-digit timeout): a caller turn. */
  private onDtmfTurn(turn: TurnEnd, digits: string): void {
    if (this.closing || this.disposed) return;
    callPolicyActions.inc({ action: 'dtmf_turn' });
    const { utteranceId, transcript, rule, endedAtMs: atMs } = turn;
    this.scope.observer?.turnEnded?.({ utteranceId, transcript, rule, atMs });
    turnsTotal.inc({ rule });
    if (this.registry.playback.speaking) this.interrupt('dtmf');
    this.startAnswer(turn, digits);
  }

  /** Stops the agent: clear Twilio's buffer, abort LLM/TTS, keep in history only what was heard. */
  private interrupt(reason: string): void {
    const handle = this.current;
    const { playback } = this.registry;
    const wasSpeaking = playback.speaking;
    if (wasSpeaking) playback.clear();
    if (!handle || handle.finalized) return;
    bargeInsTotal.inc();
    this.scope.log.info({ turnId: handle.id, reason, wasSpeaking }, 'agent interrupted by the caller');
    this.scope.observer?.bargeIn?.({ turnId: handle.id, wasSpeaking, atMs: this.scope.clock.now() });
    this.scope.background('interrupt', handle.interrupt());
  }

  onAudio(chunk: AudioChunk): void {
    if (!this.disposed) this.userTurns.onAudio(chunk);
  }

  onMark(name: string, outcome: MarkOutcome): void {
    if (!this.disposed) this.scope.guard('mark', () => void this.registry.playback.onMark(name, outcome));
  }

  onDtmf(digit: string): void {
    if (this.disposed) return;
    dtmfTotal.inc();
    this.scope.log.info({ digit }, 'DTMF digit');
    if (this.closing) return;
    this.policies.silence.busy();
    this.policies.silence.heard();
    this.policies.dtmf.press(digit, this.scope.clock.now());
  }

  async dispose(reason: string): Promise<void> {
    if (this.disposed) return;
    const handle = this.current;
    if (handle && !handle.finalized && !handle.finalizing) await handle.close('ended');
    this.disposed = true;
    this.scope.timers.clearAll();
    this.emptyTurn = undefined;
    this.current?.stop();
    this.preemptive.cancel();
    this.registry.playback.dispose();
    await this.userTurns.close();
    this.scope.callTrace?.end(this.scope.clock.now(), reason);
    this.scope.observer?.ended?.(reason);
    this.scope.log.info({ reason, turns: this.turnCounter }, 'call session disposed');
  }
}
