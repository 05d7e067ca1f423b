import { describe, expect, it } from 'vitest';
import {
  gcKindName,
  mainThreadWindow,
  parseProbeLines,
  parseSchedStat,
  mappingSeries,
  summarizeSmaps,
} from '../../../bench/capacity/probe.ts';
import { memorySlopeTable, memorySlopes } from '../../../bench/capacity/soak-memory.ts';
import type { SoakSample } from '../../../bench/capacity/soak-report.ts';

const mapping = (range: string, perms: string, path: string, rssKb: number): string =>
  [
    `${range} ${perms} 00000000 00:00 0 ${path}`.trimEnd(),
    `Size: 4 kB`,
    `Rss: ${rssKb} kB`,
    `Pss: 1 kB`,
  ].join('\n');

describe('agent probe', () => {
  it('sorts resident memory into the main arena, thread arenas, other anonymous and file mappings', () => {
    const smaps = [
      mapping('00400000-00500000', 'r-xp', '/usr/bin/node', 900),
      mapping('01000000-03000000', 'rw-p', '[heap]', 30_000),
      // A thread arena: 64 MiB-aligned, rw head + ---p tail = 64 MiB.
      mapping('7f0000000000-7f0000800000', 'rw-p', '', 5000),
      mapping('7f0000800000-7f0004000000', '---p', '', 0),
      // A full thread arena has no tail.
      mapping('7f0004000000-7f0008000000', 'rw-p', '', 60_000),
      // An anonymous mapping that is not an arena (V8 pages): not 64 MiB, or not aligned.
      mapping('7f1000100000-7f1000200000', 'rw-p', '', 700),
      mapping('7f1000200000-7f1000300000', '---p', '', 0),
      mapping('7ffc00000000-7ffc00021000', 'rw-p', '[stack]', 100),
    ].join('\n');
    expect(summarizeSmaps(smaps)).toEqual({
      brkHeapKb: 30_000,
      threadArenasKb: 65_000,
      threadArenas: 2,
      otherAnonKb: 800,
      fileKb: 900,
    });
  });

  it('reads probe lines and skips a line cut by a write in progress', () => {
    const line = {
      atMs: 1,
      rss: 2,
      heapTotal: 3,
      heapUsed: 4,
      external: 5,
      arrayBuffers: 6,
      eluBusyMs: 7,
      eluShare: 0.5,
      gc: {},
    };
    expect(parseProbeLines(`${JSON.stringify(line)}\n{"atMs":2,"rs`)).toEqual([line]);
  });

  it('names GC kinds from the perf_hooks constants', () => {
    const c = {
      NODE_PERFORMANCE_GC_MINOR: 1,
      NODE_PERFORMANCE_GC_MAJOR: 4,
      NODE_PERFORMANCE_GC_INCREMENTAL: 8,
      NODE_PERFORMANCE_GC_WEAKCB: 16,
    };
    expect([1, 4, 8, 16, 2].map((k) => gcKindName(k, c))).toEqual([
      'minor',
      'major',
      'incremental',
      'weakcb',
      'kind2',
    ]);
  });
});

describe("the event loop thread's scheduling", () => {
  it('splits a window into time on a CPU and time runnable but waiting for one', () => {
    const a = parseSchedStat('2000000000 500000000 1000\n');
    const b = parseSchedStat('2600000000 800000000 1600\n');
    expect(a).toEqual({ runMs: 2000, waitMs: 500, slices: 1000 });
    // 10 s window: 600 ms on CPU (6 %), 300 ms waiting (30 ms per s), 600 slices (0.5 ms each).
    expect(mainThreadWindow(a, b, 10_000)).toEqual({
      onCpuPct: 6,
      runQueueWaitMsPerS: 30,
      runQueueWaitMsPerSlice: 0.5,
    });
    expect(() => parseSchedStat('garbage')).toThrow(/schedstat/);
  });
});

describe('resident memory by mapping, per allocator', () => {
  const maps = {
    brkHeapKb: 10 * 1024,
    threadArenasKb: 4 * 1024,
    threadArenas: 2,
    otherAnonKb: 100 * 1024,
    fileKb: 50 * 1024,
  };

  it("splits out glibc's arenas when the agent runs glibc's malloc", () => {
    expect(mappingSeries(maps, 'glibc')).toEqual({
      mallocMainMb: 10,
      mallocThreadArenasMb: 4,
      otherAnonMb: 100,
    });
  });

  it('with jemalloc, counts every anonymous mapping as other, so no glibc row reads a misleading 0', () => {
    expect(mappingSeries(maps, 'jemalloc')).toEqual({ otherAnonMb: 114 });
  });
});

describe('soak memory by series', () => {
  const sample = (t: number, over: Partial<SoakSample>): SoakSample => ({
    t,
    rssMb: 400,
    heapUsedMb: 100,
    activeCalls: 100,
    cpuMs: 0,
    lagP99Ms: undefined,
    lagMaxMs: undefined,
    loadAvg1: 1,
    ...over,
  });

  it('gives each series its own slope and leaves out series the samples do not carry', () => {
    // 20 minutes: RSS and the main arena rise 1 MB per minute, arrayBuffers stay flat.
    const samples = Array.from({ length: 120 }, (_, i) =>
      sample(i * 10, { rssMb: 400 + i / 6, mallocMainMb: 50 + i / 6, arrayBuffersMb: 60 }),
    );
    const byName = new Map(memorySlopes(samples, 2).map((r) => [r.name, r]));
    expect([...byName.keys()]).toEqual(['RSS', 'heapUsed', 'arrayBuffers', 'malloc main arena']);
    expect(byName.get('RSS')!.slopeMbPerHour).toBeCloseTo(60);
    expect(byName.get('malloc main arena')!.floorSlopeMbPerHour).toBeCloseTo(60, 0);
    expect(byName.get('arrayBuffers')!.slopeMbPerHour).toBeCloseTo(0);
    expect(byName.get('RSS')!.firstMb).toBeCloseTo(402);
    const afterGc = sample(1300, { rssMb: 380, mallocMainMb: 70, arrayBuffersMb: 5 });
    const table = memorySlopeTable(samples, 2, afterGc).join('\n');
    expect(table).toContain('| malloc main arena |');
    expect(table).toContain('**60.0**');
    // The last column: what is left once every call ended and a full GC ran.
    expect(table).toMatch(/\| arrayBuffers \|.*\| 5\.0 \|$/m);
    expect(table).toMatch(/\| heapUsed \|.*\| 100\.0 \|$/m);
  });
});
