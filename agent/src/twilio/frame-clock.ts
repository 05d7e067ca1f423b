// Places inbound media frames on the call's audio clock and detects trouble, per stream. Pure:
// the caller passes the arrival time.
// - dropped: gaps in `chunk` numbers (frames Twilio numbered but that never arrived);
// - late: a frame out of order (chunk or timestamp going backwards), or one that arrives more
//   than LATE_FRAME_THRESHOLD_MS behind the best arrival-vs-timestamp offset seen so far on this
//   stream (the network or this process's event loop held it up).

export const LATE_FRAME_THRESHOLD_MS = 100;

export interface FrameObservation {
  readonly late: boolean;
  readonly outOfOrder: boolean;
  /** Frames missing before this one (chunk gap). */
  readonly dropped: number;
  /** How far behind the best offset this frame arrived (ms, >= 0). */
  readonly lagMs: number;
}

export class FrameClock {
  private lastChunk = -1;
  private lastTimestamp = -1;
  private bestOffset = Number.POSITIVE_INFINITY;
  private readonly thresholdMs: number;

  constructor(thresholdMs: number = LATE_FRAME_THRESHOLD_MS) {
    this.thresholdMs = thresholdMs;
  }

  observe(chunk: number, timestampMs: number, arrivalMs: number): FrameObservation {
    const outOfOrder = (this.lastChunk >= 0 && chunk <= this.lastChunk) || timestampMs < this.lastTimestamp;
    let dropped = 0;
    if (!outOfOrder) {
      if (this.lastChunk >= 0 && chunk > this.lastChunk + 1) dropped = chunk - this.lastChunk - 1;
      this.lastChunk = chunk;
      this.lastTimestamp = timestampMs;
    }
    const offset = arrivalMs - timestampMs;
    if (offset < this.bestOffset) this.bestOffset = offset;
    const lagMs = offset - this.bestOffset;
    return { late: outOfOrder || lagMs > this.thresholdMs, outOfOrder, dropped, lagMs };
  }
}
