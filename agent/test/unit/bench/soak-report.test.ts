import { describe, expect, it } from 'vitest';
import {
  floorSlopePerHour,
  latencyByMinute,
  renderSoakMarkdown,
  resourceDiff,
  slopePerHour,
  unansweredByMinute,
  type ResourceSnapshot,
  type SoakResult,
} from '../../../bench/capacity/soak-report.ts';

describe('soak figures', () => {
  it('reports the memory slope per hour from samples in seconds', () => {
    // 1 MB per minute.
    const pts = Array.from({ length: 30 }, (_, i) => [i * 60, 200 + i] as const);
    expect(slopePerHour(pts)).toBeCloseTo(60);
    expect(slopePerHour(pts.map(([t]) => [t, 200] as const))).toBe(0);
  });

  it("takes a sawtooth's slope from its lowest sample per minute", () => {
    // A GC sawtooth 100 -> 140 MB every 30 s: the plain slope depends on where the run stops; the floor's is 0.
    const saw = Array.from({ length: 60 }, (_, i) => [i * 10, 100 + (i % 3) * 20] as const);
    expect(floorSlopePerHour(saw)).toBeCloseTo(0);
    expect(Math.abs(slopePerHour(saw.slice(0, 59)))).toBeGreaterThan(1);
    // The same sawtooth on a floor rising 1 MB per minute.
    const leak = saw.map(([t, v]) => [t, v + t / 60] as const);
    expect(floorSlopePerHour(leak)).toBeCloseTo(60, 0);
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

  it('reports why turns went unanswered, overall and per minute', () => {
    const snap: ResourceSnapshot = { handles: {}, resources: {}, activeCalls: 0, heapUsedMb: 60, rssMb: 170 };
    const q = { n: 1, p50: 0.5, p95: 0.5, p99: 0.5, max: 0.5, mean: 0.5 };
    const r: SoakResult = {
      kind: 'soak',
      startedAt: '2026-12-01T19:40:00Z',
      finishedAt: '2026-12-01T20:12:00Z',
      command: 'npm run bench -- --soak',
      machine: { revision: 'abc', cpus: 2, cpuModel: 'EPYC', memoryGiB: 24, node: 'v24', kernel: '6' },
      profile: 'reference',
      profilePath: '../shared/bench/reference-profile.json',
      calls: 100,
      minutes: 2,
      loadAvgStart: [0.3],
      loadAvgEnd: [0.4],
      loadAvg1Range: [0.3, 0.5],
      callsPlaced: 20,
      outcomes: { completed: 20 },
      callerTurns: 100,
      turnsNotAnswered: 3,
      notAnsweredByLabel: { 'thanks (barge-in)': 2, hello: 1 },
      notAnsweredWhy: { 'wait timed out': 2, 'call ended (hung-up)': 1 },
      notAnsweredAgentSaw: { interrupted: 2, 'no record': 1 },
      agentTurns: 100,
      agentOutcomes: { answered: 100 },
      rssSlopeMbPerHour: 1,
      heapSlopeMbPerHour: 1,
      rssSlopeAllMbPerHour: 1,
      heapSlopeAllMbPerHour: 1,
      warmupMinutes: 2,
      cpuMsPerCallSecond: 6,
      baselineBoot: snap,
      baseline: snap,
      end: snap,
      leftOver: {},
      byMinute: [{ minute: 1, latencyS: q, callerGapS: q }],
      notAnsweredByMinute: [
        {
          minute: 1,
          callerTurns: 50,
          notAnswered: 3,
          byLabel: { 'thanks (barge-in)': 2, hello: 1 },
          byWhy: { 'wait timed out': 2, 'call ended (hung-up)': 1 },
          byAgent: { interrupted: 2, 'no record': 1 },
          lagP99MsMax: 1234,
          loadAvg1Max: 3.5,
        },
        {
          minute: 2,
          callerTurns: 50,
          notAnswered: 0,
          byLabel: {},
          byWhy: {},
          byAgent: {},
          lagP99MsMax: 12,
          loadAvg1Max: 0.5,
        },
      ],
      lagP99MsMax: 1234,
      lagMaxMs: 1500,
      errors: {},
      samples: [],
    };
    const md = renderSoakMarkdown(r, 'capacity');
    expect(md).toContain(
      "**3 not answered** (thanks (barge-in) 2, hello 1; why, as the caller saw it: wait timed out 2, call ended (hung-up) 1; the agent's records for them: interrupted 2, no record 1)",
    );
    expect(md).toContain('## Turns not answered, by minute');
    expect(md).toContain(
      '| 1 | 50 | 3 | thanks (barge-in) 2, hello 1 | wait timed out 2, call ended (hung-up) 1 | interrupted 2, no record 1 | 1234 | 3.50 |',
    );
    expect(md).toContain('| 2 | 50 | 0 | - | - | - | 12 | 0.50 |');
    expect(md).not.toContain('allocator');
    // The agent's malloc decides what RSS means (docs/bench/soak.md): the report names it.
    expect(
      renderSoakMarkdown({ ...r, allocator: 'jemalloc (`LD_PRELOAD=/x/libjemalloc.so.2`)' }, 'capacity'),
    ).toContain(
      'a fresh agent process (`node agent/dist/main.js`); allocator: jemalloc (`LD_PRELOAD=/x/libjemalloc.so.2`).',
    );
  });
});
