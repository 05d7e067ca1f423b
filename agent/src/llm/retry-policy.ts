// When a failed LLM request is tried again, and when the caller should hear the apology instead.
// Pure: the responder (openai.ts) feeds it the failure, the time left before the first-token
// deadline and the server's Retry-After; it never sleeps itself.
import { isRetryableKind, type ResponderErrorKind } from './errors.ts';

export interface RetryPolicy {
  /** Retries after the first attempt (LLM_RETRY_ATTEMPTS). */
  readonly retryAttempts: number;
  /** First backoff without a Retry-After; doubles per retry, with jitter. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export interface RetryInput {
  readonly kind: ResponderErrorKind;
  /** 0-based number of the attempt that just failed. */
  readonly attempt: number;
  /** Something (text or a tool-call fragment) already reached the caller's side: never retried. */
  readonly afterFirstToken: boolean;
  /** Time left until the turn's first-token deadline (ms). */
  readonly remainingMs: number;
  /** The server's Retry-After (retry-after-ms or retry-after), if it sent one. */
  readonly retryAfterMs: number | undefined;
}

export type RetryDecision =
  | { readonly retry: true; readonly waitMs: number }
  | { readonly retry: false; readonly reason: 'not_retryable' | 'attempts' | 'budget' };

/** Jittered exponential backoff before retry number `attempt` (0-based): [exp/2, exp]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/**
 * Retry only before the first token, only a kind worth retrying (429, 5xx, connection), only while
 * attempts are left, and only if the retry can be sent before the deadline. A server's Retry-After
 * is a floor, never shortened (OpenAI refuses anything sooner with another 429): when it does not
 * fit in the time left, the request fails now, so the caller hears the apology at once instead of
 * waiting out the deadline in silence.
 */
export function decideRetry(input: RetryInput, policy: RetryPolicy, random = Math.random): RetryDecision {
  if (input.afterFirstToken || !isRetryableKind(input.kind)) return { retry: false, reason: 'not_retryable' };
  if (input.attempt >= policy.retryAttempts) return { retry: false, reason: 'attempts' };
  const retryAfter =
    input.retryAfterMs !== undefined && Number.isFinite(input.retryAfterMs) && input.retryAfterMs >= 0
      ? input.retryAfterMs
      : undefined;
  const waitMs = retryAfter ?? backoffMs(input.attempt, policy.backoffBaseMs, policy.backoffMaxMs, random);
  if (waitMs >= input.remainingMs) return { retry: false, reason: 'budget' };
  return { retry: true, waitMs };
}

/**
 * The server's Retry-After from an error's response headers (retry-after-ms first, then seconds).
 * Any Headers-like object: undici's own fetch makes its own Headers class, not the global one.
 */
export function retryAfterFromHeaders(input: unknown): number | undefined {
  if (typeof (input as { get?: unknown } | null)?.get !== 'function') return undefined;
  const headers = input as { get(name: string): string | null };
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const s = headers.get('retry-after');
  if (s === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(s.trim())) return Number(s) * 1000;
  // RFC 9110 also allows an HTTP date.
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
