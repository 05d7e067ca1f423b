// What blocks the agent's event loop: reads a V8 CPU profile (node --cpu-prof, e.g. through
// `npm run bench -- --agent-node-arg=--cpu-prof`) and cuts it into tasks, runs of samples
// between two "(idle)" samples. A task's wall time is split into time the sampler saw the thread
// run (samples about one interval apart) and gaps (the process was not scheduled: on a shared
// 2-core machine, other processes' time). Prints the long tasks' share and what they ran.
// Descheduling in slices shorter than the gap threshold is not seen as a gap: the run-queue wait
// in /proc/<pid>/task/<pid>/schedstat (the capacity report's loop-thread column) is the measure.
//
//   node agent/bench/capacity/long-tasks.ts <file.cpuprofile> [--over 20]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Task {
  readonly startUs: number;
  readonly wallMs: number;
  /** Wall time less the gaps between samples longer than `gapUs` (the thread not running). */
  readonly runMs: number;
  readonly gcMs: number;
  /** Samples by leaf function ('name file:line') and by the task's entry (first JS frame under the root). */
  readonly leaves: ReadonlyMap<string, number>;
  readonly entries: ReadonlyMap<string, number>;
  /** Samples by the innermost agent frame (agent/dist or agent/src) on the stack. */
  readonly agentFrames: ReadonlyMap<string, number>;
}

const label = (n: ProfileNode): string => {
  const f = n.callFrame;
  const file = f.url.replace(/^.*\/(agent|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
};

const bump = (m: Map<string, number>, k: string, by = 1): void => {
  m.set(k, (m.get(k) ?? 0) + by);
};

/** Cuts a profile into tasks (runs of non-idle samples). `gapUs`: a longer gap is not running. */
export function tasksOf(p: CpuProfile, gapUs = 4000): Task[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const agentFrameOf = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (/\/agent\/(dist|src)\//.test(n.callFrame.url)) return label(n);
    }
    return '(no agent frame)';
  };
  const entryOf = (id: number): string => {
    let cur = id;
    for (let up = parent.get(cur); up !== undefined && parent.get(up) !== undefined; up = parent.get(cur))
      cur = up;
    return label(byId.get(cur)!);
  };
  const tasks: Task[] = [];
  let t = p.startTime;
  let open:
    | {
        startUs: number;
        wallUs: number;
        runUs: number;
        gcUs: number;
        leaves: Map<string, number>;
        entries: Map<string, number>;
        agentFrames: Map<string, number>;
      }
    | undefined;
  p.samples.forEach((id, i) => {
    const delta = p.timeDeltas[i] ?? 0;
    t += delta;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      if (open)
        tasks.push({
          startUs: open.startUs,
          wallMs: open.wallUs / 1000,
          runMs: open.runUs / 1000,
          gcMs: open.gcUs / 1000,
          leaves: open.leaves,
          entries: open.entries,
          agentFrames: open.agentFrames,
        });
      open = undefined;
      return;
    }
    if (!open)
      open = {
        startUs: t,
        wallUs: 0,
        runUs: 0,
        gcUs: 0,
        leaves: new Map(),
        entries: new Map(),
        agentFrames: new Map(),
      };
    else {
      open.wallUs += delta;
      open.runUs += Math.min(delta, gapUs);
    }
    if (name === '(garbage collector)') open.gcUs += Math.min(delta, gapUs);
    bump(open.leaves, label(node));
    bump(open.entries, name.startsWith('(') ? name : entryOf(id));
    bump(open.agentFrames, agentFrameOf(id));
  });
  return tasks;
}

export interface LongTaskSummary {
  readonly profileMs: number;
  readonly busyMs: number;
  readonly tasks: number;
  readonly long: number;
  readonly longWallMs: number;
  readonly longRunMs: number;
  readonly longGcMs: number;
  /** Long tasks whose own run time (gaps left out) is over the threshold. */
  readonly longByRun: number;
  readonly topLeaves: ReadonlyArray<readonly [string, number]>;
  readonly topEntries: ReadonlyArray<readonly [string, number]>;
  readonly topAgentFrames: ReadonlyArray<readonly [string, number]>;
  /** Long tasks by wall time: ms bucket (20, 30, 40, 60, 100+) -> count. */
  readonly wallHistogram: ReadonlyArray<readonly [string, number]>;
}

