import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { sttHealth } from '../../../src/stt/health.ts';
import type {
  OneShotRecognizer,
  RawResult,
  RawStream,
  RawStreamEvents,
  RawStreamingProvider,
} from '../../../src/stt/raw.ts';
import { sttOutOfOrderFinals } from '../../../src/stt/metrics.ts';
import { createResilientStt, type Scheduler } from '../../../src/stt/resilient.ts';
import type { SttFinal, SttListener, SttPartial, SttState } from '../../../src/stt/types.ts';

class FakeScheduler implements Scheduler {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  /**
   * One turn of the event loop after this process stalled for `ms`: the timers due by then run
   * late (seeing the stall's end as now); timers they set wait for the next turn, as Node's do
   * (the I/O queued during the stall is handled between the two).
   */
  turnAfterStall(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at || a.id - b.id);
    this.timers = this.timers.filter((x) => !due.includes(x));
    for (const timer of due) timer.fn();
  }
}

class FakeStream implements RawStream {
  written: Buffer[] = [];
  cancelled = false;
  ended = false;
  readonly events: RawStreamEvents;
  constructor(events: RawStreamEvents) {
    this.events = events;
  }
  write(b: Buffer): void {
    this.written.push(b);
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    this.cancelled = true;
  }
  get bytes(): number {
    return this.written.reduce((s, b) => s + b.length, 0);
  }
  result(r: Partial<RawResult> & { text: string }): void {
    this.events.onResult({ isFinal: false, stability: 0.5, confidence: 0, endOffsetMs: undefined, ...r });
  }
  fail(code: number, details: string): void {
    this.events.onError(Object.assign(new Error(details), { code, details }));
  }
}

class FakeProvider implements RawStreamingProvider, OneShotRecognizer {
  readonly name = 'fake';
  streams: FakeStream[] = [];
  oneShots: Array<{ audio: Buffer; resolve: (t: string) => void; reject: (e: unknown) => void }> = [];
  open(_callId: string, events: RawStreamEvents): RawStream {
    const s = new FakeStream(events);
    this.streams.push(s);
    return s;
  }
  recognize(_callId: string, mulaw: Buffer): Promise<{ text: string; confidence: number }> {
    return new Promise((resolve, reject) =>
      this.oneShots.push({ audio: mulaw, resolve: (text) => resolve({ text, confidence: 0.9 }), reject }),
    );
  }
  get last(): FakeStream {
    return this.streams[this.streams.length - 1]!;
  }
  async close(): Promise<void> {}
}

function recorder() {
  const finals: SttFinal[] = [];
  const partials: SttPartial[] = [];
  const states: SttState[] = [];
  const errors: Array<{ code: string; retryable: boolean }> = [];
  const listener: SttListener = {
    onPartial: (p) => partials.push(p),
    onFinal: (f) => finals.push(f),
    onState: (s) => states.push(s.state),
    onError: (e) => errors.push({ code: e.code, retryable: e.retryable }),
  };
  return { finals, partials, states, errors, listener };
}

function setup(over: { retry?: number; rotation?: number; streaming?: boolean } = {}) {
  const sched = new FakeScheduler();
  const provider = new FakeProvider();
  const stt = createResilientStt({
    config: {
      sttRetryAttempts: over.retry ?? 3,
      sttRotationSeconds: over.rotation ?? 290,
      sttBufferSeconds: 15,
      sttStreaming: over.streaming ?? true,
    },
    streaming: provider,
    oneShot: provider,
    scheduler: sched,
    random: () => 0.5,
    tuning: { keepaliveMs: 1_000_000 },
  });
  const rec = recorder();
  let audioT = 0;
  const stream = stt.open({ callId: 'unit-call', logger: silentLogger, now: () => sched.t }, rec.listener);
  /** Writes `ms` of audio in 80 ms chunks at real-time pace on the fake clock. */
  const feed = (ms: number, byte = 0x10): void => {
    for (let i = 0; i < ms; i += 80) {
      stream.write({ mulaw: Buffer.alloc(640, byte), audioTimeMs: audioT });
      audioT += 80;
      sched.advance(80);
    }
  };
  return { sched, provider, stt, stream, rec, feed, audioT: () => audioT };
}

