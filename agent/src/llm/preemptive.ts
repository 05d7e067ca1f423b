// Preemptive generation: start the model on a stable partial or early final, before the turn is
// confirmed, and keep that answer only if the confirmed transcript says the same thing. The
// decision (normalise + compare) is pure; PreemptiveGeneration does the buffering and aborting.
import type { ChatMessage, Responder } from './types.ts';
import { llmPreemptive, llmPreemptiveSaved } from './metrics.ts';

const FINAL_FORMS: Record<string, string> = { ך: 'כ', ם: 'מ', ן: 'נ', ף: 'פ', ץ: 'צ' };

/**
 * Hebrew text reduced to what changes meaning: niqqud and cantillation removed, punctuation
 * (incl. geresh/gershayim, maqaf) and whitespace removed, final letter forms folded, Latin lower-cased.
 */
export function normalizeHebrew(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u0591-\u05C7]/g, (c) => (c === '\u05BE' ? ' ' : '')) // points/accents; maqaf is a separator
    .replace(/[ךםןףץ]/g, (c) => FINAL_FORMS[c] ?? c)
    .replace(/[\p{P}\p{S}\s]+/gu, '')
    .toLowerCase();
}

/** Whether a preemptive answer started on `candidate` is valid for the `confirmed` transcript. */
export function preemptiveMatches(candidate: string, confirmed: string): boolean {
  const a = normalizeHebrew(candidate);
  return a !== '' && a === normalizeHebrew(confirmed);
}

export type PreemptiveResult = 'hit' | 'miss' | 'cancelled' | 'failed';

export interface PreemptiveOutcome {
  readonly result: 'hit' | 'miss';
  /** The answer stream to play: the preemptive one (hit) or a fresh request (miss). */
  readonly stream: AsyncIterable<string>;
  /** Head start gained on a hit (ms); 0 on a miss. */
  readonly savedMs: number;
}

export interface PreemptiveStartOptions {
  readonly callId: string;
  /** The transcript guessed as final (stable partial / early final). */
  readonly candidate: string;
  /** Prompt including the candidate as the latest user message. */
  readonly messages: readonly ChatMessage[];
  /** The turn's signal (barge-in / call end); aborting it aborts the preemptive request. */
  readonly signal: AbortSignal;
}

/**
 * One preemptive request. Deltas are buffered until confirm(); on a hit they are replayed and
 * the live stream continues; on a miss the request is aborted and a new one started.
 */
export class PreemptiveGeneration {
  readonly candidate: string;
  private readonly responder: Responder;
  private readonly callId: string;
  private readonly controller = new AbortController();
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly buffered: string[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private settled = false;
  private readonly detach: () => void;

  constructor(
    responder: Responder,
    options: PreemptiveStartOptions,
    now: () => number = () => performance.now(),
  ) {
    this.responder = responder;
    this.candidate = options.candidate;
    this.callId = options.callId;
    this.now = now;
    this.startedAt = now();
    const onAbort = (): void => this.controller.abort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    this.detach = () => options.signal.removeEventListener('abort', onAbort);
    if (options.signal.aborted) this.controller.abort();
    void this.pump(options.messages);
  }

  private async pump(messages: readonly ChatMessage[]): Promise<void> {
    try {
      for await (const delta of this.responder.respond({
        callId: this.callId,
        messages,
        signal: this.controller.signal,
      })) {
        this.buffered.push(delta);
        this.notify();
      }
    } catch (e) {
      this.error = e;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** Text received so far (for logs/tests). */
  get bufferedText(): string {
    return this.buffered.join('');
  }

  /**
   * The turn is confirmed with `confirmed`. Hit: keep this request. Miss: abort it and start
   * `fresh()` (a normal request with the confirmed transcript in the history).
   */
  confirm(confirmed: string, fresh: () => AsyncIterable<string>): PreemptiveOutcome {
    if (this.settled) throw new Error('PreemptiveGeneration already settled');
    this.settled = true;
    if (preemptiveMatches(this.candidate, confirmed) && !(this.done && this.error !== undefined)) {
      const savedMs = Math.max(0, this.now() - this.startedAt);
      llmPreemptive.inc({ result: 'hit' });
      llmPreemptiveSaved.observe(savedMs / 1000);
      return { result: 'hit', stream: this.replay(), savedMs };
    }
    // A failed preemptive request is retried as a normal one rather than surfacing its error.
    llmPreemptive.inc({ result: this.done && this.error !== undefined ? 'failed' : 'miss' });
    this.abortRequest();
    return { result: 'miss', stream: fresh(), savedMs: 0 };
  }

  /** The turn was abandoned (caller kept talking, call ended). */
  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    llmPreemptive.inc({ result: 'cancelled' });
    this.abortRequest();
  }

  private abortRequest(): void {
    this.controller.abort();
    this.detach();
  }

  private async *replay(): AsyncIterable<string> {
    let i = 0;
    try {
      for (;;) {
        if (this.controller.signal.aborted) return;
        if (i < this.buffered.length) {
          yield this.buffered[i++]!;
          continue;
        }
        if (this.done) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      // Consumer stopped early or finished: nothing more to bill.
      this.abortRequest();
    }
  }
}
