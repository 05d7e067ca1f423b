// The soak's memory, one series at a time: where resident memory sits (V8 heap, Buffers'
// backing stores, glibc's malloc arenas, other anonymous mappings) and each series' slope, so
// growth outside the JS heap can be pinned on one of them. Pure: samples in, rows out.
import type { SoakSample } from './soak-report.ts';
import { floorSlopePerHour, slopePerHour } from './stats.ts';

export interface MemorySeries {
  readonly name: string;
  /** What it is, for the report's table. */
  readonly what: string;
  readonly of: (s: SoakSample) => number | undefined;
}

export const MEMORY_SERIES: readonly MemorySeries[] = [
  { name: 'RSS', what: 'resident set (/proc/<pid>/stat)', of: (s) => s.rssMb },
  { name: 'heapUsed', what: 'V8 heap, live and not yet collected', of: (s) => s.heapUsedMb },
  { name: 'heapTotal', what: 'V8 heap committed', of: (s) => s.heapTotalMb },
  {
    name: 'external',
    what: 'memory V8 objects hold outside the heap (incl. arrayBuffers)',
    of: (s) => s.externalMb,
  },
  { name: 'arrayBuffers', what: 'Buffer / ArrayBuffer backing stores', of: (s) => s.arrayBuffersMb },
  { name: 'malloc main arena', what: 'resident [heap] (brk) mapping', of: (s) => s.mallocMainMb },
  {
    name: 'malloc thread arenas',
    what: "resident part of glibc's 64 MiB per-thread arenas",
    of: (s) => s.mallocThreadArenasMb,
  },
  {
    name: 'other anonymous',
    what: "V8's heap pages, large mmap'd blocks, stacks (with jemalloc: all of malloc's memory)",
    of: (s) => s.otherAnonMb,
  },
];

export interface SeriesSlope {
  readonly name: string;
  readonly what: string;
  readonly firstMb: number;
  readonly lastMb: number;
  /** Least squares after the warm-up, over every sample, and of each minute's lowest sample. */
  readonly slopeMbPerHour: number;
  readonly slopeAllMbPerHour: number;
  readonly floorSlopeMbPerHour: number;
}

function points(samples: readonly SoakSample[], of: MemorySeries['of']): Array<[number, number]> {
  return samples.flatMap((s) => {
    const v = of(s);
    return v === undefined ? [] : [[s.t, v] as [number, number]];
  });
}

/** The slope of every series the samples carry (series with no values are left out). */
export function memorySlopes(samples: readonly SoakSample[], warmupMinutes: number): SeriesSlope[] {
  const after = samples.filter((s) => s.t >= warmupMinutes * 60);
  return MEMORY_SERIES.flatMap((m) => {
    const all = points(samples, m.of);
    const late = points(after, m.of);
    if (all.length < 2 || late.length < 2) return [];
    return [
      {
        name: m.name,
        what: m.what,
        firstMb: late[0]![1],
        lastMb: late[late.length - 1]![1],
        slopeMbPerHour: slopePerHour(late),
        slopeAllMbPerHour: slopePerHour(all),
        floorSlopeMbPerHour: floorSlopePerHour(late),
      },
    ];
  });
}

const n = (v: number): string => v.toFixed(1);

export function memorySlopeTable(
  samples: readonly SoakSample[],
  warmupMinutes: number,
  afterForcedGc?: SoakSample,
): string[] {
  const rows = memorySlopes(samples, warmupMinutes);
  if (rows.length === 0) return [];
  const atEnd = (name: string): string => {
    const v = afterForcedGc ? MEMORY_SERIES.find((m) => m.name === name)?.of(afterForcedGc) : undefined;
    return v === undefined ? '-' : n(v);
  };
  return [
    `Memory by series (MB; slopes in MB/hour, least squares over the samples after minute ${warmupMinutes}, over all samples, and of each minute's lowest sample):`,
    '',
    '| series | what | after warm-up: first -> last | slope | slope, all samples | slope of the minute floor | every call ended, after a full GC |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.what} | ${n(r.firstMb)} -> ${n(r.lastMb)} | **${n(r.slopeMbPerHour)}** | ${n(r.slopeAllMbPerHour)} | ${n(r.floorSlopeMbPerHour)} | ${atEnd(r.name)} |`,
    ),
    '',
  ];
}
