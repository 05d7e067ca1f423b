import { describe, expect, it } from 'vitest';
import {
  keepNotes,
  kneeOf,
  loadLabel,
  readmeTable,
  renderSweepMarkdown,
  replaceBetweenMarkers,
  sweepCharts,
  type SweepReport,
  withReadmeCapacity,
} from '../../../bench/capacity/report.ts';
import { summarizeStep, type StepResult } from '../../../bench/capacity/summary.ts';
import { stepInputs, turn } from './fixtures.ts';

function step(calls: number, totals: number[], lagP99: number): StepResult {
  return summarizeStep(
    stepInputs({
      calls,
      agentTurns: totals.map((t, i) => turn(i % 2 === 0 ? 'CA1' : 'CA2', t)),
      lag: { p50: 1, p99: lagP99, max: lagP99 * 2 },
    }),
  );
}

const report: SweepReport = {
  kind: 'sweep',
  startedAt: '2026-12-01T14:00:00.000Z',
  finishedAt: '2026-12-01T14:30:00.000Z',
  command: 'npm run bench',
  machine: {
    revision: 'abc1234',
    cpus: 2,
    cpuModel: 'Test CPU',
    memoryGiB: 24,
    node: 'v24.9.0',
    kernel: '6.1',
  },
  durationS: 60,
  emulatorOptions: {},
  profiles: [
    {
      name: 'reference',
      path: '../shared/bench/reference-profile.json',
      steps: [
        step(1, [500, 600], 2),
        step(50, [600, 700], 5),
        step(100, [600, 750], 12),
        step(200, [900, 1500], 40),
      ],
      stoppedBecause: '200 calls broke (test)',
    },
  ],
};

describe('sweep report', () => {
  it('finds the knee from the steps', () => {
    expect(kneeOf(report.profiles[0]!).calls).toBe(100);
  });

  it('renders a table row per step, the knee, the stop reason and the charts', () => {
    const md = renderSweepMarkdown(report, 'capacity');
    expect(md).toContain('# Capacity');
    expect(md).toContain('agent code at abc1234');
    expect(md.match(/^\| (1|50|100|200) \| 2 \|/gm)).toHaveLength(4);
    expect(md).toContain('**Knee (reference): 100 concurrent calls**');
    expect(md).toContain('Sweep stopped: 200 calls broke (test).');
    expect(md).toContain('](capacity/latency.svg)');
    expect(md).not.toMatch(/NaN|undefined/);
    expect(md).not.toContain("The agent's allocator");
    expect(
      renderSweepMarkdown({ ...report, allocator: 'glibc malloc (--allocator glibc)' }, 'capacity'),
    ).toContain("- The agent's allocator: glibc malloc (--allocator glibc).");
  });

  it("shows the agent loop thread's time on a CPU and its run-queue wait per step, '-' when not read", () => {
    const withThread = summarizeStep(
      stepInputs({
        calls: 50,
        agentMainThread: { onCpuPct: 42, runQueueWaitMsPerS: 12.5, runQueueWaitMsPerSlice: 0.31 },
      }),
    );
    const md = renderSweepMarkdown(
      { ...report, profiles: [{ ...report.profiles[0]!, steps: [withThread, step(100, [600], 12)] }] },
      'capacity',
    );
    expect(md).toContain('| agent loop thread: on CPU / run-queue wait per s, per slice (ms) |');
    expect(md).toMatch(/^\| 50 \| .*\| 42 % \/ 12\.5, 0\.31 \|/m);
    expect(md).toMatch(/^\| 100 \| [\d.]+ \/ \d+ \| [^\n]*\| - \| - \| none \| no \|$/m);
  });

  it('marks a loaded machine', () => {
    expect(loadLabel([0.2], [0.5])).toBe('0.20 -> 0.50');
    expect(loadLabel([0.2], [3.1])).toBe('0.20 -> 3.10 (loaded)');
  });

  it('draws latency, CPU and lag against N and a CDF per profile', () => {
    const charts = sweepCharts(report);
    expect([...charts.keys()].sort()).toEqual([
      'cdf-reference.svg',
      'cpu-pct-reference.svg',
      'cpu.svg',
      'lag.svg',
      'latency.svg',
    ]);
    expect(charts.get('cdf-reference.svg')!.match(/<polyline/g)).toHaveLength(4);
  });

  it('summarises the knee for the README', () => {
    const t = readmeTable(report);
    expect(t.split('\n')).toHaveLength(3);
    expect(t).toMatch(/^\| reference \| 100 \|/m);
  });
});

describe('replaceBetweenMarkers', () => {
  it('replaces between existing markers and appends them when absent', () => {
    const doc = 'a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n';
    expect(replaceBetweenMarkers(doc, 'x', 'new')).toBe('a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n');
    expect(replaceBetweenMarkers('a\n', 'x', 'new')).toBe('a\n\n<!-- x:start -->\nnew\n<!-- x:end -->\n');
  });
});

describe('keepNotes', () => {
  it('carries the hand-written notes of the previous report into the regenerated one', () => {
    const previous = '# old\nfigures\n\n<!-- notes:start -->\n## Notes\nwhy\n<!-- notes:end -->\n';
    expect(keepNotes(previous, '# new\n')).toBe(
      '# new\n\n<!-- notes:start -->\n## Notes\nwhy\n<!-- notes:end -->\n',
    );
    expect(keepNotes('# old, no notes\n', '# new\n')).toBe('# new\n');
  });
});

describe('withReadmeCapacity', () => {
  it('adds the section before Development once, then replaces its body', () => {
    const readme = '# X\n\n## Usage\n\ntext\n\n## Development\n\nmore\n';
    const once = withReadmeCapacity(readme, 'table 1');
    expect(once).toBe(
      '# X\n\n## Usage\n\ntext\n\n## Capacity per agent process\n\n<!-- capacity:start -->\ntable 1\n<!-- capacity:end -->\n\n## Development\n\nmore\n',
    );
    const twice = withReadmeCapacity(once, 'table 2');
    expect(twice).toBe(once.replace('table 1', 'table 2'));
  });
});
