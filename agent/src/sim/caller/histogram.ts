// A small fixed-bin histogram of milliseconds: constant memory per call, cheap to add to on
// every frame, mergeable across hundreds of calls for percentiles. Fine bins up to `fineMs`,
// coarse bins beyond (an overloaded run produces seconds of lag, which must still be readable).

export interface HistogramSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class MsHistogram {
  private readonly bins: Uint32Array;
  private readonly binMs: number;
  private readonly fineMs: number;
  private readonly fineBins: number;
  private readonly coarseMs: number;
  count = 0;
  max = 0;

  /** binMs resolution up to fineMs, then coarseMs resolution up to rangeMs (larger values land in the last bin; max stays exact). */
  constructor(binMs = 0.5, fineMs = 500, coarseMs = 50, rangeMs = 60_000) {
    this.binMs = binMs;
    this.fineMs = fineMs;
    this.coarseMs = coarseMs;
    this.fineBins = Math.ceil(fineMs / binMs);
    this.bins = new Uint32Array(this.fineBins + Math.ceil((rangeMs - fineMs) / coarseMs) + 1);
  }

  private index(v: number): number {
    if (v < this.fineMs) return Math.floor(v / this.binMs);
    return Math.min(this.bins.length - 1, this.fineBins + Math.floor((v - this.fineMs) / this.coarseMs));
  }

  private upperEdge(i: number): number {
    return i < this.fineBins ? (i + 1) * this.binMs : this.fineMs + (i - this.fineBins + 1) * this.coarseMs;
  }

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.bins[this.index(v)]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  merge(other: MsHistogram): void {
    if (
      other.bins.length !== this.bins.length ||
      other.binMs !== this.binMs ||
      other.fineMs !== this.fineMs
    ) {
      throw new Error('histogram shapes differ');
    }
    for (let i = 0; i < this.bins.length; i++) this.bins[i]! += other.bins[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper edge of the bin holding quantile q (0..1), capped at the maximum; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen >= rank) return i === this.bins.length - 1 ? this.max : Math.min(this.max, this.upperEdge(i));
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return { count: this.count, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.max };
  }
}
