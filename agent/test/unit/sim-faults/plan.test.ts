import { describe, expect, it } from 'vitest';
import {
  FaultSpecError,
  formatFaultSpec,
  inWindow,
  parseDuration,
  parseFaultPlan,
  parseFaultSpec,
} from '../../../src/sim/faults/plan.ts';

describe('fault specs', () => {
  it('reads the compact forms of the issue', () => {
    expect(parseFaultSpec('stt-stream-fail:20%@mid')).toEqual({
      kind: 'stt-stream-fail',
      callShare: 0.2,
      at: { kind: 'mid' },
      code: 'mix',
      streams: 1,
    });
    expect(parseFaultSpec('llm-429-burst:at=60s,for=10s')).toEqual({
      kind: 'llm-429-burst',
      atMs: 60_000,
      forMs: 10_000,
      retryAfterS: 1,
      requestShare: 1,
    });
    expect(parseFaultSpec('llm-stall:at=1m,for=1.5s,after-tokens=3,requests=50%')).toEqual({
      kind: 'llm-stall',
      atMs: 60_000,
      forMs: 1500,
      afterTokens: 3,
      requestShare: 0.5,
    });
    expect(parseFaultSpec('tts-outage:at=30s,for=10s')).toEqual({
      kind: 'tts-outage',
      atMs: 30_000,
      forMs: 10_000,
      code: 'UNAVAILABLE',
    });
    expect(parseFaultSpec('ws-drop:every=60s')).toEqual({
      kind: 'ws-drop',
      everyMs: 60_000,
      startMs: 60_000,
      count: Infinity,
    });
  });

  it('reads the keyed stream-fail forms', () => {
    expect(parseFaultSpec('stt-stream-fail:calls=5%,at=2s..8s,code=ABORTED,streams=3')).toEqual({
      kind: 'stt-stream-fail',
      callShare: 0.05,
      at: { kind: 'after', fromMs: 2000, toMs: 8000 },
      code: 'ABORTED',
      streams: 3,
    });
    expect(parseFaultSpec('stt-stream-fail:100%@open')).toHaveProperty('at', { kind: 'open' });
    expect(parseFaultSpec('stt-stream-fail:10%@500ms')).toHaveProperty('at', {
      kind: 'after',
      fromMs: 500,
      toMs: 500,
    });
  });

  it.each([
    ['disk-full:at=1s', /unknown fault 'disk-full'/],
    ['llm-429-burst:at=60s,for=10s,colour=red', /unknown key 'colour'/],
    ['llm-429-burst:at=60s', /'for' is required/],
    ['llm-429-burst:at=60s,for=10s,at=5s', /'at' given twice/],
    ['llm-429-burst:at=sixty,for=10s', /not a duration/],
    ['llm-429-burst:at=60s,for=0s', /'for' must be longer than 0/],
    ['llm-429-burst:at=60s,for=10s,retry-after=1.5', /whole seconds/],
    ['llm-stall:at=1s,for=1s,requests=150%', /percentage/],
    ['stt-stream-fail:0%', /percentage/],
    ['stt-stream-fail:at=mid', /'calls' is required/],
    ['stt-stream-fail:20%@sometime', /not a duration/],
    ['stt-stream-fail:20%,code=NOT_FOUND', /code/],
    ['stt-stream-fail:20%,at=5s..2s', /ends before it starts/],
    ['stt-stream-fail:20%,streams=0', /whole number >= 1/],
    ['tts-outage:at=1s,for=1s,code=INTERNAL', /only UNAVAILABLE/],
    ['ws-drop:every=10ms', /at least 100ms/],
    ['ws-drop:every=60s,count=0', /whole number >= 1/],
    ['ws-drop:20%', /not key=value/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });

  it('formats every fault so that it parses back to the same thing', () => {
    for (const spec of [
      'stt-stream-fail:20%@mid',
      'stt-stream-fail:calls=12.5%,at=2s..8s,code=RESOURCE_EXHAUSTED,streams=2',
      'stt-stream-fail:100%@750ms',
      'llm-429-burst:at=60s,for=10s,retry-after=3,requests=40%',
      'llm-stall:at=1500ms,for=2m,after-tokens=2',
      'tts-outage:at=0s,for=10s',
      'ws-drop:every=60s,start=5s,count=2',
      'ws-drop:every=90s',
    ]) {
      const f = parseFaultSpec(spec);
      expect(parseFaultSpec(formatFaultSpec(f)), spec).toEqual(f);
    }
  });

  it('parses a plan with its seed, and windows are half-open', () => {
    const plan = parseFaultPlan(['tts-outage:at=10s,for=10s', 'tts-outage:at=60s,for=1s'], 7);
    expect(plan.seed).toBe(7);
    expect(plan.faults).toHaveLength(2);
    const w = plan.faults[0] as { atMs: number; forMs: number };
    expect([9999, 10_000, 19_999, 20_000].map((t) => inWindow(w, t))).toEqual([false, true, true, false]);
    expect(() => parseFaultPlan([], -1)).toThrow(FaultSpecError);
    expect(parseDuration('2m', 'x')).toBe(120_000);
  });
});
