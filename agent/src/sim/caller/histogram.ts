// A small fixed-bin histogram of milliseconds: constant memory per call, cheap to add to on
// every frame, mergeable across hundreds of calls for percentiles.

export interface HistogramSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class MsHistogram {
  private readonly bins: Uint32Array;
  private readonly binMs: number;
  count = 0;
  max = 0;

  /** binMs resolution up to rangeMs; larger values land in the last bin (max stays exact). */
  constructor(binMs = 0.5, rangeMs = 500) {
    this.binMs = binMs;
    this.bins = new Uint32Array(Math.ceil(rangeMs / binMs) + 1);
  }

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = Math.min(this.bins.length - 1, Math.floor(v / this.binMs));
    this.bins[i]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  merge(other: MsHistogram): void {
    if (other.bins.length !== this.bins.length || other.binMs !== this.binMs)
      throw new Error('histogram shapes differ');
    for (let i = 0; i < this.bins.length; i++) this.bins[i]! += other.bins[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper edge of the bin holding quantile q (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen >= rank)
        return i === this.bins.length - 1 ? this.max : Math.min(this.max, (i + 1) * this.binMs);
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return { count: this.count, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.max };
  }
}
