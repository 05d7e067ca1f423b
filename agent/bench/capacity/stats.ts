// Pure numbers for the capacity benchmark: percentiles, an empirical CDF, least-squares slope,
// quantiles from Prometheus histogram buckets and the knee of a sweep. No I/O, no clocks.

/** Nearest-rank percentile (p in 0..100) of unsorted values; undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileSorted(sorted, p);
}

/** Nearest-rank percentile of values already sorted ascending. */
export function percentileSorted(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Quantiles {
  readonly n: number;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted.length === 0 ? undefined : sorted[sorted.length - 1],
  };
}

/**
 * The empirical CDF reduced to at most `points` steps (x ascending, y in (0, 1]); enough to draw
 * and small enough to keep in the JSON for thousands of turns.
 */
export function cdfPoints(values: readonly number[], points = 100): Array<[number, number]> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const out: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(n / points));
  for (let i = step - 1; i < n; i += step) out.push([sorted[i]!, (i + 1) / n]);
  if (out[out.length - 1]![1] !== 1) out.push([sorted[n - 1]!, 1]);
  return out;
}

export interface LinearFit {
  /** Change of y per unit of x. */
  readonly slope: number;
  readonly intercept: number;
  readonly n: number;
}

/** Ordinary least squares y = intercept + slope * x; slope 0 when x does not vary. */
export function leastSquares(points: ReadonlyArray<readonly [number, number]>): LinearFit {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0, n: 0 };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx, n };
}

/** One Prometheus histogram: cumulative counts per upper bound (le), +Inf last. */
export interface Buckets {
  readonly le: readonly number[];
  readonly counts: readonly number[];
}

/** Bucket counts of `after` minus `before` (a window between two scrapes of a cumulative histogram). */
export function bucketDelta(before: Buckets | undefined, after: Buckets): Buckets {
  if (before === undefined) return after;
  return { le: after.le, counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)) };
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile does; the highest finite bound when it lands in +Inf.
 */
export function bucketQuantile(b: Buckets, q: number): number | undefined {
  const total = b.counts[b.counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < b.le.length; i++) {
    if (b.counts[i]! >= rank) {
      const upper = b.le[i]!;
      const lower = i === 0 ? 0 : b.le[i - 1]!;
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : b.counts[i - 1]!;
      const inBucket = b.counts[i]! - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return b.le[b.le.length - 2];
}

/** What the knee rule needs from one sweep step. */
export interface KneeInput {
  readonly calls: number;
  readonly lagP99Ms: number | undefined;
  readonly latencyP95S: number | undefined;
}

export interface Knee {
  /** Largest N such that it and every smaller step pass; undefined when the first step fails. */
  readonly calls: number | undefined;
  /** Steps above the knee that pass again (noise on a shared machine): reported, not counted. */
  readonly laterPasses: readonly number[];
  /** The 50-call p95 the rule compares with (the nearest step to 50 when 50 was not run). */
  readonly baselineCalls: number | undefined;
  readonly baselineP95S: number | undefined;
  /** Per step: passes, and why not. */
  readonly verdicts: ReadonlyArray<{ calls: number; ok: boolean; reason: string }>;
}

export const KNEE_LAG_P99_MS = 20;
export const KNEE_P95_TOLERANCE = 0.1;

/**
 * The knee of a sweep (issue 13): the largest N whose event-loop lag p99 is at most 20 ms and
 * whose turn-latency p95 is within 10 % of the 50-call figure, counted up to the first step that
 * fails (a pass above a failure is noise, not capacity). Steps need not be sorted.
 */
export function findKnee(steps: readonly KneeInput[], baselineAt = 50): Knee {
  const withP95 = steps.filter((s) => s.latencyP95S !== undefined);
  const base =
    withP95.find((s) => s.calls === baselineAt) ??
    [...withP95].sort((a, b) => Math.abs(a.calls - baselineAt) - Math.abs(b.calls - baselineAt))[0];
  const limit = base?.latencyP95S === undefined ? undefined : base.latencyP95S * (1 + KNEE_P95_TOLERANCE);
  const verdicts = [...steps]
    .sort((a, b) => a.calls - b.calls)
    .map((s) => {
      const reasons: string[] = [];
      if (s.lagP99Ms === undefined) reasons.push('no lag figure');
      else if (s.lagP99Ms > KNEE_LAG_P99_MS)
        reasons.push(`lag p99 ${s.lagP99Ms.toFixed(1)} ms > ${KNEE_LAG_P99_MS} ms`);
      if (s.latencyP95S === undefined) reasons.push('no turn latency');
      else if (limit === undefined) reasons.push('no baseline p95');
      else if (s.latencyP95S > limit)
        reasons.push(
          `p95 ${s.latencyP95S.toFixed(3)} s > ${limit.toFixed(3)} s (+10 % of ${base!.calls} calls)`,
        );
      return { calls: s.calls, ok: reasons.length === 0, reason: reasons.join('; ') || 'ok' };
    });
  const firstFail = verdicts.findIndex((v) => !v.ok);
  const prefix = firstFail < 0 ? verdicts : verdicts.slice(0, firstFail);
  return {
    calls: prefix.length === 0 ? undefined : prefix[prefix.length - 1]!.calls,
    laterPasses:
      firstFail < 0
        ? []
        : verdicts
            .slice(firstFail)
            .filter((v) => v.ok)
            .map((v) => v.calls),
    baselineCalls: base?.calls,
    baselineP95S: base?.latencyP95S,
    verdicts,
  };
}

/** Seconds of [start, end) inside [from, to). */
export function overlapS(start: number, end: number, from: number, to: number): number {
  return Math.max(0, Math.min(end, to) - Math.max(start, from)) / 1000;
}

/** Slope of y against t (s) by least squares, in units per hour. */
export function slopePerHour(points: ReadonlyArray<readonly [number, number]>): number {
  return leastSquares(points).slope * 3600;
}

/**
 * The slope (per hour) of the lowest value in each `bucketS` bucket of samples (t in s): for a
 * sawtooth like the GC'd heap, the floor rises with a leak while the teeth only add noise.
 */
export function floorSlopePerHour(points: ReadonlyArray<readonly [number, number]>, bucketS = 60): number {
  const floors = new Map<number, readonly [number, number]>();
  for (const p of points) {
    const k = Math.floor(p[0] / bucketS);
    const f = floors.get(k);
    if (!f || p[1] < f[1]) floors.set(k, p);
  }
  return slopePerHour([...floors.values()]);
}
