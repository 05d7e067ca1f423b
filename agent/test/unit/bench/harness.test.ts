import { describe, expect, it } from 'vitest';
import { agentCommand, simNodeArgs } from '../../../bench/capacity/harness.ts';

describe('agent process command', () => {
  it('runs node directly, or under taskset when HVA_BENCH_AGENT_CPUS names CPUs', () => {
    expect(agentCommand(['--expose-gc', 'dist/main.js'], undefined)).toEqual({
      file: process.execPath,
      args: ['--expose-gc', 'dist/main.js'],
    });
    expect(agentCommand(['dist/main.js'], '')).toEqual({ file: process.execPath, args: ['dist/main.js'] });
    expect(agentCommand(['dist/main.js'], ' 1 ')).toEqual({
      file: 'taskset',
      args: ['-c', '1', process.execPath, 'dist/main.js'],
    });
    expect(() => agentCommand(['dist/main.js'], '1; rm -rf /')).toThrow(/CPU list/);
  });
});

describe('emulators and callers process options', () => {
  it("adds HVA_BENCH_*_NODE_ARGS to the parent's own options", () => {
    expect(simNodeArgs(['--conditions=x'], undefined)).toEqual(['--conditions=x']);
    expect(simNodeArgs([], '')).toEqual([]);
    expect(simNodeArgs(['--a'], ' --cpu-prof   --cpu-prof-dir=/tmp/p/callers ')).toEqual([
      '--a',
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/p/callers',
    ]);
  });
});