/** The tasks of a profile from `fromS` seconds after it started (leaves boot out). */
export function summarize(p: CpuProfile, overMs: number, fromS = 0): LongTaskSummary {
  const tasks = tasksOf(p).filter((t) => t.startUs - p.startTime >= fromS * 1e6);
  const long = tasks.filter((t) => t.wallMs > overMs);
  const leaves = new Map<string, number>();
  const entries = new Map<string, number>();
  const agentFrames = new Map<string, number>();
  const hist = new Map<string, number>();
  const edges = [overMs, 30, 40, 60, 100].filter((e, i, a) => i === 0 || (e > overMs && e !== a[i - 1]));
  for (const t of long) {
    for (const [k, v] of t.leaves) bump(leaves, k, v);
    for (const [k, v] of t.entries) bump(entries, k, v);
    for (const [k, v] of t.agentFrames) bump(agentFrames, k, v);
    const edge = [...edges].reverse().find((e) => t.wallMs > e)!;
    bump(hist, `>${edge} ms`);
  }
  const top = (m: Map<string, number>): Array<[string, number]> =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const sum = (xs: readonly Task[], f: (t: Task) => number): number => xs.reduce((a, t) => a + f(t), 0);
  return {
    profileMs: (p.endTime - p.startTime) / 1000 - fromS * 1000,
    busyMs: sum(tasks, (t) => t.runMs),
    tasks: tasks.length,
    long: long.length,
    longWallMs: sum(long, (t) => t.wallMs),
    longRunMs: sum(long, (t) => t.runMs),
    longGcMs: sum(long, (t) => t.gcMs),
    longByRun: long.filter((t) => t.runMs > overMs).length,
    topLeaves: top(leaves),
    topEntries: top(entries),
    topAgentFrames: top(agentFrames),
    wallHistogram: edges.map((e) => [`>${e} ms`, hist.get(`>${e} ms`) ?? 0] as const),
  };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      over: { type: 'string', default: '20' },
      from: { type: 'string', default: '0' },
      list: { type: 'string', default: '0' },
    },
  });
  const over = Number(values.over);
  for (const file of positionals) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, over, Number(values.from));
    console.log(
      `${file}: ${s.profileMs.toFixed(0)} ms profiled, loop busy ${s.busyMs.toFixed(0)} ms in ${s.tasks} tasks`,
    );
    console.log(
      `  tasks over ${over} ms wall: ${s.long} (${s.longWallMs.toFixed(0)} ms wall, ${s.longRunMs.toFixed(0)} ms running, ${s.longGcMs.toFixed(0)} ms GC); over ${over} ms running: ${s.longByRun}`,
    );
    console.log('  samples in long tasks by entry:');
    for (const [k, v] of s.topEntries) console.log(`    ${v}\t${k}`);
    console.log(`  by wall time: ${s.wallHistogram.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    console.log('  by innermost agent frame:');
    for (const [k, v] of s.topAgentFrames) console.log(`    ${v}\t${k}`);
    console.log('  by leaf:');
    for (const [k, v] of s.topLeaves) console.log(`    ${v}\t${k}`);
    if (Number(values.list) > 0) {
      const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      const longest = tasksOf(p)
        .filter((t) => t.startUs - p.startTime >= Number(values.from) * 1e6)
        .sort((a, b) => b.wallMs - a.wallMs)
        .slice(0, Number(values.list));
      for (const t of longest) {
        const top3 = (m: ReadonlyMap<string, number>): string =>
          [...m]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 4)
            .map(([k, v]) => `${v} ${k}`)
            .join('; ');
        console.log(
          `  at ${((t.startUs - p.startTime) / 1e6).toFixed(2)} s: ${t.wallMs.toFixed(0)} ms wall, ${t.runMs.toFixed(0)} running, ${t.gcMs.toFixed(0)} GC | ${top3(t.entries)} | ${top3(t.agentFrames)}`,
        );
      }
    }
  }
}
