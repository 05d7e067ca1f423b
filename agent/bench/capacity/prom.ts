// Reads the agent's own figures without instrumenting it: the Prometheus text exposition of its
// admin /metrics and Linux /proc/<pid>/stat. The parsers are pure; the readers are thin I/O.
import { readFileSync } from 'node:fs';
import type { Buckets } from './stats.ts';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (comments skipped; unparsable lines ignored). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    const v = m[3]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of every series of `name` whose labels include `match` (0 when there is none). */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** The value of the first series of `name` matching `match`, or undefined. */
export function valueOf(
  samples: readonly Sample[],
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

/** Per value of `label`: the series' values (e.g. active handles by type). */
export function byLabel(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = s.labels[label] ?? '';
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** A histogram's cumulative buckets (name without _bucket) for the series matching `match`. */
export function bucketsOf(
  samples: readonly Sample[],
  name: string,
  match: Record<string, string> = {},
): Buckets | undefined {
  const rows = samples
    .filter(
      (s) =>
        s.name === `${name}_bucket` &&
        s.labels['le'] !== undefined &&
        Object.entries(match).every(([k, v]) => s.labels[k] === v),
    )
    .map((s) => [s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']), s.value] as const)
    .sort((a, b) => a[0] - b[0]);
  if (rows.length === 0) return undefined;
  return { le: rows.map((r) => r[0]), counts: rows.map((r) => r[1]) };
}

export interface ProcStat {
  /** User + system CPU time of the process, ms (clock ticks converted at `ticksPerSecond`). */
  readonly cpuMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  readonly threads: number;
}

/**
 * Parses /proc/<pid>/stat (proc(5)): the command name is in parentheses and may hold spaces, so
 * fields are counted after the last ')'. utime is field 14, stime 15, num_threads 20, rss 24.
 */
export function parseProcStat(text: string, ticksPerSecond = 100, pageBytes = 4096): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  // Fields from 3 (state) on.
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => Number(f[n - 3]);
  const userMs = (field(14) * 1000) / ticksPerSecond;
  const systemMs = (field(15) * 1000) / ticksPerSecond;
  return {
    cpuMs: userMs + systemMs,
    userMs,
    systemMs,
    threads: field(20),
    rssBytes: field(24) * pageBytes,
  };
}

/** /proc/<pid>/stat of a live process (Linux; USER_HZ is 100 on every mainstream kernel). */
export function readProcStat(pid: number): ProcStat {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The machine's 1-, 5- and 15-minute load averages from /proc/loadavg text. */
export function parseLoadAvg(text: string): [number, number, number] {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  return [a ?? NaN, b ?? NaN, c ?? NaN];
}

/** Busy and total clock ticks over all CPUs, from the first line of /proc/stat. */
export function parseCpuTotals(procStat: string): { busy: number; total: number } {
  const line = procStat.split('\n')[0] ?? '';
  if (!line.startsWith('cpu ')) throw new Error('not /proc/stat');
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function readCpuTotals(): { busy: number; total: number } {
  return parseCpuTotals(readFileSync('/proc/stat', 'utf8'));
}

/** Cores busy on average between two /proc/stat readings (all processes, ours and others'). */
export function busyCores(
  a: { busy: number; total: number },
  b: { busy: number; total: number },
  cpus: number,
): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cpus : 0;
}
