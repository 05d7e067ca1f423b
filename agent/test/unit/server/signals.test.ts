import { afterEach, describe, expect, it, vi } from 'vitest';
import { DrainController } from '../../../src/server/drain.ts';
import { signalAction } from '../../../src/server/signals.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('signalAction', () => {
  it('starts a drain on the first SIGTERM or SIGINT', () => {
    expect(signalAction('SIGTERM', 'running')).toBe('start_drain');
    expect(signalAction('SIGINT', 'running')).toBe('start_drain');
  });

  it('SIGTERM during a drain (after the preStop /drain or an earlier SIGTERM) continues it', () => {
    expect(signalAction('SIGTERM', 'draining')).toBe('continue_drain');
    expect(signalAction('SIGTERM', 'finishing')).toBe('continue_drain');
  });

  it('only a repeated SIGINT (Ctrl-C in a terminal) ends the calls now', () => {
    expect(signalAction('SIGINT', 'draining')).toBe('end_calls_now');
  });
});

describe('the kubelet sequence against the drain, on fake time', () => {
  it('POST /drain, then SIGTERM: calls run to their own end; the deadline counts from the first request', async () => {
    vi.useFakeTimers();
    const state = { active: 2, ended: [] as string[], exits: [] as number[] };
    const drain = new DrainController({
      drainSeconds: 600,
      logger: silentLogger,
      activeCalls: () => state.active,
      endAllCalls: async (reason) => {
        state.ended.push(reason);
        state.active = 0;
      },
      shutdown: async () => {},
      onExit: (code) => state.exits.push(code),
    });
    const done = drain.start('POST /drain');
    await vi.advanceTimersByTimeAsync(30_000);
    // The kubelet's SIGTERM arrives after the hook: it must not end or restart anything.
    expect(signalAction('SIGTERM', drain.phase)).toBe('continue_drain');
    await vi.advanceTimersByTimeAsync(500_000);
    state.active = 1;
    drain.callEnded();
    expect(state.ended).toEqual([]);
    // 600 s after the POST, not after the SIGTERM, the last call is ended.
    await vi.advanceTimersByTimeAsync(70_000);
    await done;
    expect(state.ended).toEqual(['drain_deadline']);
    expect(state.exits).toEqual([0]);
  });
});
