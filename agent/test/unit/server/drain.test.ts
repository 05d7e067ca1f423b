import { afterEach, describe, expect, it, vi } from 'vitest';
import { DrainController } from '../../../src/server/drain.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

function setup(active: number, drainSeconds = 60) {
  const state = { active, ended: [] as string[], shutdowns: 0, exits: [] as number[] };
  const drain = new DrainController({
    drainSeconds,
    logger: silentLogger,
    activeCalls: () => state.active,
    endAllCalls: async (reason) => {
      state.ended.push(reason);
      state.active = 0;
    },
    shutdown: async () => {
      state.shutdowns += 1;
    },
    onExit: (code) => state.exits.push(code),
  });
  return { drain, state };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DrainController', () => {
  it('with no calls, shuts down and exits 0 at once', async () => {
    const { drain, state } = setup(0);
    await drain.start('test');
    expect(state).toMatchObject({ shutdowns: 1, exits: [0] });
    expect(drain.phase).toBe('done');
  });

  it('waits for calls to end by themselves, then exits 0 once', async () => {
    const { drain, state } = setup(2);
    const done = drain.start('SIGTERM');
    expect(drain.draining).toBe(true);
    state.active = 1;
    drain.callEnded();
    expect(state.exits).toEqual([]);
    state.active = 0;
    drain.callEnded();
    await done;
    expect(state.exits).toEqual([0]);
    expect(state.ended).toEqual(['drained']);
    drain.callEnded();
    await drain.start('again');
    expect(state.exits).toEqual([0]);
    expect(state.shutdowns).toBe(1);
  });

  it('ends the remaining calls at the deadline', async () => {
    vi.useFakeTimers();
    const { drain, state } = setup(3, 30);
    const done = drain.start('SIGTERM');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(state.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(state.ended).toEqual(['drain_deadline']);
    expect(state.exits).toEqual([0]);
  });

  it('a second signal ends the remaining calls now', async () => {
    const { drain, state } = setup(3);
    void drain.start('SIGTERM');
    await drain.force('second SIGTERM');
    expect(state.ended).toEqual(['second SIGTERM']);
    expect(state.exits).toEqual([0]);
  });
});
