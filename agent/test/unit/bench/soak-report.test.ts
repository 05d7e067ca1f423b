import { describe, expect, it } from 'vitest';
import {
  latencyByMinute,
  resourceDiff,
  slopePerHour,
  unansweredByMinute,
  type ResourceSnapshot,
} from '../../../bench/capacity/soak-report.ts';

describe('soak figures', () => {
  it('reports the memory slope per hour from samples in seconds', () => {
    // 1 MB per minute.
    const pts = Array.from({ length: 30 }, (_, i) => [i * 60, 200 + i] as const);
    expect(slopePerHour(pts)).toBeCloseTo(60);
    expect(slopePerHour(pts.map(([t]) => [t, 200] as const))).toBe(0);
  });

  it('lists every handle or resource kind whose count differs from the baseline', () => {
    const base: ResourceSnapshot = {
      handles: { Socket: 4, Timeout: 2 },
      resources: { TCPSocketWrap: 4 },
      activeCalls: 0,
      heapUsedMb: 50,
      rssMb: 150,
    };
    expect(resourceDiff(base, { ...base, heapUsedMb: 60 })).toEqual({});
    expect(
      resourceDiff(base, { ...base, handles: { Socket: 6, Timeout: 2, Pipe: 1 }, activeCalls: 1 }),
    ).toEqual({
      'handle:Socket': { baseline: 4, end: 6 },
      'handle:Pipe': { baseline: 0, end: 1 },
      activeCalls: { baseline: 0, end: 1 },
    });
  });

  it('buckets turns by the minute of their speech end, minute 1 first', () => {
    const t0 = 1_000_000;
    const m = latencyByMinute(
      t0,
      [
        { atMs: t0 + 10_000, totalMs: 500 },
        { atMs: t0 + 70_000, totalMs: 700 },
      ],
      [
        { speechEndAtMs: t0 + 5000, gapMs: 200 },
        { speechEndAtMs: t0 + 125_000, gapMs: 400 },
        { speechEndAtMs: t0 + 126_000, gapMs: undefined },
      ],
    );
    expect(m.map((x) => x.minute)).toEqual([1, 2, 3]);
    expect(m[0]!.latencyS.p50).toBe(0.5);
    expect(m[0]!.callerGapS.p50).toBe(0.2);
    expect(m[1]!.callerGapS.n).toBe(0);
    expect(m[2]!.callerGapS).toMatchObject({ n: 1, p50: 0.4 });
  });

  it('counts unanswered turns per minute by line, why and agent record, beside lag and load', () => {
    const t0 = 1_000_000;
    const rows = unansweredByMinute(
      t0,
      [t0 + 1000, t0 + 2000, t0 + 61_000, t0 + 62_000, t0 + 63_000, t0 + 190_000],
      [
        { atMs: t0 + 61_000, label: 'thanks (barge-in)', why: 'caller moved on', agentSaw: 'interrupted' },
        { atMs: t0 + 62_000, label: 'thanks (barge-in)', why: 'caller moved on', agentSaw: 'no record' },
        { atMs: t0 + 63_000, label: 'hello', why: 'wait timed out', agentSaw: 'no record' },
      ],
      [
        { t: 10, lagP99Ms: 5, loadAvg1: 0.5 },
        { t: 60, lagP99Ms: 9, loadAvg1: 0.7 }, // covers 50-60 s: minute 1
        { t: 70, lagP99Ms: 1800, loadAvg1: 6 },
        { t: 80, lagP99Ms: undefined, loadAvg1: 7 },
      ],
    );
    expect(rows.map((r) => [r.minute, r.callerTurns, r.notAnswered])).toEqual([
      [1, 2, 0],
      [2, 3, 3],
      [4, 1, 0],
    ]);
    expect(rows[0]).toMatchObject({ byLabel: {}, lagP99MsMax: 9, loadAvg1Max: 0.7 });
    expect(rows[1]).toMatchObject({
      byLabel: { 'thanks (barge-in)': 2, hello: 1 },
      byWhy: { 'caller moved on': 2, 'wait timed out': 1 },
      byAgent: { interrupted: 1, 'no record': 2 },
      lagP99MsMax: 1800,
      loadAvg1Max: 7,
    });
    expect(rows[2]).toMatchObject({ lagP99MsMax: undefined, loadAvg1Max: undefined });
  });
});
