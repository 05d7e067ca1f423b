// The decisions of a resilient STT session that need no I/O and no timers: its tuning, how long
// to wait before each retry, re-probe and one-shot retry, when a stream rotates early, and why a
// streaming final is not delivered. Kept pure so each rule reads (and tests) on its own.

export interface ResilienceTuning {
  /** A stream counts as healthy (attempts reset) on its first response or after this long without error. */
  readonly healthyAfterMs: number;
  /** Before the hard rotation deadline, rotate at the first quiet moment within this window. */
  readonly rotationSoftWindowMs: number;
  /** Fallback re-probe backoff: first delay and cap. */
  readonly probeInitialMs: number;
  readonly probeMaxMs: number;
  /** Retry backoff after the first (which is 50-150 ms): base doubling, capped. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** No result at all for an utterance the local VAD cut, this long after the cut: the stream is stalled. 0 disables. */
  readonly stallTimeoutMs: number;
  /** When no audio was written for this long, send silence so the provider's audio timeout never fires. */
  readonly keepaliveMs: number;
  /** Extra audio around a VAD utterance sent to one-shot Recognize. */
  readonly oneShotPadMs: number;
  /** Retries of a retryable one-shot failure. */
  readonly oneShotRetries: number;
  /**
   * A one-shot utterance (all its attempts) still unanswered after this long is given up, so
   * the finals after it, held back to keep utterance order, are released.
   */
  readonly oneShotTimeoutMs: number;
}

export const DEFAULT_TUNING: ResilienceTuning = {
  healthyAfterMs: 1500,
  rotationSoftWindowMs: 30_000,
  probeInitialMs: 1000,
  probeMaxMs: 30_000,
  retryBaseMs: 250,
  retryMaxMs: 3000,
  stallTimeoutMs: 5000,
  keepaliveMs: 2000,
  oneShotPadMs: 150,
  oneShotRetries: 2,
  oneShotTimeoutMs: 8000,
};

/**
 * Delay before reopening after the attempt-th consecutive stream error. The first retry is
 * immediate in human terms (50-150 ms) so a blip is never heard; later ones back off with jitter.
 */
export function retryDelayMs(attempt: number, tuning: ResilienceTuning, random: () => number): number {
  if (attempt <= 1) return 50 + random() * 100;
  const base = Math.min(tuning.retryBaseMs * 2 ** (attempt - 1), tuning.retryMaxMs);
  return base * (0.5 + random() * 0.5);
}

/** Delay before the attempt-th (1-based) re-probe of streaming during a fallback. */
export function probeDelayMs(attempt: number, tuning: ResilienceTuning, random: () => number): number {
  const base = Math.min(tuning.probeInitialMs * 2 ** (attempt - 1), tuning.probeMaxMs);
  return base * (0.75 + random() * 0.5);
}

/** Delay before retrying a one-shot Recognize after its attempt-th (0-based) retryable failure. */
export function oneShotRetryDelayMs(attempt: number, random: () => number): number {
  return 200 * 2 ** attempt * (0.5 + random() * 0.5);
}

/**
 * When, after a stream opened, it starts looking for a quiet moment to rotate: the soft window
 * before the hard deadline, never more than 30 % of the stream's life.
 */
export function softRotationMs(rotationMs: number, tuning: ResilienceTuning): number {
  return Math.max(0, rotationMs - Math.min(tuning.rotationSoftWindowMs, rotationMs * 0.3));
}

/** What a streaming final is measured against to decide whether it is delivered. */
export interface FinalContext {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The stream opened after a rotation or reconnect and this is its first final. */
  readonly atSeam: boolean;
  readonly lastFinalText: string;
  /** Call time where streaming took over from the fallback's one-shot recognition. */
  readonly handoffMs: number;
  /** End of the latest utterance sent to one-shot recognition. */
  readonly oneShotOwnedEndMs: number;
}

/** Why a streaming final is dropped, or undefined when it is delivered. */
export function finalSuppression(
  f: FinalContext,
): 'empty' | 'seam duplicate' | 'covered by fallback' | undefined {
  if (f.text === '') return 'empty';
  if (f.atSeam && f.lastFinalText !== '' && isRepeat(f.text, f.lastFinalText)) return 'seam duplicate';
  // The fallback recognized this audio one-shot already (300 ms of slack for the VAD's cut).
  if (f.startMs <= f.handoffMs && f.endMs <= f.oneShotOwnedEndMs + 300) return 'covered by fallback';
  return undefined;
}

/** A replayed stream's first final repeats the previous one, or its tail. */
function isRepeat(text: string, previous: string): boolean {
  const a = normalizeText(text);
  const b = normalizeText(previous);
  return a !== '' && (a === b || b.endsWith(a));
}

/** Punctuation (incl. Hebrew maqaf, geresh, gershayim) and spacing do not make a final new. */
function normalizeText(s: string): string {
  return s
    .replace(/[.,?!;:"'\u05be\u05f3\u05f4-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
