import { describe, expect, it } from 'vitest';
import { agentCommand } from '../../../bench/capacity/harness.ts';

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