afterEach(() => sttHealth.reset());

/** Lets settled one-shot promises run their continuations. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Drives a session into fallback (retries exhausted) with `audioMs` of audio written. */
function intoFallback(t: ReturnType<typeof setup>): void {
  t.feed(400);
  t.provider.last.fail(status.UNAVAILABLE, 'down');
  t.sched.advance(200);
  t.provider.last.fail(status.UNAVAILABLE, 'down');
  t.sched.advance(1000);
  t.provider.last.fail(status.UNAVAILABLE, 'down');
  expect(t.stream.state).toBe('fallback');
}

describe('createResilientStt', () => {
  it("runs its retry timer on the call's clock when the session gives one (one clock per call)", () => {
    const processClock = new FakeScheduler();
    const callClock = new FakeScheduler();
    const provider = new FakeProvider();
    const stt = createResilientStt({
      config: { sttRetryAttempts: 3, sttRotationSeconds: 290, sttBufferSeconds: 15, sttStreaming: true },
      streaming: provider,
      oneShot: provider,
      scheduler: processClock,
      random: () => 0.5,
      tuning: { keepaliveMs: 1_000_000 },
    });
    const ctx = { callId: 'unit-call', logger: silentLogger, now: () => callClock.t, scheduler: callClock };
    const stream = stt.open(ctx, recorder().listener);
    stream.write({ mulaw: Buffer.alloc(640, 0x10), audioTimeMs: 0 });
    provider.last.fail(status.UNAVAILABLE, 'unavailable');
    processClock.advance(1000);
    expect(provider.streams).toHaveLength(1);
    callClock.advance(199);
    expect(provider.streams).toHaveLength(2);
  });

  it('maps stream offsets to the call clock and becomes streaming on the first response', () => {
    const { provider, rec, feed, stream } = setup();
    feed(800);
    provider.last.result({ text: 'שלום', endOffsetMs: 400 });
    provider.last.result({ text: 'שלום עולם.', isFinal: true, endOffsetMs: 640, confidence: 0.9 });
    expect(stream.state).toBe('streaming');
    expect(rec.partials[0]).toMatchObject({ text: 'שלום', audioTimeMs: 400 });
    expect(rec.finals[0]).toMatchObject({ text: 'שלום עולם.', audioStartMs: 0, audioEndMs: 640 });
  });

  it('reopens within 200 ms after UNAVAILABLE and replays the audio since the last final', () => {
    const { provider, rec, feed, sched, stream } = setup();
    feed(1600);
    provider.last.result({ text: 'אחת.', isFinal: true, endOffsetMs: 800 });
    const first = provider.last;
    first.fail(status.UNAVAILABLE, 'unavailable');
    expect(stream.state).toBe('retrying');
    expect(first.cancelled).toBe(true);
    sched.advance(199);
    expect(provider.streams).toHaveLength(2);
    // 1600 - 800 ms of audio since the final, 8 bytes per ms.
    expect(provider.last.bytes).toBe(800 * 8);
    feed(400);
    provider.last.result({ text: 'שתיים.', isFinal: true, endOffsetMs: 1000 });
    // The replayed stream started at call time 800: offset 1000 -> 1800.
    expect(rec.finals.map((f) => [f.text, f.audioStartMs, f.audioEndMs])).toEqual([
      ['אחת.', 0, 800],
      ['שתיים.', 800, 1800],
    ]);
    expect(rec.states).toEqual(['connecting', 'streaming', 'retrying', 'streaming']);
  });

  it('suppresses a repeated final at a reconnect seam', () => {
    const { provider, rec, feed } = setup();
    feed(800);
    provider.last.result({ text: 'אחת שתיים.', isFinal: true, endOffsetMs: 640 });
    provider.last.fail(status.UNAVAILABLE, 'x');
    feed(400);
    provider.last.result({ text: 'שתיים', isFinal: true, endOffsetMs: 100 });
    provider.last.result({ text: 'שלוש.', isFinal: true, endOffsetMs: 500 });
    expect(rec.finals.map((f) => f.text)).toEqual(['אחת שתיים.', 'שלוש.']);
  });

  it('enters fallback after the attempts are exhausted, recognizes VAD utterances one-shot, and returns by itself', async () => {
    const { provider, rec, feed, stream, sched } = setup({ retry: 2 });
    feed(400);
    provider.last.fail(status.UNAVAILABLE, 'down');
    sched.advance(200);
    provider.last.fail(status.UNAVAILABLE, 'down');
    sched.advance(1000);
    expect(provider.streams).toHaveLength(3);
    provider.last.fail(status.UNAVAILABLE, 'down');
    expect(stream.state).toBe('fallback');
    const before = provider.streams.length;
    feed(1200);
    // The first re-probe (about 1 s later) is open but not confirmed: still fallback.
    expect(provider.streams.length).toBe(before + 1);
    stream.markUtterance!(400, 1200);
    stream.markUtterance!(1200, 1600);
    // Both one-shot requests are in flight together (nothing waits for the first).
    expect(provider.oneShots).toHaveLength(2);
    expect(provider.oneShots[0]!.audio.length).toBe((1200 + 150 - (400 - 150)) * 8);
    provider.oneShots[1]!.resolve('שני.');
    await flush();
    // The second utterance's result waits for the first (utterance order).
    expect(rec.finals).toEqual([]);
    provider.oneShots[0]!.resolve('ראשון.');
    await flush();
    expect(rec.finals.map((f) => [f.text, f.fromFallback])).toEqual([
      ['ראשון.', true],
      ['שני.', true],
    ]);
    provider.last.fail(status.UNAVAILABLE, 'still down');
    expect(stream.state).toBe('fallback');
    feed(2400);
    expect(provider.streams.length).toBe(before + 2);
    provider.last.events.onOpen();
    expect(stream.state).toBe('streaming');
    expect(rec.states).toEqual(['connecting', 'retrying', 'fallback', 'streaming']);
  });

  it('a stall of this process does not count a failing stream healthy: its error queued meanwhile is read first', () => {
    const { provider, feed, stream, sched, rec } = setup({ retry: 1 });
    feed(400);
    provider.last.fail(status.UNAVAILABLE, 'down');
    sched.advance(200);
    expect(provider.streams).toHaveLength(2);
    // The retried stream neither answers nor fails before the process stalls past its healthy
    // time; its error arrives during the stall and is read in the turn after the late timers.
    sched.turnAfterStall(3000);
    provider.last.fail(status.UNAVAILABLE, 'down again');
    sched.advance(10);
    expect(stream.state).toBe('fallback');
    expect(rec.states).toEqual(['connecting', 'retrying', 'fallback']);
  });

  it('a stream that runs healthyAfterMs without error counts as healthy: its next error is a first retry', () => {
    const { provider, feed, stream, sched } = setup({ retry: 1 });
    feed(400);
    provider.last.fail(status.UNAVAILABLE, 'down');
    sched.advance(200);
    sched.advance(1600);
    provider.last.fail(status.UNAVAILABLE, 'down again');
    expect(stream.state).toBe('retrying');
  });

  it('fails loudly on a fatal error and records it for readiness', () => {
    const { provider, rec, feed, stream } = setup();
    feed(160);
    provider.last.fail(
      status.INVALID_ARGUMENT,
      'The requested model is currently not supported for language : iw-IL.',
    );
    expect(stream.state).toBe('failed');
    expect(rec.errors).toContainEqual({ code: 'INVALID_ARGUMENT', retryable: false });
    expect(sttHealth.ok).toBe(false);
    expect(sttHealth.reasons()[0]).toMatch(/INVALID_ARGUMENT: The requested model/);
    expect(provider.streams).toHaveLength(1);
  });

  it('rotates before the limit at a quiet moment, replaying only the audio after the last final', () => {
    const { provider, rec, feed, sched } = setup({ rotation: 10 });
    feed(2000);
    provider.last.result({ text: 'אחת.', isFinal: true, endOffsetMs: 1500 });
    // Speech in progress when the soft window opens (7 s): wait for the next final.
    feed(3000);
    provider.last.result({ text: 'שתיים', endOffsetMs: 4800 });
    feed(2500);
    expect(provider.streams).toHaveLength(1);
    provider.last.result({ text: 'שתיים.', isFinal: true, endOffsetMs: 7200 });
    expect(provider.streams).toHaveLength(2);
    expect(provider.streams[0]!.cancelled).toBe(true);
    expect(provider.last.bytes).toBe((7600 - 7200) * 8);
    feed(400);
    provider.last.result({ text: 'שלוש.', isFinal: true, endOffsetMs: 600 });
    expect(rec.finals.map((f) => [f.text, f.audioStartMs, f.audioEndMs])).toEqual([
      ['אחת.', 0, 1500],
      ['שתיים.', 1500, 7200],
      ['שלוש.', 7200, 7800],
    ]);
    void sched;
  });

  it('rotates at the hard deadline even mid-speech', () => {
    const { provider, feed } = setup({ rotation: 5 });
    feed(1000);
    provider.last.result({ text: 'מדבר', endOffsetMs: 900 });
    feed(4100);
    expect(provider.streams).toHaveLength(2);
    expect(provider.streams[1]!.bytes).toBeGreaterThanOrEqual(5000 * 8 - 640);
  });

  it('with streaming disabled, sends every utterance one-shot and never opens a stream', async () => {
    const { provider, rec, feed, stream } = setup({ streaming: false });
    feed(800);
    stream.markUtterance!(0, 800);
    provider.oneShots[0]!.resolve('רק זה.');
    await Promise.resolve();
    await Promise.resolve();
    expect(provider.streams).toHaveLength(0);
    expect(rec.finals[0]).toMatchObject({ text: 'רק זה.', fromFallback: true });
  });

  it('restarts a stalled stream that never answered a finished utterance', () => {
    const { provider, feed, stream, sched } = setup();
    feed(400);
    provider.last.events.onOpen();
    feed(1600);
    stream.markUtterance!(400, 1600);
    sched.advance(5200);
    expect(provider.streams).toHaveLength(2);
    expect(provider.streams[0]!.cancelled).toBe(true);
  });

  it('in fallback, an empty or timed-out earlier utterance does not hold later finals forever', async () => {
    const t = setup({ retry: 2 });
    intoFallback(t);
    t.feed(2400);
    t.stream.markUtterance!(400, 1000);
    t.stream.markUtterance!(1200, 1800);
    t.stream.markUtterance!(2000, 2600);
    expect(t.provider.oneShots).toHaveLength(3);
    t.provider.oneShots[2]!.resolve('שלישי.');
    t.provider.oneShots[0]!.resolve('');
    await flush();
    // The first had no words; the third still waits for the second.
    expect(t.rec.finals).toEqual([]);
    // The second never answers: after the one-shot deadline the third is released.
    t.sched.advance(8000);
    await flush();
    expect(t.rec.finals.map((f) => f.text)).toEqual(['שלישי.']);
    expect(t.rec.errors).toContainEqual({ code: 'DEADLINE_EXCEEDED', retryable: true });
    // A late answer for the abandoned utterance is not delivered out of order.
    t.provider.oneShots[1]!.resolve('שני.');
    await flush();
    expect(t.rec.finals.map((f) => f.text)).toEqual(['שלישי.']);
  });

  it('at the handoff back to streaming, a streaming final waits for the earlier one-shot utterance', async () => {
    const t = setup({ retry: 2 });
    intoFallback(t);
    t.feed(1600);
    // The first re-probe is open; the local VAD cuts an utterance: it goes out one-shot.
    t.stream.markUtterance!(600, 1400);
    expect(t.provider.oneShots).toHaveLength(1);
    const probes = t.provider.streams.length;
    // The probe answers: back to streaming through a fresh stream that replays after the handoff.
    t.provider.last.events.onOpen();
    expect(t.stream.state).toBe('streaming');
    expect(t.provider.streams.length).toBe(probes + 1);
    t.feed(1600);
    // The streaming final for the next utterance arrives while the one-shot is still in flight.
    t.provider.last.result({ text: 'אחרי.', isFinal: true, endOffsetMs: 1200 });
    expect(t.rec.finals).toEqual([]);
    t.provider.oneShots[0]!.resolve('לפני.');
    await flush();
    expect(t.rec.finals.map((f) => [f.text, f.fromFallback ?? false])).toEqual([
      ['לפני.', true],
      ['אחרי.', false],
    ]);
    expect(t.rec.finals[1]!.audioStartMs).toBeGreaterThanOrEqual(t.rec.finals[0]!.audioEndMs);
  });

  it('a handoff while an utterance is still being spoken replays it whole to streaming (none cut during fallback)', async () => {
    const t = setup({ retry: 2 });
    intoFallback(t);
    // The caller speaks from 600 ms on; the re-probe opens meanwhile (about 1 s after the
    // fallback began) and answers before the local VAD has cut the utterance.
    t.feed(1600);
    const probes = t.provider.streams.length;
    t.provider.last.events.onOpen();
    expect(t.stream.state).toBe('streaming');
    expect(t.provider.streams.length).toBe(probes + 1);
    const handoff = t.provider.last;
    // The fresh stream heard all the audio since the last final (none yet), the utterance's head too.
    expect(handoff.bytes).toBe(t.audioT() * 8);
    t.feed(400);
    // The VAD cuts the utterance after the handoff: streaming owns it, no one-shot request.
    t.stream.markUtterance!(600, 2200);
    expect(t.provider.oneShots).toHaveLength(0);
    handoff.result({ text: 'כל המשפט.', isFinal: true, endOffsetMs: 2300 });
    await flush();
    expect(t.rec.finals.map((f) => [f.text, f.fromFallback ?? false])).toEqual([['כל המשפט.', false]]);
  });

  it("at a rotation seam, a late final of the old stream is never delivered after the new stream's", () => {
    const { provider, rec, feed } = setup({ rotation: 5 });
    feed(2000);
    provider.last.result({ text: 'אחת.', isFinal: true, endOffsetMs: 1500 });
    feed(3100);
    // Rotated (quiet moment in the soft window): the old stream is cancelled while it may still
    // have a final on the wire.
    expect(provider.streams).toHaveLength(2);
    const [old, fresh] = provider.streams as [FakeStream, FakeStream];
    // The replaying stream answers first, then the old stream's late final shows up.
    fresh.result({ text: 'שתיים.', isFinal: true, endOffsetMs: 3000 });
    old.result({ text: 'שתיים.', isFinal: true, endOffsetMs: 4500 });
    fresh.result({ text: 'שלוש.', isFinal: true, endOffsetMs: 3500 });
    expect(rec.finals.map((f) => f.text)).toEqual(['אחת.', 'שתיים.', 'שלוש.']);
    for (let i = 1; i < rec.finals.length; i++)
      expect(rec.finals[i]!.audioStartMs).toBeGreaterThanOrEqual(rec.finals[i - 1]!.audioEndMs);
  });

  it('counts a provider that answers one stream out of audio order, and loses no words', async () => {
    const { provider, rec, feed } = setup();
    const count = async (): Promise<number> => (await sttOutOfOrderFinals.get()).values[0]?.value ?? 0;
    const before = await count();
    feed(4000);
    provider.last.result({ text: 'שתיים.', isFinal: true, endOffsetMs: 3000 });
    provider.last.result({ text: 'אחת.', isFinal: true, endOffsetMs: 1500 });
    expect(rec.finals.map((f) => f.text)).toEqual(['שתיים.', 'אחת.']);
    expect((await count()) - before).toBe(1);
  });
});
