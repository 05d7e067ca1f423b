// A sentence's synthesis tried again on a transient provider failure (Google's UNAVAILABLE or
// RESOURCE_EXHAUSTED, a deadline), before any of its audio has been received: a sentence is never
// spoken twice or half. The wait comes from the caller's clock (the call's timers), so a test runs
// it on fake time and a call that ends releases it.
import type { SynthesizeRequest, Synthesizer } from './types.ts';
import { SynthesizerError } from './errors.ts';
import { ttsRetries } from './metrics.ts';

export interface SynthesisRetryPolicy {
  /** Retries after the first attempt (TTS_RETRY_ATTEMPTS); 0: none. */
  readonly attempts: number;
  /** Wait before the first retry (TTS_RETRY_BACKOFF_MS); doubles per retry. */
  readonly backoffMs: number;
}

/** Resolves after `ms`, or at once when `signal` fires. */
export type RetryDelay = (ms: number, signal: AbortSignal) => Promise<void>;

/** Failures worth another attempt: the service said it is briefly unable (or ran out of time). */
export function isTransientSynthesisError(e: unknown): boolean {
  return e instanceof SynthesizerError && (e.kind === 'unavailable' || e.kind === 'timeout');
}

/** synthesizer.synthesize(request), retried per `policy` while no audio has come from it. */
export async function* synthesizeWithRetry(
  synthesizer: Synthesizer,
  request: SynthesizeRequest,
  policy: SynthesisRetryPolicy,
  delay: RetryDelay,
): AsyncIterable<Buffer> {
  for (let attempt = 0; ; attempt++) {
    let audio = false;
    try {
      for await (const chunk of synthesizer.synthesize(request)) {
        if (chunk.length > 0) audio = true;
        yield chunk;
      }
      return;
    } catch (e) {
      if (audio || request.signal.aborted || attempt >= policy.attempts || !isTransientSynthesisError(e))
        throw e;
      ttsRetries.inc({ provider: synthesizer.name, kind: (e as SynthesizerError).kind });
      await delay(policy.backoffMs * 2 ** attempt, request.signal);
      if (request.signal.aborted) return;
    }
  }
}
