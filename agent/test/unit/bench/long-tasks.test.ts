import { describe, expect, it } from 'vitest';
import { summarize, tasksOf, type CpuProfile } from '../../../bench/capacity/long-tasks.ts';

const frame = (functionName: string, lineNumber = 0): CpuProfile['nodes'][number]['callFrame'] => ({
  functionName,
  url: 'file:///repo/agent/dist/x.js',
  lineNumber,
});

// root -> (idle); root -> onData -> work; root -> (garbage collector)
const nodes: CpuProfile['nodes'] = [
  { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
  { id: 2, callFrame: frame('(idle)') },
  { id: 3, callFrame: frame('onData', 9), children: [4] },
  { id: 4, callFrame: frame('work', 19) },
  { id: 5, callFrame: frame('(garbage collector)') },
];

function profile(run: ReadonlyArray<readonly [number, number]>): CpuProfile {
  return {
    nodes,
    startTime: 0,
    endTime: run.reduce((a, [, d]) => a + d, 0),
    samples: run.map(([id]) => id),
    timeDeltas: run.map(([, d]) => d),
  };
}

describe('long tasks from a CPU profile', () => {
  it('cuts tasks at idle samples and splits their wall time into running and descheduled', () => {
    // Task 1: 25 samples 1 ms apart (24 ms), 3 of them GC. Task 2: 5 samples, one 30 ms gap
    // (the process not scheduled): 34 ms wall, 8 ms running (the gap counts as one 4 ms interval).
    const run: Array<[number, number]> = [
      [2, 1000],
      ...Array.from({ length: 22 }, () => [4, 1000] as [number, number]),
      [5, 1000],
      [5, 1000],
      [5, 1000],
      [2, 1000],
      [3, 1000],
      [4, 1000],
      [4, 30_000],
      [4, 1000],
      [4, 1000],
      [2, 1000],
    ];
    const tasks = tasksOf(profile(run));
    expect(tasks.map((t) => [t.wallMs, t.runMs, t.gcMs])).toEqual([
      [24, 24, 3],
      [33, 7, 0],
    ]);
    expect(tasks[0]!.entries.get('onData agent/dist/x.js:10')).toBe(22);
    expect(tasks[0]!.leaves.get('work agent/dist/x.js:20')).toBe(22);
    const s = summarize(profile(run), 20);
    expect([s.tasks, s.long, s.longByRun]).toEqual([2, 2, 1]);
    expect(s.topEntries[0]).toEqual(['onData agent/dist/x.js:10', 27]);
  });
});
