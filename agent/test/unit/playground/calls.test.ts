import { describe, expect, it } from 'vitest';
import type { CallContext, CallHandler, CallStartInfo } from '../../../src/call/types.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { TICKET_TTL_MS } from '../../../src/playground/access.ts';
import { PlaygroundCalls, type SequencedEvent } from '../../../src/playground/calls.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

function setup(over: { maxPending?: number; maxEvents?: number } = {}) {
  const clock = { ms: 0 };
  const calls = new PlaygroundCalls({
    now: () => clock.ms,
    traceUrlTemplate: 'http://jaeger/trace/{traceId}',
    ...over,
  });
  return { clock, calls };
}

const info = (callSid: string, streamSid: string): CallStartInfo => ({
  callSid,
  streamSid,
  accountSid: 'ACplayground',
  customParameters: {},
  startedAtMs: 0,
});

function context(callSid: string, streamSid: string) {
  const hangups: string[] = [];
  const ctx: CallContext = {
    info: info(callSid, streamSid),
    logger: silentLogger,
    sink: {
      sendMedia: () => undefined,
      sendMark: (l) => l,
      sendClear: () => undefined,
      hangup: (reason) => void hangups.push(reason),
      now: () => 0,
    },
  };
  return { ctx, hangups };
}

const handler: CallHandler = { onAudio() {}, onMark() {}, onDtmf() {}, dispose: async () => {} };

