// The tools of one call, ready for its answers: the process-wide tool config (loaded at boot)
// bound to this call's clock, responder and DTMF output. Each answer has an AnswerTools state:
// its tool timings (for the turn record), the action to perform once heard, and the exchange
// for the history. A preemptive answer (started on a guess) gets its state through
// `preemptive`, gated: its tools run only once `takePreemptive` confirms it, so a guess never
// acts. The session keeps at most one guess at a time (a new one cancels the last), so the
// latest guess is the one an answer can take over.
import type { Config } from '../config/schema.ts';
import type { ChatMessage, RespondRequest, Responder } from '../llm/types.ts';
import type { ToolConfig } from './config.ts';
import { respondWithTools, type ToolTiming } from './loop.ts';
import { createToolRunner, type AgentToolRunner } from './runner.ts';
import type { CallAction, ToolClock } from './types.ts';

/** What one answer's tools did. */
export class AnswerTools {
  readonly timings: ToolTiming[] = [];
  /** Call-clock time the filler should start by (the caller's speech end + TOOL_FILLER_AFTER_MS). */
  fillerDeadlineMs: number | undefined;
  readonly exchange: ChatMessage[] = [];
  action: CallAction | undefined;
  /** Tools wait for it; open unless the answer is a preemptive guess. */
  readonly gate: Promise<void>;
  private release!: () => void;

  constructor(open = true) {
    this.gate = new Promise((resolve) => (this.release = resolve));
    if (open) this.release();
  }

  open(): void {
    this.release();
  }
}

export interface CallTools {
  readonly runner: AgentToolRunner;
  /** An answer's text stream with tools; `state` collects what its tools did. */
  respond(request: RespondRequest, state: AnswerTools): AsyncIterable<string>;
  /** For preemptive requests: tools declared, but run only after `takePreemptive()`. */
  readonly preemptive: Responder;
  /** The latest preemptive request was kept: its tools may run now; its state. */
  takePreemptive(): AnswerTools | undefined;
}

export interface CallToolsDeps {
  readonly config: Pick<
    Config,
    | 'llmToolMaxRounds'
    | 'toolFillerAfterMs'
    | 'toolFillerText'
    | 'toolErrorText'
    | 'goodbyeText'
    | 'transferText'
    | 'dtmfActionEnabled'
  >;
  readonly tools: ToolConfig;
  readonly responder: Responder;
  readonly clock: ToolClock;
  /** Plays DTMF on this call (the session's actions seam). */
  readonly sendDtmf?: (digits: string) => Promise<void>;
  readonly fetch?: typeof fetch;
}

/** Undefined when the responder cannot call tools (the offline scripted one). */
export function createCallTools(deps: CallToolsDeps): CallTools | undefined {
  if (deps.responder.respondEvents === undefined) return undefined;
  const { config, clock } = deps;
  const sendDtmf = deps.sendDtmf;
  const runner = createToolRunner({
    config: deps.tools,
    dtmfEnabled: config.dtmfActionEnabled,
    ...(sendDtmf ? { sendDtmf: (digits: string) => sendDtmf(digits) } : {}),
    http: { clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
  });
  let latestGuess: AnswerTools | undefined;
  const respond = (request: RespondRequest, state: AnswerTools): AsyncIterable<string> =>
    respondWithTools(request, {
      responder: deps.responder,
      runner,
      clock,
      maxRounds: config.llmToolMaxRounds,
      fillerAfterMs: config.toolFillerAfterMs,
      fillerText: config.toolFillerText,
      errorText: config.toolErrorText,
      actionText: (a) => (a.type === 'end_call' ? config.goodbyeText : config.transferText),
      gate: state.gate,
      fillerDeadlineMs: () => state.fillerDeadlineMs,
      onToolCall: (t) => state.timings.push(t),
      onAction: (a) => (state.action ??= a),
      onExchange: (m) => state.exchange.push(...m),
    });
  return {
    runner,
    respond,
    preemptive: {
      name: deps.responder.name,
      respond(request) {
        const state = new AnswerTools(false);
        latestGuess = state;
        return respond(request, state);
      },
    },
    takePreemptive() {
      const state = latestGuess;
      latestGuess = undefined;
      state?.open();
      return state;
    },
  };
}
