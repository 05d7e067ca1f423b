import { describe, expect, it } from 'vitest';
import { createEndpointer } from '../../../src/turn/endpointer.ts';
import { endpointerAbandonedTotal } from '../../../src/turn/metrics.ts';
import {
  FRAME_MS,
  clicks,
  concat,
  dbToAmplitude,
  silence,
  speechLike,
  tone,
  whiteNoise,
} from '../../../src/sim/synthetic-audio.ts';
import type { VadFrame } from '../../../src/turn/types.ts';
import { runTimeline, testConfig, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
const SENTENCE = 'שלום, אני רוצה לבדוק את ההזמנה שלי.';

/** 500 ms silence, then voice of `ms`, then whatever follows. Voice starts at 500 ms. */
const utterance = (ms: number, seed = 3) => concat(silence(500), speechLike(ms, VOICE, seed));

/** Speech end as the VAD saw it: eventTimeMs of the last speechEnd. */
function vadSpeechEnd(r: ReturnType<typeof runTimeline>): number {
  const ends = r.vadFrames.filter((f) => f.event === 'speechEnd');
  const last = ends[ends.length - 1];
  if (last?.eventTimeMs === undefined) throw new Error('VAD saw no speech end');
  return last.eventTimeMs;
}

describe('endpointer: rules on synthetic timelines', () => {
  it('ends by silence (min silence after enough speech) and answers once; the late final only records', () => {
    const script: SttScript[] = [
      { atMs: 900, kind: 'partial', text: 'שלום אני', stability: 0.9 },
      { atMs: 1500, kind: 'partial', text: 'שלום אני רוצה לבדוק', stability: 0.9 },
      { atMs: 2100, kind: 'partial', text: 'שלום אני רוצה לבדוק את ההזמנה', stability: 0.9 },
      { atMs: 3300, kind: 'final', text: SENTENCE, audioStartMs: 500, audioEndMs: 2000 },
    ];
    const r = runTimeline(utterance(1500), script);
    const end = vadSpeechEnd(r);
    expect(r.turns).toHaveLength(1);
    const turn = r.turns[0];
    expect(turn?.rule).toBe('silence');
    expect(turn?.transcript).toBe('שלום אני רוצה לבדוק את ההזמנה');
    expect(turn?.speechEndMs).toBe(end);
    expect(turn?.firstPartialMs).toBe(900);
    expect(turn?.endedAtMs).toBeGreaterThanOrEqual(end + 500);
    expect(turn?.endedAtMs).toBeLessThan(end + 500 + FRAME_MS * 2);
    expect(r.lateFinals).toMatchObject([
      { type: 'lateFinal', utteranceId: turn?.utteranceId, text: SENTENCE, atMs: 3300 },
    ]);
    expect(r.speechStarts).toHaveLength(1);
  });

  it('ends on the STT final when it comes before the silence rule', () => {
    const script: SttScript[] = [
      { atMs: 1200, kind: 'partial', text: 'שלום אני רוצה', stability: 0.5 },
      { atMs: 2250, kind: 'final', text: SENTENCE, audioStartMs: 500, audioEndMs: 2000 },
    ];
    const r = runTimeline(utterance(1500), script);
    expect(r.turns.map((t) => [t.rule, t.transcript, t.endedAtMs])).toEqual([['sttFinal', SENTENCE, 2250]]);
    expect(r.lateFinals).toHaveLength(0);
  });

  it('a short utterance (below the minimum) ends by the no-voice timeout, not by silence', () => {
    const script: SttScript[] = [{ atMs: 800, kind: 'partial', text: 'כן', stability: 0.9 }];
    const r = runTimeline(utterance(350), script);
    expect(r.turns).toHaveLength(1);
    const declared = r.vadFrames.find((f) => f.event === 'speechEnd');
    expect(r.turns[0]?.rule).toBe('noVoiceTimeout');
    expect(r.turns[0]?.transcript).toBe('כן');
    // Declared end (after hangover) + STT_TIMEOUT_MS, decided on the next frame boundary.
    const due = (declared?.atMs ?? 0) + FRAME_MS + 450;
    expect(r.turns[0]?.endedAtMs).toBeGreaterThanOrEqual(due);
    expect(r.turns[0]?.endedAtMs).toBeLessThan(due + FRAME_MS);
  });

  it('a pause shorter than the minimum silence does not end the utterance', () => {
    const signal = concat(utterance(1200), silence(350), speechLike(1000, VOICE, 9));
    const script: SttScript[] = [
      { atMs: 1400, kind: 'partial', text: 'אני רוצה להזמין', stability: 0.5 },
      { atMs: 2000, kind: 'partial', text: 'אני רוצה להזמין שולחן', stability: 0.5 },
      { atMs: 2900, kind: 'partial', text: 'אני רוצה להזמין שולחן לארבעה', stability: 0.5 },
    ];
    const r = runTimeline(signal, script);
    expect(r.speechStarts).toHaveLength(1);
    expect(r.turns).toHaveLength(1);
    expect(r.turns[0]?.transcript).toBe('אני רוצה להזמין שולחן לארבעה');
    expect(r.turns[0]?.endedAtMs).toBeGreaterThan(500 + 1200 + 350 + 1000);
  });

  it('minimum buffered audio holds a silence decision even after enough voice', () => {
    const config = testConfig({ endpointMinUtteranceMs: 200, endpointMinBufferMs: 2500 });
    const script: SttScript[] = [{ atMs: 1000, kind: 'partial', text: 'הלו', stability: 0.9 }];
    const r = runTimeline(utterance(800), script, config);
    // Silence alone would end at ~1800; the buffer minimum is not met, so the timeout ends it.
    expect(r.turns.map((t) => t.rule)).toEqual(['noVoiceTimeout']);
  });
});

describe('endpointer: early finalization', () => {
  const strong = (stability: number): SttScript[] => [
    { atMs: 1200, kind: 'partial', text: 'שלום אני רוצה', stability: 0.5 },
    { atMs: 2100, kind: 'partial', text: SENTENCE, stability, audioTimeMs: 2000 },
    { atMs: 2900, kind: 'final', text: SENTENCE, audioStartMs: 500, audioEndMs: 2000 },
  ];

  it('finalizes early on a strong partial after the short silence; the final is late, nothing twice', () => {
    const r = runTimeline(utterance(1500), strong(0.9));
    expect(r.turns).toHaveLength(1);
    const t = r.turns[0];
    expect(t?.rule).toBe('earlyFinal');
    expect(t?.transcript).toBe(SENTENCE);
    // Last voiced frame ends ~2020; 200 ms of silence later, well before hangover + 500.
    expect(t?.endedAtMs).toBeGreaterThanOrEqual(2200);
    expect(t?.endedAtMs).toBeLessThanOrEqual(2260);
    expect(r.lateFinals.map((l) => [l.utteranceId, l.text])).toEqual([[t?.utteranceId, SENTENCE]]);
  });

  it('waits for the configured silence, not less', () => {
    const r = runTimeline(utterance(1500), strong(0.9), testConfig({ sttEarlyFinalSilenceMs: 400 }));
    expect(r.turns[0]?.rule).toBe('earlyFinal');
    expect(r.turns[0]?.endedAtMs).toBeGreaterThanOrEqual(2400);
  });

  it('an unstable partial is not enough: its words are unconfirmed, the turn ends on the final', () => {
    const r = runTimeline(utterance(1500), strong(0.5));
    expect(r.turns.map((t) => [t.rule, t.endedAtMs])).toEqual([['sttFinal', 2900]]);
    expect(r.lateFinals).toHaveLength(0);
  });

  it('a partial whose stability is unset (v2) ends early once two responses agree on it, whatever the minimum', () => {
    const agreed = (s: SttScript[]): SttScript[] => [...s, { ...s[1]!, atMs: 2200 }];
    const r = runTimeline(utterance(1500), agreed(strong(0)), testConfig({ sttEarlyFinalMinStability: 0 }));
    expect(r.turns.map((t) => t.rule)).toEqual(['earlyFinal']);
    const r2 = runTimeline(utterance(1500), agreed(strong(0)));
    expect(r2.turns.map((t) => t.rule)).toEqual(['earlyFinal']);
    // Unset and unconfirmed is no evidence (v2 reports no stability): the final decides.
    expect(runTimeline(utterance(1500), strong(0)).turns.map((t) => t.rule)).toEqual(['sttFinal']);
    // A reported stability below the minimum is not enough either, agreed or not.
    expect(runTimeline(utterance(1500), strong(0.01)).turns.map((t) => t.rule)).toEqual(['sttFinal']);
    expect(runTimeline(utterance(1500), agreed(strong(0.01))).turns.map((t) => t.rule)).not.toContain(
      'earlyFinal',
    );
  });

  it('needs more than the minimum characters and terminal punctuation', () => {
    const shortText: SttScript[] = [{ atMs: 2100, kind: 'partial', text: 'כן, בסדר.', stability: 0.95 }];
    expect(runTimeline(utterance(1500), shortText).turns.map((t) => t.rule)).toEqual(['silence']);
    const noPunct: SttScript[] = [
      { atMs: 2100, kind: 'partial', text: 'שלום אני רוצה לבדוק את ההזמנה', stability: 0.95 },
    ];
    expect(runTimeline(utterance(1500), noPunct).turns.map((t) => t.rule)).toEqual(['silence']);
    const question: SttScript[] = [
      { atMs: 2100, kind: 'partial', text: 'מה שעות הפתיחה שלכם?', stability: 0.95, audioTimeMs: 2000 },
    ];
    expect(runTimeline(utterance(1500), question).turns.map((t) => t.rule)).toEqual(['earlyFinal']);
  });

  it('is off when disabled', () => {
    const r = runTimeline(utterance(1500), strong(0.9), testConfig({ sttEarlyFinalization: false }));
    expect(r.turns.map((t) => t.rule)).toEqual(['silence']);
  });

  it('does not fire while the caller is still voiced, nor on a partial that misses recent speech', () => {
    // The strong partial arrives mid-speech (voice continues for another second).
    const mid: SttScript[] = [
      { atMs: 1200, kind: 'partial', text: SENTENCE, stability: 0.95, audioTimeMs: 1100 },
    ];
    const r = runTimeline(utterance(2000), mid);
    expect(r.turns.map((t) => t.rule)).toEqual(['silence']);
    // Arrives after the end but covers audio only up to 1.0 s of a 2.5 s utterance.
    const stale: SttScript[] = [
      { atMs: 2600, kind: 'partial', text: SENTENCE, stability: 0.95, audioTimeMs: 1000 },
    ];
    expect(runTimeline(utterance(2000), stale).turns.map((t) => t.rule)).toEqual(['silence']);
  });

  it('a caller who goes on after an early final opens a new utterance (a false early final), answered once each', () => {
    const signal = concat(utterance(1500), silence(260), speechLike(1200, VOICE, 11));
    const script: SttScript[] = [
      { atMs: 2100, kind: 'partial', text: SENTENCE, stability: 0.9, audioTimeMs: 2000 },
      // Trailing interim for the first part after the early final: must not open anything.
      { atMs: 2250, kind: 'partial', text: SENTENCE, stability: 0.9, audioTimeMs: 2240 },
      { atMs: 2700, kind: 'partial', text: 'ומה מספר המשלוח', stability: 0.5, audioTimeMs: 2650 },
      { atMs: 3600, kind: 'final', text: 'ומה מספר המשלוח?', audioStartMs: 2280, audioEndMs: 3480 },
    ];
    const r = runTimeline(signal, script);
    expect(r.turns.map((t) => [t.utteranceId, t.rule, t.transcript])).toEqual([
      [1, 'earlyFinal', SENTENCE],
      [2, 'sttFinal', 'ומה מספר המשלוח?'],
    ]);
    expect(r.lateFinals).toHaveLength(0);
    expect(r.speechStarts.map((s) => s.utteranceId)).toEqual([1, 2]);
  });
});

describe('endpointer: text is required', () => {
  it('silence with no text waits for the first partial, then ends with it', () => {
    const r = runTimeline(utterance(1500), [{ atMs: 3000, kind: 'partial', text: 'הלו', stability: 0.9 }]);
    expect(r.turns.map((t) => [t.rule, t.transcript, t.endedAtMs])).toEqual([['silence', 'הלו', 3000]]);
  });

  it('silence with no text waits for the final, then ends with it', () => {
    const r = runTimeline(utterance(1500), [
      { atMs: 3400, kind: 'final', text: SENTENCE, audioStartMs: 500, audioEndMs: 2000 },
    ]);
    expect(r.turns.map((t) => [t.rule, t.transcript, t.endedAtMs])).toEqual([['sttFinal', SENTENCE, 3400]]);
  });

  it('a tone burst with no text at all: speech started, no turn, abandoned; the next utterance is answered', async () => {
    const signal = concat(silence(500), tone(400, 1000, VOICE), silence(4000), speechLike(1500, VOICE));
    const script: SttScript[] = [
      { atMs: 6600, kind: 'final', text: SENTENCE, audioStartMs: 4900, audioEndMs: 6400 },
    ];
    const abandonedBefore = (await endpointerAbandonedTotal.get()).values[0]?.value ?? 0;
    const r = runTimeline(signal, script);
    expect(r.speechStarts.map((s) => s.utteranceId)).toEqual([1, 2]);
    expect(r.turns.map((t) => [t.utteranceId, t.rule])).toEqual([[2, 'sttFinal']]);
    expect((await endpointerAbandonedTotal.get()).values[0]?.value).toBe(abandonedBefore + 1);
  });

  it('an empty final does not make a turn', () => {
    const r = runTimeline(utterance(1500), [
      { atMs: 2300, kind: 'final', text: '  ', audioStartMs: 500, audioEndMs: 2000 },
    ]);
    expect(r.turns).toHaveLength(0);
  });
});

describe('endpointer: non-speech', () => {
  it('noise bursts and clicks start nothing', () => {
    const bursts = concat(
      ...Array.from({ length: 8 }, (_, i) => concat(silence(440), whiteNoise(60, VOICE, 30 + i))),
    );
    expect(runTimeline(bursts, []).speechStarts).toHaveLength(0);
    expect(runTimeline(clicks(4000, 200, 0.9), []).speechStarts).toHaveLength(0);
  });

  it('steady background noise does not end or start turns, and speech over it is still found', () => {
    const noise = whiteNoise(6000, dbToAmplitude(-45), 77);
    const speech = concat(silence(2000), speechLike(1500, VOICE, 4), silence(2500));
    const mixed = speech.map((x, i) => x + (noise[i] ?? 0));
    const r = runTimeline(mixed, [
      { atMs: 3700, kind: 'partial', text: 'שלום אני רוצה לבדוק', stability: 0.5 },
      { atMs: 4400, kind: 'final', text: SENTENCE, audioStartMs: 2000, audioEndMs: 3500 },
    ]);
    expect(r.speechStarts).toHaveLength(1);
    expect(r.speechStarts[0]?.atMs).toBeGreaterThanOrEqual(1980);
    expect(r.speechStarts[0]?.atMs).toBeLessThanOrEqual(2100);
    expect(r.turns).toHaveLength(1);
  });
});

describe('endpointer: STT details', () => {
  it('debounces partials: a burst of interims is reported once, after the quiet period', () => {
    const script: SttScript[] = [
      { atMs: 900, kind: 'partial', text: 'של', stability: 0.1 },
      { atMs: 960, kind: 'partial', text: 'שלום', stability: 0.2 },
      { atMs: 1020, kind: 'partial', text: 'שלום אני', stability: 0.3 },
      // Same text: reported once more, as agreed by two responses (the preemptive restart rule reads it).
      { atMs: 1500, kind: 'partial', text: 'שלום אני', stability: 0.4 },
      { atMs: 1700, kind: 'partial', text: 'שלום אני רוצה', stability: 0.5 },
    ];
    const r = runTimeline(utterance(1500), script);
    expect(r.partials.map((p) => [p.text, p.agreed])).toEqual([
      ['שלום אני', false],
      ['שלום אני', true],
      ['שלום אני רוצה', false],
    ]);
    expect(r.outputs.filter((o) => o.type === 'partial').map((o) => o.outAtMs)).toEqual([1140, 1620, 1820]);
    const none = runTimeline(utterance(1500), script, testConfig({ sttDebounceMs: 0 }));
    expect(none.partials.map((p) => p.text)).toEqual(['של', 'שלום', 'שלום אני', 'שלום אני', 'שלום אני רוצה']);
  });

  it('a final while the caller audibly goes on is kept, and the turn waits for the rest', () => {
    const script: SttScript[] = [
      { atMs: 1500, kind: 'final', text: 'שלום.', audioStartMs: 500, audioEndMs: 1000 },
      { atMs: 2700, kind: 'partial', text: 'אני רוצה לבדוק', stability: 0.5 },
    ];
    const r = runTimeline(utterance(2500), script);
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([['silence', 'שלום. אני רוצה לבדוק']]);
  });

  it('STT text without local voice (the VAD missed it) still makes one turn', () => {
    const r = runTimeline(silence(1000), [
      { atMs: 1200, kind: 'partial', text: 'כן', stability: 0.5 },
      { atMs: 1500, kind: 'final', text: 'כן.', audioStartMs: 900, audioEndMs: 1300 },
    ]);
    expect(r.speechStarts).toHaveLength(1);
    expect(r.turns.map((t) => [t.rule, t.transcript, t.speechEndMs])).toEqual([
      ['sttFinal', 'כן.', undefined],
    ]);
  });

  it('the same with only partials ends by the no-voice timeout after the last one', () => {
    const r = runTimeline(silence(1000), [{ atMs: 1200, kind: 'partial', text: 'כן', stability: 0.9 }]);
    expect(r.turns.map((t) => [t.rule, t.endedAtMs])).toEqual([['noVoiceTimeout', 1660]]);
  });

  it('utterance ids keep increasing and each is answered at most once over many turns', () => {
    const parts = [];
    const script: SttScript[] = [];
    for (let k = 0; k < 5; k++) {
      parts.push(silence(1500), speechLike(1000, VOICE, 40 + k));
      const end = 2500 * (k + 1);
      script.push({
        atMs: end + 100,
        kind: 'partial',
        text: `משפט מספר ${k + 1} בשיחה הזאת.`,
        stability: 0.9,
      });
      script.push({
        atMs: end + 700,
        kind: 'final',
        text: `משפט מספר ${k + 1} בשיחה הזאת.`,
        audioStartMs: end - 1000,
        audioEndMs: end,
      });
    }
    const r = runTimeline(concat(...parts), script);
    expect(r.turns.map((t) => t.utteranceId)).toEqual([1, 2, 3, 4, 5]);
    expect(r.lateFinals.map((l) => l.utteranceId)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(r.turns.map((t) => t.utteranceId)).size).toBe(r.turns.length);
  });
});

describe('endpointer: contract', () => {
  const frame = (
    voiced: boolean,
    speech: boolean,
    event?: VadFrame['event'],
    eventTimeMs?: number,
  ): VadFrame => (event ? { voiced, speech, event, eventTimeMs } : { voiced, speech });

  it('works on hand-made VAD frames and ticks (no audio)', () => {
    const ep = createEndpointer(testConfig());
    const out = [];
    out.push(...ep.handle({ type: 'vad', atMs: 0, frame: frame(true, true, 'speechStart', 0), frameMs: 20 }));
    for (let t = 20; t < 1000; t += 20)
      out.push(...ep.handle({ type: 'vad', atMs: t, frame: frame(true, true), frameMs: 20 }));
    out.push(
      ...ep.handle({
        type: 'partial',
        partial: { text: 'בדיקה', stability: 0.9, audioTimeMs: 900, receivedAtMs: 1000 },
      }),
    );
    out.push(
      ...ep.handle({ type: 'vad', atMs: 1200, frame: frame(false, false, 'speechEnd', 1000), frameMs: 20 }),
    );
    expect(out.filter((o) => o.type === 'turnEnded')).toHaveLength(0);
    out.push(...ep.handle({ type: 'tick', atMs: 1499 }));
    expect(out.filter((o) => o.type === 'turnEnded')).toHaveLength(0);
    const ended = ep.handle({ type: 'tick', atMs: 1500 });
    expect(ended).toMatchObject([
      { type: 'turnEnded', turn: { rule: 'silence', transcript: 'בדיקה', speechEndMs: 1000 } },
    ]);
  });

  it('new words from the recognizer count as voice the VAD lost (no silence end while words keep coming)', () => {
    const ep = createEndpointer(testConfig());
    const outs = [];
    outs.push(
      ...ep.handle({ type: 'vad', atMs: 0, frame: frame(true, true, 'speechStart', 0), frameMs: 20 }),
    );
    for (let t = 20; t < 1000; t += 20)
      outs.push(...ep.handle({ type: 'vad', atMs: t, frame: frame(true, true), frameMs: 20 }));
    for (let t = 1000; t < 1200; t += 20)
      outs.push(...ep.handle({ type: 'vad', atMs: t, frame: frame(false, true), frameMs: 20 }));
    outs.push(
      ...ep.handle({ type: 'vad', atMs: 1200, frame: frame(false, false, 'speechEnd', 1000), frameMs: 20 }),
    );
    const partial = (text: string, at: number) =>
      ep.handle({ type: 'partial', partial: { text, stability: 0.9, audioTimeMs: at, receivedAtMs: at } });
    outs.push(...partial('אני רוצה', 1300));
    outs.push(...partial('אני רוצה לשאול', 1600));
    // Without the words, silence since 1000 would end the turn at 1500.
    for (let t = 1220; t < 1840; t += 20)
      outs.push(...ep.handle({ type: 'vad', atMs: t, frame: frame(false, false), frameMs: 20 }));
    expect(outs.filter((o) => o.type === 'turnEnded')).toHaveLength(0);
    // New words at audio 1600 prove voice until 1600 - 250 ms; 500 ms of silence after that
    // (the no-voice timeout counts from there plus the VAD hangover: 1350 + 220 + 450 = 2020).
    const end = ep.handle({ type: 'tick', atMs: 1850 });
    expect(end).toMatchObject([
      { type: 'turnEnded', turn: { rule: 'silence', transcript: 'אני רוצה לשאול' } },
    ]);
  });

  it('voice resuming inside the VAD hangover after an early final opens a new utterance', () => {
    const ep = createEndpointer(testConfig());
    const outs = [];
    const vad = (t: number, f: VadFrame) =>
      outs.push(...ep.handle({ type: 'vad', atMs: t, frame: f, frameMs: 20 }));
    vad(0, frame(true, true, 'speechStart', 0));
    for (let t = 20; t < 1000; t += 20) vad(t, frame(true, true));
    outs.push(
      ...ep.handle({
        type: 'partial',
        partial: { text: SENTENCE, stability: 0.9, audioTimeMs: 1000, receivedAtMs: 1050 },
      }),
    );
    for (let t = 1000; t < 1200; t += 20) vad(t, frame(false, true)); // hangover, not yet speechEnd
    expect(outs.filter((o) => o.type === 'turnEnded')).toMatchObject([
      { turn: { rule: 'earlyFinal', utteranceId: 1 } },
    ]);
    vad(1200, frame(true, true)); // the caller goes on, same VAD segment
    expect(outs.filter((o) => o.type === 'speechStarted').map((o) => o.utteranceId)).toEqual([1, 2]);
    vad(1220, frame(true, true));
    expect(outs.filter((o) => o.type === 'speechStarted')).toHaveLength(2);
  });

  it('rejects unknown input and bad configuration with clear errors, and keeps working', () => {
    const ep = createEndpointer(testConfig());
    expect(() => ep.handle({ type: 'nonsense' } as never)).toThrow(/unknown input/);
    expect(ep.handle({ type: 'tick', atMs: 10 })).toEqual([]);
    expect(() => createEndpointer(testConfig({ sttTimeoutMs: -1 }))).toThrow(/sttTimeoutMs/);
  });

  it('reset forgets the open utterance', () => {
    const ep = createEndpointer(testConfig());
    ep.handle({
      type: 'partial',
      partial: { text: 'שלום', stability: 0.5, audioTimeMs: 100, receivedAtMs: 100 },
    });
    ep.reset();
    expect(ep.handle({ type: 'tick', atMs: 5000 })).toEqual([]);
  });
});
