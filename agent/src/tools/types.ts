// What a tool is to the agent: a declaration the model sees (name, description, JSON Schema of
// its arguments) and something that runs it. HTTP tools come from config (tools/config.ts); the
// built-in actions (end the call, transfer, DTMF) are declared in tools/builtins.ts.
import type { ToolCall, ToolDefinition } from '../llm/types.ts';

/** The timers a call runs on (the call's injected clock; fake in tests). */
export interface ToolClock {
  /** Milliseconds on the call clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: ToolClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** An HTTP tool as declared in config (TOOLS_JSON / TOOLS_FILE, or VoiceAgent spec.tools). */
export interface HttpToolSpec extends ToolDefinition {
  readonly url: string;
  /** Whole request, connection included. */
  readonly timeoutMs: number;
  /** HMAC-SHA256 key the request body is signed with (from a Secret); empty: unsigned. */
  readonly secret: string;
}

/** Where the model may transfer a caller: a phone number (E.164) or a SIP address. */
export interface TransferTarget {
  /** What the model names (transfer_call {target}). */
  readonly name: string;
  readonly description: string;
  readonly number?: string;
  readonly sip?: string;
  /** DTMF sent once the far end answers (an IVR extension), `<Number sendDigits>`. */
  readonly sendDigits?: string;
}

export type ToolErrorReason =
  | 'unknown_tool'
  | 'invalid_arguments'
  | 'timeout'
  | 'http_error'
  | 'network'
  | 'bad_response'
  | 'action_failed'
  | 'too_many_calls';

/** A call the agent performs after the caller heard what was said before it. */
export type CallAction =
  { readonly type: 'end_call' } | { readonly type: 'transfer'; readonly target: TransferTarget };

export type ToolOutcome =
  /** Goes back to the model as the tool message. */
  | { readonly kind: 'result'; readonly content: string }
  /**
   * Goes back to the model as an error. `tellCaller`: the caller hears the honest sentence now
   * (a tool that failed or timed out); invalid arguments are the model's to fix, silently.
   */
  | {
      readonly kind: 'error';
      readonly reason: ToolErrorReason;
      readonly content: string;
      readonly tellCaller: boolean;
    }
  /** Ends the answer: the session speaks what was said, waits until heard, then acts. */
  | { readonly kind: 'action'; readonly action: CallAction; readonly content: string };

export interface ToolContext {
  readonly callSid: string;
  readonly signal: AbortSignal;
}

/** Runs one tool call. Never throws: every failure is a ToolOutcome of kind error. */
export interface ToolRunner {
  readonly definitions: readonly ToolDefinition[];
  run(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome>;
}
