// An answer that may act: model round -> tool calls -> results back to the model -> the answer
// continues, at most `maxRounds` rounds (then one last round that must answer in words). What the
// caller hears comes out as one text stream, so the session speaks it like any answer: the
// model's words, a short filler when tools run longer than `fillerAfterMs` (once per answer), an
// honest sentence when a tool fails (never silence). End-call and transfer stop the answer; the
// action is handed to `onAction`, for the session to perform once the caller heard it.
import type { ChatMessage, Responder, RespondRequest, ToolCall } from '../llm/types.ts';
import {
  toolCalls as toolCallsTotal,
  toolErrors,
  toolFillers,
  toolLatency,
  toolRoundsExhausted,
} from './metrics.ts';
import type { CallAction, ToolClock, ToolOutcome } from './types.ts';
import type { AgentToolRunner } from './runner.ts';

/** One tool call as the turn record keeps it (call-clock ms); spans and logs are drawn from it. */
export interface ToolTiming {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  /** 'ok', 'action', or the error reason. */
  readonly outcome: string;
}

export interface ToolLoopOptions {
  readonly responder: Responder;
  readonly runner: AgentToolRunner;
  readonly clock: ToolClock;
  readonly maxRounds: number;
  readonly fillerAfterMs: number;
  readonly fillerText: string;
  readonly errorText: string;
  /** Said when the model ended the call / transferred without a sentence of its own. */
  readonly actionText: (action: CallAction) => string;
  /**
   * Call-clock time by which the filler should have started (the caller's speech end +
   * fillerAfterMs): a tool that starts late gets it sooner, though never before it ran
   * FILLER_MIN_TOOL_MS, so that the caller hears something soon after they stopped talking.
   */
  readonly fillerDeadlineMs?: () => number | undefined;
  /** Tools wait for it (a preemptive answer runs tools only once its turn is confirmed). */
  readonly gate?: Promise<void>;
  readonly onToolCall?: (timing: ToolTiming) => void;
  readonly onAction?: (action: CallAction) => void;
  /** The assistant tool-call messages and tool results of this answer, for the history. */
  readonly onExchange?: (messages: readonly ChatMessage[]) => void;
}

/** Tool calls run per model round; a model asking for more gets an error for the rest. */
export const MAX_CALLS_PER_ROUND = 8;

/** A tool this fast never gets a filler, whatever the deadline. */
export const FILLER_MIN_TOOL_MS = 200;

/** How long tools may run before the filler: fillerAfterMs, or less to meet the deadline. */
export function fillerDelayMs(nowMs: number, fillerAfterMs: number, deadlineMs: number | undefined): number {
  if (deadlineMs === undefined) return fillerAfterMs;
  return Math.min(fillerAfterMs, Math.max(FILLER_MIN_TOOL_MS, deadlineMs - nowMs));
}

/** Text said by the agent itself is followed by a space so the splitter can close the sentence. */
const spoken = (text: string): string => `${text.trim()} `;

function outcomeLabel(o: ToolOutcome): string {
  return o.kind === 'result' ? 'ok' : o.kind === 'action' ? 'action' : o.reason;
}

