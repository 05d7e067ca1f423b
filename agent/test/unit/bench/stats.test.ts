import { describe, expect, it } from 'vitest';
import {
  bucketDelta,
  bucketQuantile,
  cdfPoints,
  findKnee,
  leastSquares,
  overlapS,
  percentile,
  quantiles,
} from '../../../bench/capacity/stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks the value at ceil(p/100 * n) and leaves the input unsorted', () => {
    const v = [5, 1, 4, 2, 3];
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 95)).toBe(5);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(5);
    expect(v).toEqual([5, 1, 4, 2, 3]);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('p99 of 100 values is the 99th, not the maximum', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantiles(v)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  });
});

describe('cdfPoints', () => {
  it('is ascending in both coordinates and ends at 1', () => {
    const pts = cdfPoints(
      Array.from({ length: 1000 }, (_, i) => (i * 37) % 1000),
      50,
    );
    expect(pts.length).toBeLessThanOrEqual(51);
    expect(pts[pts.length - 1]).toEqual([999, 1]);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThanOrEqual(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThan(pts[i - 1]![1]);
    }
    expect(cdfPoints([])).toEqual([]);
    expect(cdfPoints([2])).toEqual([[2, 1]]);
  });
});

describe('leastSquares', () => {
  it('recovers a line exactly and a noisy slope closely', () => {
    expect(
      leastSquares([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toEqual({ slope: 2, intercept: 1, n: 3 });
    const noisy = Array.from({ length: 200 }, (_, i) => [i, 10 + 0.5 * i + (i % 2 === 0 ? 1 : -1)] as const);
    expect(leastSquares(noisy).slope).toBeCloseTo(0.5, 2);
  });

  it('is flat for a constant series and for no variation in x', () => {
    expect(
      leastSquares([
        [0, 4],
        [5, 4],
        [9, 4],
      ]).slope,
    ).toBe(0);
    expect(
      leastSquares([
        [3, 1],
        [3, 9],
      ]).slope,
    ).toBe(0);
    expect(leastSquares([]).n).toBe(0);
  });
});

describe('bucket quantiles', () => {
  const b = { le: [0.1, 0.5, 1, Infinity], counts: [10, 60, 100, 100] };

  it('interpolates inside the bucket like histogram_quantile', () => {
    expect(bucketQuantile(b, 0.1)).toBeCloseTo(0.1);
    // rank 35 of 100: 25 of the 50 in (0.1, 0.5]
    expect(bucketQuantile(b, 0.35)).toBeCloseTo(0.3);
    expect(bucketQuantile(b, 0.99)).toBeCloseTo(0.5 + 0.5 * (39 / 40));
  });

  it('returns the highest finite bound when the rank is in +Inf, undefined when empty', () => {
    expect(bucketQuantile({ le: [1, Infinity], counts: [1, 10] }, 0.9)).toBe(1);
    expect(bucketQuantile({ le: [1, Infinity], counts: [0, 0] }, 0.5)).toBeUndefined();
  });

  it('takes the window between two scrapes', () => {
    const before = { le: b.le, counts: [5, 10, 20, 20] };
    expect(bucketDelta(before, b).counts).toEqual([5, 50, 80, 80]);
    expect(bucketDelta(undefined, b)).toBe(b);
  });
});

describe('findKnee', () => {
  const step = (calls: number, lagP99Ms: number, latencyP95S: number) => ({ calls, lagP99Ms, latencyP95S });

  it('is the largest N with lag p99 <= 20 ms and p95 within 10 % of the 50-call p95', () => {
    const k = findKnee([
      step(1, 2, 0.9),
      step(50, 5, 1.0),
      step(100, 8, 1.05),
      step(200, 19, 1.1),
      step(300, 25, 1.08),
      step(400, 60, 1.6),
    ]);
    expect(k.calls).toBe(200);
    expect(k.baselineCalls).toBe(50);
    expect(k.verdicts.find((v) => v.calls === 300)?.reason).toMatch(/lag p99 25\.0 ms/);
    expect(k.verdicts.find((v) => v.calls === 400)?.reason).toMatch(/p95 1\.600 s > 1\.100 s/);
  });

  it('fails a step on latency alone', () => {
    const k = findKnee([step(50, 5, 1.0), step(100, 5, 1.2)]);
    expect(k.calls).toBe(50);
    expect(k.verdicts[1]!.ok).toBe(false);
  });

  it('stops at the first failure and reports later passes separately', () => {
    const k = findKnee([step(50, 5, 1), step(100, 30, 1), step(200, 10, 1)]);
    expect(k.calls).toBe(50);
    expect(k.laterPasses).toEqual([200]);
  });

  it('uses the step nearest to 50 when 50 was not run, and none passes without figures', () => {
    expect(findKnee([step(40, 5, 1), step(100, 5, 1.05)]).baselineCalls).toBe(40);
    const none = findKnee([{ calls: 50, lagP99Ms: undefined, latencyP95S: undefined }]);
    expect(none.calls).toBeUndefined();
  });
});

describe('overlapS', () => {
  it('is the part of a call inside the window, in seconds', () => {
    expect(overlapS(0, 10_000, 5000, 20_000)).toBe(5);
    expect(overlapS(6000, 8000, 5000, 20_000)).toBe(2);
    expect(overlapS(0, 1000, 5000, 20_000)).toBe(0);
  });
});
