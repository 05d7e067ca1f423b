// The tools of one call, ready for its answers: the process-wide tool config (loaded at boot)
// bound to this call's clock, responder and DTMF output. An answer asks `respond` for its text
// stream; the hooks tell the answer's handle what happened (tool timings for its record, the
// action to perform once heard, the exchange for the history).
import type { Config } from '../config/schema.ts';
import type { RespondRequest, Responder } from '../llm/types.ts';
import type { ToolConfig } from './config.ts';
import { respondWithTools, type ToolLoopOptions } from './loop.ts';
import { createToolRunner, type AgentToolRunner } from './runner.ts';
import type { ToolClock } from './types.ts';

export type AnswerHooks = Pick<ToolLoopOptions, 'onToolCall' | 'onAction' | 'onExchange' | 'gate'>;

export interface CallTools {
  readonly runner: AgentToolRunner;
  respond(request: RespondRequest, hooks: AnswerHooks): AsyncIterable<string>;
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
  return {
    runner,
    respond: (request, hooks) =>
      respondWithTools(request, {
        responder: deps.responder,
        runner,
        clock,
        maxRounds: config.llmToolMaxRounds,
        fillerAfterMs: config.toolFillerAfterMs,
        fillerText: config.toolFillerText,
        errorText: config.toolErrorText,
        actionText: (a) => (a.type === 'end_call' ? config.goodbyeText : config.transferText),
        ...hooks,
      }),
  };
}
