// Loaded into the agent process by the benchmark (node --import <this file>) when
// HVA_BENCH_PROBE_FILE names a file: every HVA_BENCH_PROBE_EVERY_MS (default 10 s) it appends one
// JSON line with what /metrics does not carry: process.memoryUsage() in full (arrayBuffers
// apart from external), GC pauses by kind and the event loop's own busy share (utilisation)
// since the previous line. The harness reads the file (probe.ts); nothing here touches the
// agent's code, so the production entry runs unmodified.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import { gcKindName, type ProbeLine } from './probe.ts';

const file = process.env['HVA_BENCH_PROBE_FILE'];
const every = Number(process.env['HVA_BENCH_PROBE_EVERY_MS'] ?? 10_000);

interface GcTally {
  count: number;
  totalMs: number;
  maxMs: number;
  over10Ms: number;
}

if (file) {
  let gc = new Map<string, GcTally>();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) record(e);
  });
  const record = (e: PerformanceEntry): void => {
    const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
    const kind = gcKindName(detail?.kind ?? -1, constants);
    const t = gc.get(kind) ?? { count: 0, totalMs: 0, maxMs: 0, over10Ms: 0 };
    t.count += 1;
    t.totalMs += e.duration;
    t.maxMs = Math.max(t.maxMs, e.duration);
    if (e.duration > 10) t.over10Ms += 1;
    gc.set(kind, t);
  };
  observer.observe({ entryTypes: ['gc'] });
  let elu = performance.eventLoopUtilization();
  const write = (forcedGc: boolean): void => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, elu);
    elu = now;
    const m = process.memoryUsage();
    const line: ProbeLine = {
      atMs: performance.timeOrigin + performance.now(),
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      eluBusyMs: since.active,
      eluShare: since.utilization,
      gc: Object.fromEntries(gc),
      ...(forcedGc ? { forcedGc } : {}),
    };
    gc = new Map();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  setInterval(() => write(false), every).unref();
  // SIGUSR2 (with --expose-gc): a full GC, then a line at once: what is live against what the
  // process still holds (a leak stays; garbage and the allocator's retained pages do not / do).
  // With HVA_BENCH_HEAP_SNAPSHOT_DIR also a heap snapshot there (what holds the live heap).
  const gcNow = (globalThis as { gc?: () => void }).gc;
  const snapshotDir = process.env['HVA_BENCH_HEAP_SNAPSHOT_DIR'];
  if (gcNow)
    process.on('SIGUSR2', () => {
      gcNow();
      gcNow();
      write(true);
      if (snapshotDir)
        writeHeapSnapshot(join(snapshotDir, `agent-${process.pid}-${Date.now()}.heapsnapshot`));
    });
}
