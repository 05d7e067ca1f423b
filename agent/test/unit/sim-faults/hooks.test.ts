// The hooks on fake time: which calls, requests and syntheses a plan hits, the events and
// recovery times they log, and the ws-drop schedule.
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  createFaultInjector,
  createSwitchableFaults,
  parseFaultPlan,
  ShareSelector,
  faultRandom,
} from '../../../src/sim/faults/index.ts';
import type { FaultClock, FaultTimers } from '../../../src/sim/faults/index.ts';

const EPOCH = 1_700_000_000_000;

class FakeTime implements FaultClock, FaultTimers {
  t = EPOCH;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.due.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

describe('ShareSelector', () => {
  it('picks exactly the share, spread out, the same for the same seed', () => {
    const pick = (seed: number, n: number): boolean[] => {
      const s = new ShareSelector(0.2, faultRandom(seed, 0, 'x'));
      return Array.from({ length: n }, () => s.next());
    };
    const a = pick(1, 100);
    expect(a.filter(Boolean)).toHaveLength(20);
    // Evenly: every window of 5 consecutive calls holds exactly one.
    for (let i = 0; i + 5 <= 100; i += 5) expect(a.slice(i, i + 5).filter(Boolean)).toHaveLength(1);
    expect(pick(1, 100)).toEqual(a);
    // The seed decides where the picks fall.
    const patterns = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => pick(seed, 10).join()));
    expect(patterns.size).toBeGreaterThan(1);
  });
});

describe('stt-stream-fail hook', () => {
  it('fails the chosen calls mid-utterance, logs the failure and the reconnect delay', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(parseFaultPlan(['stt-stream-fail:20%@mid'], 3), {
      clock: time,
      timers: time,
    });
    const hook = inj.emulatorOptions.speech.streamFaults!;
    const calls = Array.from({ length: 10 }, (_, i) => `CA${i}`);
    const decisions = calls.map((c) => hook(c));
    const chosen = calls.filter((_, i) => decisions[i] !== undefined);
    expect(chosen).toHaveLength(2);
    for (const d of decisions.filter((x) => x !== undefined)) {
      expect(d.afterSpeechMs).toBeGreaterThanOrEqual(300);
      expect(d.afterSpeechMs).toBeLessThanOrEqual(900);
      expect(d.afterMs).toBeUndefined();
      expect([status.UNAVAILABLE, status.ABORTED, status.RESOURCE_EXHAUSTED]).toContain(d.code);
      expect(d.details).not.toBe('');
    }
    const victim = chosen[0]!;
    decisions[calls.indexOf(victim)]!.fired();
    time.advance(120);
    // The agent reconnects: that stream is served (streams=1) and the delay is logged.
    expect(hook(victim)).toBeUndefined();
    const events = inj.log.events();
    expect(events.map((e) => [e.type, e.callId])).toEqual([
      ['injected', victim],
      ['recovered', victim],
    ]);
    expect(events[1]?.afterMs).toBe(120);
    // Same plan, same seed: the same calls and codes.
    const again = createFaultInjector(parseFaultPlan(['stt-stream-fail:20%@mid'], 3), { clock: time });
    expect(calls.map((c) => again.emulatorOptions.speech.streamFaults!(c)?.code)).toEqual(
      decisions.map((d) => d?.code),
    );
  });

  it('fails the reconnects too with streams=N, at a fixed time after open and with the given code', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(
      parseFaultPlan(['stt-stream-fail:calls=100%,at=2s,code=RESOURCE_EXHAUSTED,streams=2']),
      { clock: time },
    );
    const hook = inj.emulatorOptions.speech.streamFaults!;
    const first = hook('CA1')!;
    expect(first).toMatchObject({ afterMs: 2000, code: status.RESOURCE_EXHAUSTED });
    first.fired();
    const second = hook('CA1')!;
    expect(second.code).toBe(status.RESOURCE_EXHAUSTED);
    second.fired();
    expect(hook('CA1')).toBeUndefined();
    expect(inj.log.events().map((e) => e.type)).toEqual(['injected', 'recovered', 'injected', 'recovered']);
  });

  it('is absent from a plan without it', () => {
    const inj = createFaultInjector(parseFaultPlan(['tts-outage:at=1s,for=1s']));
    expect(inj.emulatorOptions.speech).toEqual({});
    expect(inj.emulatorOptions.openai).toEqual({});
    expect(inj.caller).toBeUndefined();
  });
});

describe('LLM window hooks', () => {
  it('answers 429 with Retry-After inside the burst only, and logs the first answer after it', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(parseFaultPlan(['llm-429-burst:at=60s,for=10s,retry-after=2']), {
      clock: time,
      epochMs: EPOCH,
    });
    const hook = inj.emulatorOptions.openai.faultHook!;
    time.advance(59_999);
    expect(hook.request()).toBeNull();
    hook.completed(time.now()); // before any fault: no recovery to log
    time.advance(1);
    expect(hook.request()).toEqual({ type: 'rate_limit', retryAfterSeconds: 2 });
    time.advance(9_999);
    expect(hook.request()).toEqual({ type: 'rate_limit', retryAfterSeconds: 2 });
    // A request that arrived inside the window and was answered is not the recovery.
    hook.completed(time.now());
    time.advance(1);
    const arrived = time.now() + 300;
    time.advance(300);
    expect(hook.request()).toBeNull();
    time.advance(700);
    hook.completed(arrived);
    hook.completed(time.now());
    const events = inj.log.events();
    expect(events.filter((e) => e.type === 'injected')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'recovered')).toEqual([
      { fault: 'llm-429-burst', index: 0, type: 'recovered', atEpochMs: EPOCH + 71_000, afterMs: 1000 },
    ]);
  });

  it('stalls a seeded share of the requests in its window', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(parseFaultPlan(['llm-stall:at=0s,for=10s,requests=50%,after-tokens=2']), {
      clock: time,
    });
    const hook = inj.emulatorOptions.openai.faultHook!;
    const got = Array.from({ length: 10 }, () => hook.request());
    expect(got.filter((g) => g !== null)).toHaveLength(5);
    expect(got.find((g) => g !== null)).toEqual({ type: 'stall', afterTokens: 2 });
  });
});

