// What a session is made from (SessionDeps), what every part of one call shares (CallScope: its
// clock and owned timers, the guard that keeps one failing step from ending the call, its trace
// span, its optional observer, the reporter of finished turn records), and the agent-side parts
// a session composes (CallParts: playback and handles, history, speech deps, preemptive slot).
import type { Config } from '../config/schema.ts';
import type { Responder } from '../llm/types.ts';
import type { StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { CallTrace, Tracing } from '../telemetry/tracing.ts';
import type { Synthesizer } from '../tts/types.ts';
import { ConversationHistory } from '../llm/history.ts';
import { streamActions, type CallActions } from './actions.ts';
import {
  createSpeechRegistry,
  type AgentSpeechDeps,
  type PhraseSource,
  type SpeechHandle,
  type SpeechRegistry,
} from './agent-speech.ts';
import { PreemptiveSlot } from './preemptive-slot.ts';
import type { TurnComponents } from './components.ts';
import { createCallClock, ownedTimers, type CallClock, type OwnedTimers } from './clock.ts';
import { sessionErrors } from './metrics.ts';
import { safeObserver, type CallObserver, type CallObserverFactory } from './observer.ts';
import { createTurnReporter } from './report.ts';
import type { TurnRecord } from './turn-record.ts';
import type { ToolConfig } from '../tools/config.ts';
import { createCallTools } from '../tools/call-tools.ts';
import type { CallContext } from './types.ts';

/** What a call session is made from (one set per process; one session per call). */
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
  /** HTTP tools and transfer targets the model may use (tools/config.ts); none: text answers only. */
  readonly tools?: ToolConfig;
  /** How HTTP tools reach their backends (tests); default: global fetch. */
  readonly toolFetch?: typeof fetch;
  /** Observes every finished turn record (demo table, benchmarks, tests). */
  readonly onTurn?: (record: Readonly<TurnRecord>, callSid: string) => void;
  /** Per-call observer of transcript, spoken segments, barge-ins and turn records (the playground feed). */
  readonly observe?: CallObserverFactory;
}

export interface CallScope {
  readonly callId: string;
  readonly log: Logger;
  readonly clock: CallClock;
  readonly timers: OwnedTimers;
  /** Runs fn(arg); a throw is logged and counted, the call goes on. */
  readonly guard: <A>(where: string, fn: (arg: A) => void, arg?: A) => void;
  /** Same for a promise nobody awaits. */
  readonly background: (where: string, p: Promise<unknown>) => void;
  readonly callTrace: CallTrace | undefined;
  readonly observer: CallObserver | undefined;
  readonly report: (record: TurnRecord) => void;
}

export function createCallScope(ctx: CallContext, deps: SessionDeps): CallScope {
  const { info, sink, logger: log } = ctx;
  const callId = info.callSid;
  const clock = deps.clock?.(ctx) ?? createCallClock(() => sink.now());
  const fail = (where: string, err: unknown): void => {
    sessionErrors.inc({ where });
    log.error({ err, where }, 'call session error');
  };
  // The argument form lets per-frame callers pass a hoisted function instead of a fresh closure.
  const guard = <A>(where: string, fn: (arg: A) => void, arg?: A): void => {
    try {
      fn(arg as A);
    } catch (err) {
      fail(where, err);
    }
  };
  const callTrace = deps.tracing?.startCallSpan({
    callSid: info.callSid,
    streamSid: info.streamSid,
    parentTraceparent: info.customParameters['traceparent'],
    startedAtMs: info.startedAtMs,
  });
  const observer = safeObserver(deps.observe?.(info), (err, method) => {
    sessionErrors.inc({ where: 'observer' });
    log.warn({ err, method }, 'call observer failed: no further events for this call');
  });
  return {
    callId,
    log,
    clock,
    timers: ownedTimers(clock, guard),
    guard,
    background: (where, p) => void p.catch((err: unknown) => fail(where, err)),
    callTrace,
    observer,
    report: createTurnReporter({ callId, logger: log, callTrace, observer, onTurn: deps.onTurn }),
  };
}

/** The parts of one call the session composes (the caller side is added by the session). */
export interface CallParts {
  readonly scope: CallScope;
  readonly actions: CallActions;
  readonly registry: SpeechRegistry;
  readonly history: ConversationHistory;
  readonly speech: AgentSpeechDeps;
  readonly preemptive: PreemptiveSlot;
}

export function createCallParts(
  ctx: CallContext,
  deps: SessionDeps,
  components: TurnComponents,
  session: { closed(): boolean; settled(handle: SpeechHandle): void },
): CallParts {
  const { config, responder, synthesizer, phrases } = deps;
  const scope = createCallScope(ctx, deps);
  const { callId, log: logger, clock, timers } = scope;
  const registry = createSpeechRegistry(ctx.sink, scope);
  const history = new ConversationHistory({
    systemPrompt: config.llmSystemPrompt,
    maxTurns: config.llmMaxHistoryTurns,
  });
  const now = (): number => clock.now();
  const playback = registry.playback;
  const actions = deps.actions?.(ctx) ?? streamActions(ctx.sink);
  const sendDtmf = actions.sendDtmf?.bind(actions);
  const tools = deps.tools
    ? createCallTools({
        config,
        tools: deps.tools,
        responder,
        clock,
        ...(sendDtmf ? { sendDtmf } : {}),
        ...(deps.toolFetch ? { fetch: deps.toolFetch } : {}),
      })
    : undefined;
  const speech: AgentSpeechDeps = {
    ...{ config, responder, synthesizer, phrases, components, playback, timers, now, callId, logger },
    ...(tools ? { tools } : {}),
    messages: () => history.messages(),
    closed: () => session.closed(),
    // Only what was heard; the next user message is added after this (an answer waits for it).
    // An answer's tool calls and results are kept whether or not the words around them were heard.
    onSettled: (handle, heard) => {
      if (handle.toolState) history.addToolExchange(handle.toolState.exchange);
      history.addAssistant(heard);
      if (handle.record) scope.report(handle.record);
      session.settled(handle);
    },
  };
  const preemptive = new PreemptiveSlot({
    // With tools, a guess declares them too, and runs them only if it is kept.
    ...{ config, responder: tools?.preemptive ?? responder, callId, logger, now },
    messagesWithUser: (text) => history.messagesWithUser(text),
    speculative: { synthesizer, createSplitter: () => components.createSplitter() },
  });
  return { scope, actions, registry, history, speech, preemptive };
}
