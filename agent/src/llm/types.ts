// The language-model contract: history in, a stream of text deltas out, cancellable. A responder
// that can call tools also streams events: text deltas and, at the end of a round, the tool calls
// the model asked for (OpenAI function calling).

/** A tool call the model asked for; `arguments` is the model's JSON text, not yet parsed. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  /** assistant only: the tool calls of this message (its content may be empty). */
  readonly toolCalls?: readonly ToolCall[];
  /** tool only: the id of the call this message answers. */
  readonly toolCallId?: string;
}

/** A function the model may call: name, what it does, JSON Schema of its arguments. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface RespondRequest {
  readonly callId: string;
  /** Conversation so far, oldest first, ending with the caller's latest user message. */
  readonly messages: readonly ChatMessage[];
  readonly signal: AbortSignal;
}

export interface RespondWithToolsRequest extends RespondRequest {
  readonly tools: readonly ToolDefinition[];
  /** 'none': the model must answer in text (the last round of a bounded tool loop). */
  readonly toolChoice?: 'auto' | 'none';
}

export type ResponderEvent =
  | { readonly type: 'text'; readonly text: string }
  /** The round ended with tool calls (finish_reason tool_calls); always the last event. */
  | { readonly type: 'tool_calls'; readonly calls: readonly ToolCall[] };

export interface Responder {
  readonly name: string;
  /** Yields text deltas as they arrive. Throws ResponderError on failure; stops on abort. */
  respond(request: RespondRequest): AsyncIterable<string>;
  /**
   * One model round with tools declared: text deltas, then the tool calls if the model made any.
   * Only responders that can call tools have it. Throws ResponderError; stops on abort.
   */
  respondEvents?(request: RespondWithToolsRequest): AsyncIterable<ResponderEvent>;
  /** Boot check: the endpoint answers and accepts the credentials. Rejects with the reason. */
  ready?(): Promise<void>;
  /**
   * A request is coming soon (a caller is speaking): open or keep open a connection for it, at
   * no token cost. Never rejects. Responders with nothing to connect leave it out.
   */
  warm?(): Promise<void>;
  close?(): Promise<void>;
}