describe('tts-outage hook', () => {
  it('refuses every synthesis inside the outage with UNAVAILABLE', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(parseFaultPlan(['tts-outage:at=5s,for=10s']), { clock: time });
    const hook = inj.emulatorOptions.tts.faultHook!;
    expect(hook.request()).toBeNull();
    time.advance(5000);
    expect(hook.request()).toEqual({ code: 'UNAVAILABLE', message: 'The service is currently unavailable.' });
    time.advance(10_000);
    expect(hook.request()).toBeNull();
    time.advance(250);
    hook.completed(EPOCH + 15_000);
    expect(inj.log.events().at(-1)).toMatchObject({ fault: 'tts-outage', type: 'recovered', afterMs: 250 });
  });
});

describe('ws-drop hook', () => {
  it('drops one live call per period, on a schedule from the epoch, never twice the same', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(parseFaultPlan(['ws-drop:every=60s,count=3'], 5), {
      clock: time,
      timers: time,
    });
    const dropper = inj.caller!;
    const dropped: string[] = [];
    const unregister = new Map<string, () => void>();
    for (let i = 0; i < 4; i++) {
      const callSid = `CA${i}`;
      unregister.set(callSid, dropper.register({ callSid, drop: () => dropped.push(callSid) }));
    }
    time.advance(59_999);
    expect(dropped).toEqual([]);
    time.advance(1);
    expect(dropped).toHaveLength(1);
    // The calls that ended meanwhile are not candidates: only `survivor` is left.
    const survivor = ['CA0', 'CA1', 'CA2', 'CA3'].find((sid) => sid !== dropped[0])!;
    for (const [sid, off] of unregister) if (sid !== survivor) off();
    time.advance(60_000);
    expect(dropped).toEqual([dropped[0], survivor]);
    // No live call at the third slot: nothing dropped, the count is of real drops.
    time.advance(60_000);
    expect(dropper.drops).toBe(2);
    expect(inj.log.events().map((e) => e.callId)).toEqual(dropped);
    expect(inj.log.events().map((e) => e.atEpochMs)).toEqual([EPOCH + 60_000, EPOCH + 120_000]);
    inj.stop();
    dropper.register({ callSid: 'CA9', drop: () => dropped.push('CA9') });
    time.advance(600_000);
    expect(dropped).not.toContain('CA9');
  });
});

describe('switchable faults', () => {
  it('serves no faults until a plan is in use, then that plan, and stops the old one on a switch', () => {
    const time = new FakeTime();
    const sw = createSwitchableFaults();
    const { speech, openai, tts } = sw.emulatorOptions;
    expect(speech.streamFaults('CA1')).toBeUndefined();
    expect(openai.faultHook.request()).toBeNull();
    expect(tts.faultHook.request()).toBeNull();
    const plan = parseFaultPlan([
      'llm-429-burst:at=0s,for=1s',
      'ws-drop:every=1s',
      'stt-stream-fail:100%@open',
    ]);
    const first = createFaultInjector(plan, { clock: time, timers: time });
    sw.use(first);
    expect(sw.current).toBe(first);
    expect(openai.faultHook.request()).toEqual({ type: 'rate_limit', retryAfterSeconds: 1 });
    expect(openai.faultHook.now()).toBe(EPOCH);
    expect(speech.streamFaults('CA1')).toMatchObject({ afterMs: 0 });
    const dropped: string[] = [];
    first.caller!.register({ callSid: 'CA1', drop: () => dropped.push('CA1') });
    sw.use(undefined);
    time.advance(5000);
    expect(dropped).toEqual([]);
    expect(openai.faultHook.request()).toBeNull();
  });
});

describe('two faults of one kind', () => {
  it('log which of them acted (their position in the plan)', () => {
    const time = new FakeTime();
    const inj = createFaultInjector(
      parseFaultPlan(['llm-stall:at=10s,for=5s', 'llm-stall:at=30s,for=5s,after-tokens=3']),
      { clock: time, epochMs: EPOCH },
    );
    const hook = inj.emulatorOptions.openai.faultHook!;
    time.advance(10_000);
    expect(hook.request()).toEqual({ type: 'stall', afterTokens: 0 });
    time.advance(20_000);
    expect(hook.request()).toEqual({ type: 'stall', afterTokens: 3 });
    hook.completed(EPOCH + 16_000);
    expect(inj.log.events().map((e) => [e.type, e.index])).toEqual([
      ['injected', 0],
      ['injected', 1],
      ['recovered', 0],
    ]);
  });
});
