// When the simulated caller hears the agent talking: the latest run of audible agent audio on the
// playout timeline (playout.ts), cut short by `clear` as Twilio cuts it, and whether a
// waitForAgent step is over. Pure: times (ms since the call's start) are passed in.

export type WaitUntil = 'start' | 'end';

export class AgentTalk {
  /** The latest run of audible (not digital-silence) agent audio on the playout timeline. */
  runStart = Infinity;
  runEnd = -Infinity;
  /** When the first message of that run arrived. */
  runReceivedMs = -Infinity;

  /** Audible audio arrived at `atMs` and plays over [startMs, endMs). */
  onAudible(atMs: number, startMs: number, endMs: number): void {
    if (startMs > this.runEnd) {
      this.runStart = startMs;
      this.runReceivedMs = atMs;
    } else this.runStart = Math.min(this.runStart, startMs);
    this.runEnd = endMs;
  }

  /**
   * `clear` at `atMs`: what had not played is dropped, so the agent falls silent now. Without
   * this, a wait after a barge-in ended when the discarded audio would have finished, and the
   * caller moved on though it had heard nothing since the clear.
   */
  onClear(atMs: number): void {
    if (this.runEnd > atMs) this.runEnd = atMs;
  }

  /** No audible agent audio yet. */
  get silentSoFar(): boolean {
    return this.runEnd === -Infinity;
  }

  /**
   * Whether a wait is over at `atMs`: 'start' once a reply is playing (or just ended between
   * checks), 'end' once a reply has been followed by `quietMs` of quiet. A reply is audio that
   * overlaps the wait and began at or after `replyFromMs` (the caller's voice end): the rest of an
   * answer the caller talked over, queued before the agent noticed, is not one.
   */
  waitDone(until: WaitUntil, w: WaitCheck): boolean {
    const { runStart, runEnd } = this;
    if (runStart < w.replyFromMs || runEnd <= w.waitStartMs) return false;
    return until === 'start'
      ? runStart <= w.atMs && runEnd > w.atMs - w.frameMs
      : w.atMs - runEnd >= w.quietMs;
  }
}

export interface WaitCheck {
  readonly waitStartMs: number;
  /** Only audio begun at or after this answers (-Infinity: any). */
  readonly replyFromMs: number;
  readonly atMs: number;
  readonly quietMs: number;
  /** Time between two checks. */
  readonly frameMs: number;
}
