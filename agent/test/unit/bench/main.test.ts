import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentEnv, parseDeadline, parseEmulatorOptions } from '../../../bench/capacity/cli.ts';
import { stepEstimateMs } from '../../../bench/capacity/main.ts';

describe('sweep scheduling', () => {
  it('reads --deadline as HH:MM today or an ISO time', () => {
    const now = new Date(2026, 11, 1, 13, 0, 0);
    expect(parseDeadline('14:45', now)).toBe(new Date(2026, 11, 1, 14, 45, 0).getTime());
    expect(parseDeadline('2026-12-01T14:45:00Z')).toBe(Date.parse('2026-12-01T14:45:00Z'));
    expect(() => parseDeadline('soon')).toThrow(/HH:MM/);
  });

  it('estimates a step as start, ramp, settling, window and the hang-up delay', () => {
    // 500 calls: 30 s ramp; 60 s window.
    expect(stepEstimateMs(500, 60)).toBe(15_000 + 30_000 + 5000 + 60_000 + 15_000 + 5000);
    expect(stepEstimateMs(500, 60, 2)).toBe(15_000 + 2000 + 5000 + 60_000 + 15_000 + 5000);
    expect(stepEstimateMs(1, 60)).toBeLessThan(stepEstimateMs(500, 60));
  });
});

describe('pass-through flags', () => {
  it('takes emulator options as JSON or @file, per emulator, and refuses anything else', () => {
    expect(parseEmulatorOptions('{"tts":{"cacheEntries":0},"speech":{"streamLimitSeconds":60}}')).toEqual({
      tts: { cacheEntries: 0 },
      speech: { streamLimitSeconds: 60 },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'bench-opts-')), 'o.json');
    writeFileSync(file, '{"openai":{"seed":3}}');
    expect(parseEmulatorOptions(`@${file}`)).toEqual({ openai: { seed: 3 } });
    expect(parseEmulatorOptions(undefined)).toEqual({});
    expect(() => parseEmulatorOptions('{"stt":{}}')).toThrow(/unknown emulator 'stt'/);
    expect(() => parseEmulatorOptions('[1]')).toThrow(/JSON object/);
  });

  it('takes agent settings as KEY=VALUE', () => {
    expect(parseAgentEnv(['LLM_PREEMPTIVE=false', 'GREETING_TEXT=a=b'])).toEqual({
      LLM_PREEMPTIVE: 'false',
      GREETING_TEXT: 'a=b',
    });
    expect(() => parseAgentEnv(['NOPE'])).toThrow(/KEY=VALUE/);
  });
});