/** The caller-facing text of an answer with tools. Throws what the responder throws. */
export async function* respondWithTools(request: RespondRequest, o: ToolLoopOptions): AsyncIterable<string> {
  const respondEvents = o.responder.respondEvents?.bind(o.responder);
  if (respondEvents === undefined || o.runner.definitions.length === 0) {
    yield* o.responder.respond(request);
    return;
  }
  const messages: ChatMessage[] = [...request.messages];
  const exchange: ChatMessage[] = [];
  let fillerSaid = false;
  let errorSaid = false;
  try {
    for (let round = 0; ; round++) {
      const last = round >= o.maxRounds;
      let roundText = '';
      let calls: readonly ToolCall[] | undefined;
      for await (const event of respondEvents({
        ...request,
        messages,
        tools: o.runner.definitions,
        toolChoice: last ? 'none' : 'auto',
      })) {
        if (event.type === 'text') {
          roundText += event.text;
          yield event.text;
        } else calls = event.calls;
      }
      if (calls === undefined || request.signal.aborted) return;
      // The model has answered (with calls): an empty delta tells the consumer so, and its
      // first-token deadline stops counting while the tools run.
      yield '';
      if (last) {
        // A server that ignores tool_choice none: stop here rather than loop.
        toolRoundsExhausted.inc();
        if (roundText.trim() === '') yield spoken(o.errorText);
        return;
      }
      if (o.gate !== undefined) await untilOpenOrAborted(o.gate, request.signal);
      if (request.signal.aborted) return;

      const fillerAfter = fillerDelayMs(o.clock.now(), o.fillerAfterMs, o.fillerDeadlineMs?.());
      // Calls past the limit are answered with an error, not run (every call needs its answer).
      const running = calls.map((call, i) =>
        i < MAX_CALLS_PER_ROUND ? runOne(o, request, call) : refuse(call),
      );
      const waitsOnBackend = calls.some((c) => !o.runner.isBuiltin(c.name));
      if (!fillerSaid && waitsOnBackend && (await slowerThan(Promise.all(running), fillerAfter, o.clock))) {
        if (request.signal.aborted) return;
        fillerSaid = true;
        toolFillers.inc();
        yield spoken(o.fillerText);
      }
      const outcomes = await Promise.all(running);
      if (request.signal.aborted) return;

      const step: ChatMessage[] = [
        { role: 'assistant', content: roundText, toolCalls: calls },
        ...calls.map((c, i) => ({ role: 'tool' as const, toolCallId: c.id, content: outcomes[i]!.content })),
      ];
      messages.push(...step);
      exchange.push(...step);

      const action = outcomes.find((x) => x.kind === 'action');
      if (action !== undefined && action.kind === 'action') {
        if (roundText.trim() === '') yield spoken(o.actionText(action.action));
        o.onAction?.(action.action);
        return;
      }
      if (!errorSaid && outcomes.some((x) => x.kind === 'error' && x.tellCaller)) {
        errorSaid = true;
        yield spoken(o.errorText);
      }
    }
  } finally {
    if (exchange.length > 0) o.onExchange?.(exchange);
  }
}

/** A call past MAX_CALLS_PER_ROUND: answered with an error, not run (every call needs its answer). */
function refuse(call: ToolCall): Promise<ToolOutcome> {
  toolCallsTotal.inc({ tool: call.name, outcome: 'too_many_calls' });
  toolErrors.inc({ tool: call.name, reason: 'too_many_calls' });
  return Promise.resolve({
    kind: 'error',
    reason: 'too_many_calls',
    content: `error: at most ${MAX_CALLS_PER_ROUND} tool calls per turn; this one was not run`,
    tellCaller: false,
  });
}

/** Runs one tool call, counted, timed and reported to onToolCall. */
async function runOne(o: ToolLoopOptions, request: RespondRequest, call: ToolCall): Promise<ToolOutcome> {
  const startMs = o.clock.now();
  const outcome = await o.runner.run(call, { callSid: request.callId, signal: request.signal });
  const endMs = o.clock.now();
  const label = outcomeLabel(outcome);
  toolCallsTotal.inc({ tool: call.name, outcome: label });
  if (outcome.kind === 'error') toolErrors.inc({ tool: call.name, reason: outcome.reason });
  toolLatency.observe({ tool: call.name }, (endMs - startMs) / 1000);
  o.onToolCall?.({ name: call.name, startMs, endMs, outcome: label });
  return outcome;
}

/** Waits for the gate; an aborted request stops waiting (a discarded guess never hangs). */
function untilOpenOrAborted(gate: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void gate.then(done);
  });
}

/** True when `work` is still running after `ms` on the clock (then it keeps running). */
function slowerThan(work: Promise<unknown>, ms: number, clock: ToolClock): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(true), ms);
    void work.then(
      () => {
        clock.clearTimeout(timer);
        resolve(false);
      },
      () => {
        clock.clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
