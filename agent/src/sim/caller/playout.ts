// A model of Twilio's outbound playout buffer, pure (time is passed in). Audio the server sends
// is queued and played at 8000 bytes/s from when it arrives; a mark is echoed when the audio
// queued before it has finished playing (at once if nothing is queued); `clear` drops what has
// not played yet and echoes every pending mark immediately.

export const MULAW_BYTES_PER_MS = 8;

export interface PlayedSegment {
  /** Time the segment starts playing. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface ClearResult {
  /** Marks echoed by the clear, in the order they were sent. */
  readonly echoed: string[];
  /** Audio that was queued but never played (ms). */
  readonly discardedMs: number;
}

export class PlayoutBuffer {
  /** Time the queued audio finishes playing; <= now means idle. */
  private playEnd = -Infinity;
  private readonly pending: { name: string; dueMs: number }[] = [];
  private pendingHead = 0;

  /** Queues audio arriving at nowMs; returns when it will play. */
  enqueueAudio(nowMs: number, byteLength: number): PlayedSegment {
    const startMs = Math.max(nowMs, this.playEnd);
    const endMs = startMs + byteLength / MULAW_BYTES_PER_MS;
    this.playEnd = endMs;
    return { startMs, endMs };
  }

  /** A mark arrived at nowMs. Returns true when it must be echoed now (nothing buffered). */
  addMark(nowMs: number, name: string): boolean {
    if (this.playEnd <= nowMs && this.pendingCount === 0) return true;
    this.pending.push({ name, dueMs: Math.max(this.playEnd, nowMs) });
    return false;
  }

  get pendingCount(): number {
    return this.pending.length - this.pendingHead;
  }

  /** When the oldest pending mark is due, if any. */
  nextMarkDueMs(): number | undefined {
    return this.pending[this.pendingHead]?.dueMs;
  }

  /** Removes and returns the marks whose audio has played by nowMs, in order. */
  takeDueMarks(nowMs: number): string[] {
    const out: string[] = [];
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.dueMs <= nowMs) {
      out.push(this.pending[this.pendingHead++]!.name);
    }
    this.compact();
    return out;
  }

  clear(nowMs: number): ClearResult {
    const discardedMs = Math.max(0, this.playEnd - nowMs);
    if (this.playEnd > nowMs) this.playEnd = nowMs;
    const echoed = this.pending.slice(this.pendingHead).map((m) => m.name);
    this.pending.length = 0;
    this.pendingHead = 0;
    return { echoed, discardedMs };
  }

  /** Audio queued and not yet played at nowMs (ms). */
  bufferedMs(nowMs: number): number {
    return Math.max(0, this.playEnd - nowMs);
  }

  isPlaying(nowMs: number): boolean {
    return this.playEnd > nowMs;
  }

  /** Time the last queued audio ends (or ended); -Infinity before any audio. */
  get playEndMs(): number {
    return this.playEnd;
  }

  private compact(): void {
    if (this.pendingHead > 64 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }
}
