import { describe, expect, it } from 'vitest';
import { parseBenchArgs, type BenchConfig } from '../../../bench/capacity/cli.ts';

const parsed = (argv: string[]): BenchConfig => {
  const c = parseBenchArgs(argv);
  if (c === 'help') throw new Error('unexpected help');
  return c;
};

describe('npm run bench command line', () => {
  it('reads a soak with its defaults: 100 calls, 30 minutes, the first profile, the default allocator', () => {
    const c = parsed(['--soak', '--profile', 'reference']);
    expect(c).toMatchObject({ mode: 'soak', soakCalls: 100, soakMinutes: 30, allocatorFlag: undefined });
    expect(c.profiles.map((p) => p.path)).toEqual(['../shared/bench/reference-profile.json']);
    expect(c.command).toBe('npm run bench -- --soak --profile reference');
    expect(c.agentEntryFlag).toBe('dist');
    expect(c.agentEntry).toMatch(/agent\/dist\/main\.js$/);
  });

  it('passes --allocator through, and the sweep and chaos settings', () => {
    const c = parsed(['--allocator', 'glibc', '--steps', '1,50', '--beyond', '0', '--duration', '30']);
    expect(c).toMatchObject({
      mode: 'sweep',
      allocatorFlag: 'glibc',
      steps: [1, 50],
      beyond: 0,
      durationS: 30,
    });
    expect(c.profiles.map((p) => p.name)).toEqual(['reference', 'google-like']);
    expect(parsed(['--chaos'])).toMatchObject({ mode: 'chaos', durationS: 120, chaosCalls: 100 });
  });

  it('refuses bad flags before anything starts', () => {
    expect(() => parseBenchArgs(['--steps', '0'])).toThrow(/positive integers/);
    expect(() => parseBenchArgs(['--soak', '--fault', 'tts-outage:at=30s,for=10s'])).toThrow(/not to --soak/);
    expect(() => parseBenchArgs(['--fault', 'nonsense'])).toThrow();
    expect(() => parseBenchArgs(['--deadline', 'soon'])).toThrow(/HH:MM/);
    expect(() => parseBenchArgs(['--profile', 'nowhere'])).toThrow(/not found/);
    expect(parseBenchArgs(['--help'])).toBe('help');
  });

  it('keeps --deadline as given and as a time', () => {
    const c = parsed(['--deadline', '2026-12-01T14:45:00Z']);
    expect(c.deadline).toEqual({ flag: '2026-12-01T14:45:00Z', atMs: Date.parse('2026-12-01T14:45:00Z') });
  });
});
