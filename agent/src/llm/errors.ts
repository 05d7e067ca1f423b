// Typed responder failures: the session maps every kind to the cached apology; the kind goes to
// logs and the hva_llm_requests_total{outcome} label.
export type ResponderErrorKind =
  | 'timeout' // no first token within LLM_FIRST_TOKEN_TIMEOUT_MS
  | 'rate_limited' // 429 after all retries
  | 'server' // 5xx after all retries (or after the first token)
  | 'stalled' // no delta for LLM_STALL_TIMEOUT_MS after the first token
  | 'network' // connection refused/reset
  | 'auth' // 401/403
  | 'bad_request' // other 4xx: model name, parameters
  | 'empty' // stream ended without any text (and without tool calls)
  | 'malformed'; // a streamed tool call that cannot be put together (no id or name)

export class ResponderError extends Error {
  readonly kind: ResponderErrorKind;
  readonly status: number | undefined;
  /** Whether any text had been yielded before the failure (the answer is cut mid-way). */
  readonly afterFirstToken: boolean;
  readonly attempts: number;
  constructor(
    kind: ResponderErrorKind,
    message: string,
    options: { status?: number; afterFirstToken?: boolean; attempts?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ResponderError';
    this.kind = kind;
    this.status = options.status;
    this.afterFirstToken = options.afterFirstToken ?? false;
    this.attempts = options.attempts ?? 1;
  }
}

/** Retry before the first token only for these. */
export function isRetryableKind(kind: ResponderErrorKind): boolean {
  return kind === 'rate_limited' || kind === 'server' || kind === 'network';
}
