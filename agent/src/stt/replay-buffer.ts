// The caller audio a resilient STT session keeps, on the call's audio clock: what a reconnected
// or rotated stream replays, and what a one-shot recognition of an utterance is cut from. Bounded
// in seconds of audio: past the bound the oldest audio goes (and the caller is told once per fill).

export interface BufferedChunk {
  readonly mulaw: Buffer;
  /** Call audio time of the chunk's first byte, ms. */
  readonly t: number;
  readonly dur: number;
}

export class ReplayBuffer {
  private chunks: BufferedChunk[] = [];
  private bufferedMs = 0;
  private full = false;
  private readonly limitMs: number;

  constructor(limitSeconds: number) {
    this.limitMs = limitSeconds * 1000;
  }

  /** Milliseconds of audio held. */
  get ms(): number {
    return this.bufferedMs;
  }

  /** Call time of the oldest audio held, or undefined when empty. */
  get firstMs(): number | undefined {
    return this.chunks[0]?.t;
  }

  /** In call-time order. */
  get all(): readonly BufferedChunk[] {
    return this.chunks;
  }

  /**
   * Adds a chunk; drops the oldest audio past the bound (never the newest chunk). Returns the ms
   * dropped and whether this is the first drop since the buffer last had room (to warn once).
   */
  push(c: BufferedChunk): { droppedMs: number; firstDrop: boolean } {
    this.chunks.push(c);
    this.bufferedMs += c.dur;
    let droppedMs = 0;
    while (this.bufferedMs > this.limitMs && this.chunks.length > 1) {
      const old = this.chunks.shift()!;
      this.bufferedMs -= old.dur;
      droppedMs += old.dur;
    }
    const firstDrop = droppedMs > 0 && !this.full;
    if (droppedMs > 0) this.full = true;
    return { droppedMs, firstDrop };
  }

  /** Drops audio that ends before `t` (already recognized). */
  trimBefore(t: number): void {
    while (this.chunks.length > 0 && this.chunks[0]!.t + this.chunks[0]!.dur <= t) {
      this.bufferedMs -= this.chunks.shift()!.dur;
    }
    if (this.bufferedMs < this.limitMs / 2) this.full = false;
  }

  /** The audio between call times `from` and `to` (cut at byte precision), or undefined if none is held. */
  slice(from: number, to: number): { audio: Buffer; audioStartMs: number } | undefined {
    const parts: Buffer[] = [];
    let audioStartMs: number | undefined;
    for (const c of this.chunks) {
      if (c.t + c.dur <= from || c.t >= to) continue;
      const a = Math.max(0, Math.floor((from - c.t) * 8));
      audioStartMs ??= c.t + a / 8;
      const b = Math.min(c.mulaw.length, Math.ceil((to - c.t) * 8));
      parts.push(a === 0 && b === c.mulaw.length ? c.mulaw : c.mulaw.subarray(a, b));
    }
    if (parts.length === 0 || audioStartMs === undefined) return undefined;
    return { audio: Buffer.concat(parts), audioStartMs };
  }

  clear(): void {
    this.chunks = [];
    this.bufferedMs = 0;
  }
}
