// A synthesis failure the session can act on (apologise, log) without knowing the provider.
export type SynthesizerErrorKind = 'invalid_argument' | 'unavailable' | 'timeout' | 'engine' | 'internal';

export class SynthesizerError extends Error {
  readonly kind: SynthesizerErrorKind;
  readonly provider: string;
  /** gRPC status code when the provider is Google (or its emulator). */
  readonly grpcCode: number | undefined;
  constructor(
    provider: string,
    kind: SynthesizerErrorKind,
    message: string,
    options: { cause?: unknown; grpcCode?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SynthesizerError';
    this.provider = provider;
    this.kind = kind;
    this.grpcCode = options.grpcCode;
  }
}

/** Raised inside providers when the request's signal fires; providers end quietly on it. */
export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: unknown }).code === 'ABORT_ERR');
}
