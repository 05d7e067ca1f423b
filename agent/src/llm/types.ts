// The language-model contract: history in, a stream of text deltas out, cancellable.
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface RespondRequest {
  readonly callId: string;
  /** Conversation so far, oldest first, ending with the caller's latest user message. */
  readonly messages: readonly ChatMessage[];
  readonly signal: AbortSignal;
}

export interface Responder {
  readonly name: string;
  /** Yields text deltas as they arrive. Throws ResponderError on failure; stops on abort. */
  respond(request: RespondRequest): AsyncIterable<string>;
  /** Boot check: the endpoint answers and accepts the credentials. Rejects with the reason. */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}
