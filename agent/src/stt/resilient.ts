// Streaming recognition that never silently degrades. Composes one raw streaming provider and a
// one-shot recognizer per call:
// - rotation before the provider's stream limit, replaying the audio since the last final into
//   the new stream (call-clock timestamps, duplicate text suppressed at the seam);
// - retryable errors: reopen at once with jittered backoff (first retry < 200 ms), buffering and
//   then replaying the audio;
// - attempts exhausted: fallback, where the local VAD's utterances go out as concurrent one-shot
//   Recognize requests, while a background re-probe returns the call to streaming;
// - fatal errors: the call's STT fails loudly (onError retryable=false, logs, metrics, sttHealth).
// One session per call (resilient-session.ts: the state machine); its live stream and rotation
// in stream-rotation.ts, the fallback in one-shot-fallback.ts, the pure rules (tuning, backoff,
// seam duplicates) in resilience-policy.ts.
import { DEFAULT_TUNING, type ResilienceTuning } from './resilience-policy.ts';
import type { Config } from '../config/schema.ts';
import type { OneShotRecognizer, RawStreamingProvider } from './raw.ts';
import { ResilientSession } from './resilient-session.ts';
import type { Scheduler, StreamingStt } from './types.ts';

export type { Scheduler, ResilienceTuning };
export { DEFAULT_TUNING };

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ResilientSttDeps {
  readonly config: Pick<
    Config,
    'sttRetryAttempts' | 'sttRotationSeconds' | 'sttBufferSeconds' | 'sttStreaming'
  >;
  readonly streaming: RawStreamingProvider;
  readonly oneShot: OneShotRecognizer;
  readonly name?: string;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
  readonly tuning?: Partial<ResilienceTuning>;
  /** Called by close() of the returned StreamingStt (e.g. closes the client pool). */
  readonly onClose?: () => Promise<void>;
}

export function createResilientStt(deps: ResilientSttDeps): StreamingStt {
  const tuning: ResilienceTuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const scheduler = deps.scheduler ?? realScheduler;
  const random = deps.random ?? Math.random;
  const sessions = new Set<ResilientSession>();
  return {
    name: deps.name ?? `resilient(${deps.streaming.name})`,
    open(ctx, listener) {
      const s = new ResilientSession(deps, tuning, scheduler, random, ctx, listener, () =>
        sessions.delete(s),
      );
      sessions.add(s);
      s.start();
      return s;
    },
    async close() {
      await Promise.all([...sessions].map((s) => s.close()));
      await deps.onClose?.();
    },
  };
}
