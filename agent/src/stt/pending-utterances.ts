// Utterances the local VAD cut that no streaming final has covered yet: what the fallback sends
// one-shot when streaming gives up, and the watches that tell a stalled stream (no result for an
// utterance long finished) from a quiet one.
import type { UtteranceMark } from './one-shot-fallback.ts';
import type { Scheduler } from './types.ts';

/** More than this many uncovered utterances means streaming is gone anyway; the oldest go. */
const MAX_PENDING = 50;

export class PendingUtterances {
  private marks: UtteranceMark[] = [];
  private readonly stallTimers = new Set<unknown>();
  private readonly scheduler: Scheduler;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  add(mark: UtteranceMark): void {
    this.marks.push(mark);
    if (this.marks.length > MAX_PENDING) this.marks.shift();
  }

  /** A final covered the audio up to endMs. */
  coveredUntil(endMs: number): void {
    this.marks = this.marks.filter((m) => m.endMs > endMs);
  }

  /** Hands over (and forgets) the utterances ending after endMs. */
  takeAfter(endMs: number): UtteranceMark[] {
    const pending = this.marks.filter((m) => m.endMs > endMs);
    this.marks = [];
    return pending;
  }

  /** Runs check after stallMs unless the watches are cleared first. */
  watch(stallMs: number, check: () => void): void {
    const timer = this.scheduler.setTimeout(() => {
      this.stallTimers.delete(timer);
      check();
    }, stallMs);
    this.stallTimers.add(timer);
  }

  clearWatches(): void {
    for (const t of this.stallTimers) this.scheduler.clearTimeout(t);
    this.stallTimers.clear();
  }
}
