// What the agent probe (agent-probe.ts) writes and how the harness reads it, plus where the
// agent's resident memory lives by mapping (/proc/<pid>/smaps): glibc's main malloc arena
// ([heap]), its per-thread arenas (64 MiB reservations) and everything else anonymous (V8's
// heap pages, large mmap'd allocations). Pure parsing; the reads are at the edges.
import { existsSync, readFileSync } from 'node:fs';

export interface GcKindTally {
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly over10Ms: number;
}

export interface ProbeLine {
  readonly atMs: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Time the loop ran callbacks (not waiting in epoll) since the previous line, and its share. */
  readonly eluBusyMs: number;
  readonly eluShare: number;
  readonly gc: Readonly<Record<string, GcKindTally>>;
  /** Written right after a full GC the harness asked for (SIGUSR2). */
  readonly forcedGc?: boolean;
}

/** perf_hooks GC kind constant to a short name ('minor', 'major', 'incremental', 'weakcb'). */
export function gcKindName(kind: number, c: Readonly<Record<string, number>>): string {
  if (kind === c['NODE_PERFORMANCE_GC_MINOR']) return 'minor';
  if (kind === c['NODE_PERFORMANCE_GC_MAJOR']) return 'major';
  if (kind === c['NODE_PERFORMANCE_GC_INCREMENTAL']) return 'incremental';
  if (kind === c['NODE_PERFORMANCE_GC_WEAKCB']) return 'weakcb';
  return `kind${kind}`;
}

export function parseProbeLines(text: string): ProbeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as ProbeLine];
      } catch {
        return []; // A line cut by a write in progress.
      }
    });
}

export function readProbeLines(file: string): ProbeLine[] {
  return existsSync(file) ? parseProbeLines(readFileSync(file, 'utf8')) : [];
}

/** Resident memory by kind of mapping, kB. */
export interface SmapsSummary {
  /** glibc's main arena (brk heap). */
  readonly brkHeapKb: number;
  /** glibc's thread arenas: an anonymous rw mapping whose ---p tail completes a 64 MiB reservation. */
  readonly threadArenasKb: number;
  readonly threadArenas: number;
  /** Other anonymous memory: V8's heap pages, large (mmap'd) malloc blocks, thread stacks. */
  readonly otherAnonKb: number;
  /** File-backed (code, shared libraries). */
  readonly fileKb: number;
}

interface Mapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
  rssKb: number;
}

const ARENA_KB = 64 * 1024;

function parseMappings(text: string): Mapping[] {
  const maps: Mapping[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({
        start: parseInt(head[1]!, 16),
        end: parseInt(head[2]!, 16),
        perms: head[3]!,
        path: head[4]!.trim(),
        rssKb: 0,
      });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length > 0) maps[maps.length - 1]!.rssKb = Number(rss[1]);
  }
  return maps;
}

export function summarizeSmaps(text: string): SmapsSummary {
  const maps = parseMappings(text);
  let brkHeapKb = 0;
  let threadArenasKb = 0;
  let threadArenas = 0;
  let otherAnonKb = 0;
  let fileKb = 0;
  maps.forEach((m, i) => {
    if (m.path === '[heap]') brkHeapKb += m.rssKb;
    else if (m.path.startsWith('/')) fileKb += m.rssKb;
    else if (m.path === '') {
      const next = maps[i + 1];
      const sizeKb = (m.end - m.start) / 1024;
      const reservedKb =
        next !== undefined && next.path === '' && next.perms.startsWith('---') && next.start === m.end
          ? (next.end - m.start) / 1024
          : sizeKb;
      // A thread arena is 64 MiB-aligned; a full one has no ---p tail left.
      const isArena =
        m.perms.startsWith('rw') && reservedKb === ARENA_KB && m.start % (ARENA_KB * 1024) === 0;
      if (isArena) {
        threadArenasKb += m.rssKb;
        threadArenas += 1;
      } else otherAnonKb += m.rssKb;
    } else otherAnonKb += m.rssKb; // [stack], [anon:...]
  });
  return { brkHeapKb, threadArenasKb, threadArenas, otherAnonKb, fileKb };
}

/** The resident-memory series of a soak sample, MB. */
export interface MappingSeries {
  readonly mallocMainMb?: number;
  readonly mallocThreadArenasMb?: number;
  readonly otherAnonMb: number;
}

/**
 * glibc's arenas only when the agent runs glibc's malloc: jemalloc maps its own memory, so with
 * it every anonymous mapping counts as other anonymous and the glibc rows are left out.
 */
export function mappingSeries(maps: SmapsSummary, allocator: 'glibc' | 'jemalloc'): MappingSeries {
  if (allocator === 'jemalloc')
    return { otherAnonMb: (maps.brkHeapKb + maps.threadArenasKb + maps.otherAnonKb) / 1024 };
  return {
    mallocMainMb: maps.brkHeapKb / 1024,
    mallocThreadArenasMb: maps.threadArenasKb / 1024,
    otherAnonMb: maps.otherAnonKb / 1024,
  };
}

export function readSmaps(pid: number): SmapsSummary | undefined {
  try {
    return summarizeSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A thread's scheduler totals (/proc/<pid>/task/<tid>/schedstat): on CPU, waiting runnable, slices. */
export interface SchedStat {
  readonly runMs: number;
  readonly waitMs: number;
  readonly slices: number;
}

export function parseSchedStat(text: string): SchedStat {
  const [run, wait, slices] = text.trim().split(/\s+/).map(Number);
  if (![run, wait, slices].every((v) => Number.isFinite(v))) throw new Error(`not a schedstat line: ${text}`);
  return { runMs: run! / 1e6, waitMs: wait! / 1e6, slices: slices! };
}

/** The main thread's (the event loop's) scheduler totals; undefined when the process is gone. */
export function readMainThreadSchedStat(pid: number): SchedStat | undefined {
  try {
    return parseSchedStat(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The event loop's thread over a window: its share of the wall time on a CPU, and the time it
 * was runnable yet waited for a CPU (other processes' turn: scheduling, not the agent's own
 * work), per second of window and per time slice (roughly per wake-up).
 */
export function mainThreadWindow(
  a: SchedStat,
  b: SchedStat,
  windowMs: number,
): { onCpuPct: number; runQueueWaitMsPerS: number; runQueueWaitMsPerSlice: number } {
  const slices = Math.max(1, b.slices - a.slices);
  return {
    onCpuPct: windowMs > 0 ? ((b.runMs - a.runMs) / windowMs) * 100 : 0,
    runQueueWaitMsPerS: windowMs > 0 ? (b.waitMs - a.waitMs) / (windowMs / 1000) : 0,
    runQueueWaitMsPerSlice: (b.waitMs - a.waitMs) / slices,
  };
}
