// Mark bookkeeping for one stream: unique names, FIFO matching of Twilio's echoes, and the truth
// about what the caller heard. Twilio echoes a mark when the audio sent before it has played,
// and echoes every pending mark at once after a `clear`: an echo after a clear looks exactly like
// one after playback, so the tracker remembers which marks were pending when a clear was sent
// and reports their echoes as 'cleared'. Pure (no I/O, no clock).
import type { MarkOutcome } from '../call/types.ts';

export interface PendingMark {
  readonly name: string;
  readonly label: string;
  /** Outbound audio bytes sent before this mark. */
  readonly bytesBefore: number;
  /** Number of clears sent before this mark was registered. */
  readonly clearEpoch: number;
}

export interface MarkResolution {
  readonly name: string;
  readonly label: string;
  readonly outcome: MarkOutcome;
  readonly bytesBefore: number;
}

export type EchoResult =
  | {
      readonly known: true;
      /** The echoed mark last; any earlier pending marks (echoes lost) are resolved first, in order. */
      readonly resolved: readonly MarkResolution[];
    }
  | { readonly known: false; readonly name: string };

export class MarkTracker {
  private readonly pending: PendingMark[] = [];
  private seq = 0;
  private epoch = 0;
  private sent = 0;
  private played = 0;
  private clears = 0;

  /** Records outbound audio (bytes of mu-law handed to Twilio). */
  noteAudioSent(bytes: number): void {
    this.sent += bytes;
  }

  /** Registers a mark after the audio sent so far; returns its unique wire name. */
  register(label: string): string {
    this.seq += 1;
    // Unique per stream; the label keeps logs readable. Twilio limits nothing documented here, keep it short.
    const name = `${label.slice(0, 48)}#${this.seq}`;
    this.pending.push({ name, label, bytesBefore: this.sent, clearEpoch: this.epoch });
    return name;
  }

  /** A clear was sent: every mark pending now will echo as 'cleared'. */
  noteClear(): void {
    this.epoch += 1;
    this.clears += 1;
  }

  /** Resolves an echo FIFO. Unknown names (never sent, or echoed twice) are reported, not thrown. */
  onEcho(name: string): EchoResult {
    const index = this.pending.findIndex((m) => m.name === name);
    if (index < 0) return { known: false, name };
    const removed = this.pending.splice(0, index + 1);
    const resolved = removed.map((m): MarkResolution => {
      const outcome: MarkOutcome = m.clearEpoch < this.epoch ? 'cleared' : 'played';
      if (outcome === 'played' && m.bytesBefore > this.played) this.played = m.bytesBefore;
      return { name: m.name, label: m.label, outcome, bytesBefore: m.bytesBefore };
    });
    return { known: true, resolved };
  }

  /** Outbound bytes sent so far. */
  get bytesSent(): number {
    return this.sent;
  }

  /** Outbound bytes confirmed played (by a 'played' mark echo); a lower bound of what the caller heard. */
  get bytesPlayed(): number {
    return this.played;
  }

  get clearsSent(): number {
    return this.clears;
  }

  get pendingMarks(): readonly PendingMark[] {
    return this.pending;
  }
}
