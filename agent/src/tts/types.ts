// The text-to-speech contract: text in, raw mu-law 8 kHz chunks out (no headers), cancellable.
export interface SynthesizeRequest {
  readonly callId: string;
  /** What to say as plain text (also what the caller is recorded as having heard). */
  readonly text: string;
  /** The same words as an SSML <speak> document; used only by a synthesiser with acceptsSsml. */
  readonly ssml?: string;
  readonly signal: AbortSignal;
}

export interface Synthesizer {
  readonly name: string;
  /** Takes SSML input (Google Wavenet/Standard/Neural2 voices); the speakable text adds <say-as> then. */
  readonly acceptsSsml?: boolean;
  /** Yields raw mu-law 8 kHz audio (never a file header) as it becomes available. */
  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer>;
  /** Resolves when the provider is usable (voices listed, engine loaded). */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}