describe('playground calls: tickets', () => {
  it('issues Twilio-shaped SIDs and a ticket that works once', () => {
    const { calls } = setup();
    const s = calls.issue()!;
    expect(s.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(s.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(s.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(calls.redeem(s.ticket)).toEqual({ callSid: s.callSid, streamSid: s.streamSid });
    expect(calls.redeem(s.ticket)).toBeUndefined();
    expect(calls.redeem('x'.repeat(43))).toBeUndefined();
  });

  it('expires unused tickets after the TTL (fake clock)', () => {
    const { clock, calls } = setup();
    const s = calls.issue()!;
    clock.ms = TICKET_TTL_MS + 1;
    expect(calls.redeem(s.ticket)).toBeUndefined();
    expect(calls.size).toBe(0);
  });

  it('bounds the sessions waiting to connect', () => {
    const { clock, calls } = setup({ maxPending: 2 });
    expect(calls.issue()).toBeDefined();
    expect(calls.issue()).toBeDefined();
    expect(calls.issue()).toBeUndefined();
    clock.ms = TICKET_TTL_MS + 1;
    expect(calls.issue()).toBeDefined();
  });
});

describe('playground calls: binding a stream to its ticket', () => {
  it('runs the real factory only for the start the ticket was issued for', () => {
    const { calls } = setup();
    const s = calls.issue()!;
    const admitted = calls.redeem(s.ticket)!;
    let created = 0;
    const factory = calls.bind(admitted, () => {
      created++;
      return handler;
    });
    const wrong = context('CA' + '1'.repeat(32), s.streamSid);
    factory(wrong.ctx);
    expect(created).toBe(0);
    expect(wrong.hangups).toEqual(['playground stream mismatch']);
    // After a mismatch the ticket's call is still unstarted; the matching start then works once.
    const right = context(s.callSid, s.streamSid);
    expect(factory(right.ctx)).toBe(handler);
    expect(created).toBe(1);
    const again = context(s.callSid, s.streamSid);
    factory(again.ctx);
    expect(again.hangups).toHaveLength(1);
    expect(created).toBe(1);
  });

  it('observes only started playground calls', () => {
    const { calls } = setup();
    const s = calls.issue()!;
    expect(calls.observe(info(s.callSid, s.streamSid))).toBeUndefined();
    const admitted = calls.redeem(s.ticket)!;
    calls.bind(admitted, () => handler)(context(s.callSid, s.streamSid).ctx);
    expect(calls.observe(info(s.callSid, s.streamSid))).toBeDefined();
    expect(calls.observe(info('CA-twilio', 'MZ-twilio'))).toBeUndefined();
  });
});

describe('playground calls: event feed', () => {
  function started() {
    const env = setup({ maxEvents: 3 });
    const s = env.calls.issue()!;
    env.calls.bind(env.calls.redeem(s.ticket)!, () => handler)(context(s.callSid, s.streamSid).ctx);
    const observer = env.calls.observe(info(s.callSid, s.streamSid))!;
    return { ...env, s, observer };
  }

  it('needs the call’s own events key', () => {
    const { calls, s } = started();
    expect(calls.subscribe(s.callSid, undefined, () => undefined)).toBe('forbidden');
    expect(calls.subscribe(s.callSid, 'wrong', () => undefined)).toBe('forbidden');
    expect(calls.subscribe('CA-unknown', s.eventsKey, () => undefined)).toBe('not_found');
  });

  it('replays the backlog, then streams live events in order; the turn record becomes a waterfall', () => {
    const { calls, s, observer } = started();
    observer.transcript?.({ text: 'של', isFinal: false, stability: 0.5, atMs: 10 });
    const live: SequencedEvent[] = [];
    const sub = calls.subscribe(s.callSid, s.eventsKey, (e) => live.push(e));
    if (typeof sub === 'string') throw new Error(sub);
    expect(sub.backlog.map((e) => [e.seq, e.type])).toEqual([[1, 'transcript']]);
    const record = {
      turnId: 1,
      utteranceId: 1,
      rule: 'silence',
      transcript: 'שלום',
      speechStartMs: 0,
      speechEndMs: 100,
      speechEndFromVad: true,
      finalMs: 300,
      firstFrameSentMs: 700,
      outcome: 'answered',
      answerChars: 1,
      heardChars: 1,
      sentences: 1,
      sentencesPlayed: 1,
    } satisfies TurnRecord;
    observer.turnRecord?.(record, 'ab'.repeat(16));
    observer.ended?.('stop');
    expect(live.map((e) => [e.seq, e.type])).toEqual([
      [2, 'turn'],
      [3, 'ended'],
    ]);
    const turn = live[0] as Extract<SequencedEvent, { type: 'turn' }>;
    expect(turn.waterfall.bars.find((b) => b.stage === 'total')?.endMs).toBe(600);
    expect(turn.waterfall.traceUrl).toBe(`http://jaeger/trace/${'ab'.repeat(16)}`);
    sub.unsubscribe();
    observer.bargeIn?.({ turnId: 1, wasSpeaking: true, atMs: 1 });
    expect(live).toHaveLength(2);
  });

  it('limits the event feeds open for one call', () => {
    const { calls, s } = started();
    const subs = [1, 2, 3, 4].map(() => calls.subscribe(s.callSid, s.eventsKey, () => undefined));
    expect(subs.every((sub) => typeof sub === 'object')).toBe(true);
    expect(calls.subscribe(s.callSid, s.eventsKey, () => undefined)).toBe('busy');
    const first = subs[0];
    if (typeof first === 'object') first.unsubscribe();
    expect(typeof calls.subscribe(s.callSid, s.eventsKey, () => undefined)).toBe('object');
  });

  it('keeps a bounded backlog and forgets ended calls after a while', () => {
    const { calls, s, observer, clock } = started();
    for (let i = 0; i < 5; i++)
      observer.transcript?.({ text: `${i}`, isFinal: false, stability: 0, atMs: i });
    const sub = calls.subscribe(s.callSid, s.eventsKey, () => undefined);
    if (typeof sub === 'string') throw new Error(sub);
    expect(sub.backlog.map((e) => e.seq)).toEqual([3, 4, 5]);
    observer.ended?.('stop');
    clock.ms += 5 * 60_000 + 1;
    expect(calls.subscribe(s.callSid, s.eventsKey, () => undefined)).toBe('not_found');
  });
});
