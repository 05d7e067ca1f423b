import { describe, expect, it } from 'vitest';
import {
  emulatorStartOptions,
  parseBenchArgs,
  TTS_AUDIO_STORE_DIR,
  type BenchConfig,
} from '../../../bench/capacity/cli.ts';

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

  it('runs the plumbing floor with --agent-entry floor', () => {
    const c = parsed(['--agent-entry', 'floor']);
    expect(c.agentEntryFlag).toBe('floor');
    expect(c.agentEntry).toMatch(/agent\/bench\/floor\/main\.ts$/);
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

  it('gives the TTS emulator the audio store unless --no-audio-store or the options name their own', () => {
    const on = parsed(['--steps', '100']);
    expect(on.ttsAudioStoreDir).toBe(TTS_AUDIO_STORE_DIR);
    expect(TTS_AUDIO_STORE_DIR).toMatch(/agent\/\.cache\/tts-emulator$/);
    expect(emulatorStartOptions(on)).toEqual({ tts: { audioStoreDir: TTS_AUDIO_STORE_DIR } });
    const off = parsed(['--no-audio-store']);
    expect(off.ttsAudioStoreDir).toBeUndefined();
    expect(emulatorStartOptions(off)).toEqual({});
    const own = parsed([
      '--emulator-options',
      '{"tts":{"audioStoreDir":"/x","cacheEntries":4},"speech":{"seed":2}}',
    ]);
    expect(emulatorStartOptions(own)).toEqual({
      tts: { audioStoreDir: '/x', cacheEntries: 4 },
      speech: { seed: 2 },
    });
    const merged = parsed(['--emulator-options', '{"tts":{"cacheEntries":4}}']);
    expect(emulatorStartOptions(merged)).toEqual({
      tts: { cacheEntries: 4, audioStoreDir: TTS_AUDIO_STORE_DIR },
    });
    expect(merged.emulatorOptions).toEqual({ tts: { cacheEntries: 4 } }); // the report shows what was asked
  });
});
