// The text-to-speech contract: text in, raw mu-law 8 kHz chunks out (no headers), cancellable.
export interface SynthesizeRequest {
  readonly callId: string;
  readonly text: string;
  readonly signal: AbortSignal;
}

export interface Synthesizer {
  readonly name: string;
  /** Yields raw mu-law 8 kHz audio (never a file header) as it becomes available. */
  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer>;
  /** Resolves when the provider is usable (voices listed, engine loaded). */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}
