// Finals leave a resilient STT session strictly in audio order: a final waits while an earlier
// utterance is still being recognized one-shot (fallback, or the handoff back to streaming); a
// place settled without a final (empty, failed, timed out) just frees the way.
import type { SttFinal } from './types.ts';

/** A place in the output order. */
export interface OutputSlot {
  readonly startMs: number;
  settled: boolean;
  final: SttFinal | undefined;
  /** The one-shot deadline's timer, cleared when the slot settles. */
  timer: unknown;
}

export class FinalOrder {
  /** Only non-empty while a one-shot utterance is unanswered. */
  private slots: OutputSlot[] = [];
  private readonly deliver: (final: SttFinal) => void;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly now: () => number;

  constructor(deliver: (final: SttFinal) => void, clearTimer: (timer: unknown) => void, now: () => number) {
    this.deliver = deliver;
    this.clearTimer = clearTimer;
    this.now = now;
  }

  /** A place for an utterance being recognized one-shot; later finals wait for it. */
  reserve(startMs: number): OutputSlot {
    const slot: OutputSlot = { startMs, settled: false, final: undefined, timer: undefined };
    let i = this.slots.length;
    while (i > 0 && this.slots[i - 1]!.startMs > startMs) i--;
    this.slots.splice(i, 0, slot);
    return slot;
  }

  settle(slot: OutputSlot, final: SttFinal | undefined): void {
    if (slot.settled) return;
    slot.settled = true;
    slot.final = final;
    this.clearTimer(slot.timer);
    this.flush();
  }

  /** Delivers a final now, or after the earlier utterances still in flight. True if delivered now. */
  emit(final: SttFinal): boolean {
    if (this.slots.length === 0) {
      this.deliver(final);
      return true;
    }
    const slot = this.reserve(final.audioStartMs);
    this.settle(slot, final);
    return !this.slots.includes(slot);
  }

  /** Forgets every place (the session closed or failed). */
  drop(): void {
    for (const slot of this.slots) this.clearTimer(slot.timer);
    this.slots = [];
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.settled) {
      const slot = this.slots.shift()!;
      // A final held for an earlier utterance reaches the session now: its timing says so.
      if (slot.final) this.deliver({ ...slot.final, receivedAtMs: this.now() });
    }
  }
}
