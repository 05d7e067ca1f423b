import { describe, expect, it } from 'vitest';
import type { CallObserver } from '../../../src/call/observer.ts';
import { sessionErrors } from '../../../src/call/metrics.ts';
import { createHarness, flush } from './fakes.ts';

type Seen = { method: string; arg: unknown; extra?: unknown };

function recordingObserver(seen: Seen[]): CallObserver {
  return {
    transcript: (arg) => seen.push({ method: 'transcript', arg }),
    turnEnded: (arg) => seen.push({ method: 'turnEnded', arg }),
    segment: (arg) => seen.push({ method: 'segment', arg }),
    bargeIn: (arg) => seen.push({ method: 'bargeIn', arg }),
    turnRecord: (arg, extra) => seen.push({ method: 'turnRecord', arg: structuredClone(arg), extra }),
    ended: (arg) => seen.push({ method: 'ended', arg }),
  };
}

describe('call session observer', () => {
  it('sees partials and finals, the turn end, each spoken segment and its mark outcome, the record and the end', async () => {
    const seen: Seen[] = [];
    const infos: string[] = [];
    const h = createHarness(
      {},
      {
        observe: (info) => {
          infos.push(info.callSid);
          return recordingObserver(seen);
        },
      },
    );
    expect(infos).toEqual(['CA-test']);
    h.sink.clock = 100;
    h.stt.listener?.onPartial({ text: 'שלו', stability: 0.4, audioTimeMs: 80, receivedAtMs: 100 });
    h.stt.listener?.onFinal({
      text: 'שלום',
      confidence: 0.9,
      audioStartMs: 0,
      audioEndMs: 90,
      receivedAtMs: 100,
    });
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני.'] });
    h.turnEnded(1, 'שלום', 'sttFinal');
    await flush();
    h.sink.echoAll(h.handler, 'played');
    await flush();
    await h.handler.dispose('stop');

    expect(seen.filter((s) => s.method === 'transcript').map((s) => s.arg)).toEqual([
      { text: 'שלו', isFinal: false, stability: 0.4, atMs: 100 },
      { text: 'שלום', isFinal: true, stability: 1, atMs: 100 },
    ]);
    expect(seen.find((s) => s.method === 'turnEnded')?.arg).toMatchObject({
      utteranceId: 1,
      transcript: 'שלום',
      rule: 'sttFinal',
    });
    const segments = seen.filter((s) => s.method === 'segment').map((s) => s.arg as Record<string, unknown>);
    expect(segments.map((s) => [s.text, s.state])).toEqual([
      ['משפט ראשון.', 'sending'],
      ['משפט שני.', 'sending'],
      ['משפט ראשון.', 'played'],
      ['משפט שני.', 'played'],
    ]);
    expect(segments.every((s) => s.kind === 'answer' && s.turnId === 1)).toBe(true);
    const record = seen.find((s) => s.method === 'turnRecord');
    expect(record?.arg).toMatchObject({ turnId: 1, outcome: 'answered', sentencesPlayed: 2 });
    expect(record?.extra).toBeUndefined(); // no tracing in this harness: no trace id
    expect(seen.at(-1)).toEqual({ method: 'ended', arg: 'stop' });
  });

  it('sees a barge-in and the cleared segments', async () => {
    const seen: Seen[] = [];
    const h = createHarness({ bargeInMinMs: 300 }, { observe: () => recordingObserver(seen) });
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני. '], hang: true });
    h.turnEnded(1, 'ספר לי');
    await flush();
    h.sink.echo(h.handler, 'played');
    h.audio('speech', 400);
    h.sink.echoAll(h.handler, 'cleared');
    await flush();
    expect(seen.find((s) => s.method === 'bargeIn')?.arg).toMatchObject({ turnId: 1, wasSpeaking: true });
    const states = seen
      .filter((s) => s.method === 'segment')
      .map((s) => (s.arg as { state: string }).state)
      .filter((st) => st !== 'sending');
    expect(states).toEqual(['played', 'cleared']);
    await h.handler.dispose('test');
  });

  it('a throwing observer is counted once and silenced; the call goes on', async () => {
    const before = (await sessionErrors.get()).values.find((v) => v.labels.where === 'observer')?.value ?? 0;
    let calls = 0;
    const h = createHarness(
      {},
      {
        observe: () => ({
          transcript: () => {
            calls++;
            throw new Error('observer bug');
          },
        }),
      },
    );
    h.stt.listener?.onPartial({ text: 'א', stability: 0, audioTimeMs: 0, receivedAtMs: 0 });
    h.stt.listener?.onPartial({ text: 'אב', stability: 0, audioTimeMs: 0, receivedAtMs: 0 });
    h.responder.answers.push({ deltas: ['תשובה.'] });
    h.turnEnded(1, 'שאלה');
    await flush();
    expect(h.sink.count('mark')).toBe(1);
    expect(calls).toBe(1);
    const after = (await sessionErrors.get()).values.find((v) => v.labels.where === 'observer')?.value ?? 0;
    expect(after).toBe(before + 1);
    await h.handler.dispose('test');
  });

  it('calls nobody observes get no observer', async () => {
    const asked: string[] = [];
    const h = createHarness({}, { observe: (info) => void asked.push(info.streamSid) });
    h.stt.listener?.onPartial({ text: 'א', stability: 0, audioTimeMs: 0, receivedAtMs: 0 });
    h.responder.answers.push({ deltas: ['תשובה.'] });
    h.turnEnded(1, 'שאלה');
    await flush();
    expect(asked).toEqual(['MZ-test']);
    expect(h.sink.count('mark')).toBe(1);
    await h.handler.dispose('test');
  });
});
