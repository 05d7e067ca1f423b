// A turn is answered only on words the recognizer has confirmed. Google gives any interim's tail a
// chance of a word the next response revises (../shared/bench/google-like-profile.json:
// tailRevisionProbability 0.3, "the next interim replaces the last tail word with a different word
// or drops it"; its "sources": a stable head 0.9 plus an unstable tail 0.01 on v1, unset on v2).
// The interim that first reaches the speech end may carry such a decoy; the turn waits for two
// responses agreeing or the final (bounded), while the preemptive guess starts on the interim.
// Synthetic voice through the real VAD, scripted STT, fake time.
import { describe, expect, it } from 'vitest';
import { concat, dbToAmplitude, silence, speechLike } from '../../../src/sim/synthetic-audio.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { runTimeline, testConfig, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
/** Voice 500-2000 ms, then silence. */
const oneSentence = () => concat(silence(500), speechLike(1500, VOICE, 3));
const SAID = 'שלום אני רוצה לבדוק את ההזמנה שלי';

for (const [api, stability] of [
  ['v1 (head 0.9 + tail 0.01)', 0.01],
  ['v2 (stability unset)', 0],
] as const) {
  const interim = (atMs: number, text: string, audioTimeMs = atMs - 300): SttScript => ({
    atMs,
    kind: 'partial',
    text,
    stability,
    audioTimeMs,
  });
  /** Interims trailing the audio by 300 ms; the first one reaching the speech end comes at 2450. */
  const during: SttScript[] = [
    interim(1000, 'שלום אני'),
    interim(1600, 'שלום אני רוצה לבדוק'),
    interim(2100, 'שלום אני רוצה לבדוק את ההזמנה', 1650),
  ];
  const final = (atMs: number): SttScript => ({
    atMs,
    kind: 'final',
    text: `${SAID}.`,
    audioStartMs: 500,
    audioEndMs: 2100,
  });

  describe(`${api}: the interim reaching the speech end`, () => {
    for (const [what, decoy] of [
      ['a word added', `${SAID} אז`],
      ['the last word replaced', 'שלום אני רוצה לבדוק את ההזמנה כן'],
    ] as const) {
      it(`with a decoy tail (${what}) the caller is answered on the final's words, not the decoy`, () => {
        const r = runTimeline(oneSentence(), [...during, interim(2450, decoy), final(3000)]);
        expect(r.turns.map((t) => [t.rule, t.transcript, t.endedAtMs])).toEqual([
          ['sttFinal', `${SAID}.`, 3000],
        ]);
        // The guess started on the decoy meanwhile (the session keeps it only if the final agrees).
        const paused = r.outputs.filter((o) => o.type === 'callerPaused');
        expect(paused.map((o) => [o.type === 'callerPaused' && o.text, o.outAtMs])).toEqual([[decoy, 2450]]);
      });
    }

    it('with a decoy the next response revises and a third confirms: answered on the confirmed words', () => {
      const r = runTimeline(oneSentence(), [
        ...during,
        interim(2450, `${SAID} היא`),
        interim(2650, SAID),
        interim(2850, SAID),
        final(3500),
      ]);
      expect(r.turns.map((t) => [t.transcript, t.tailSettled])).toEqual([[SAID, true]]);
      expect(r.turns[0]!.endedAtMs).toBe(2850);
    });

    it('right words confirmed by the next response: answered then, long before the final', () => {
      const r = runTimeline(oneSentence(), [
        ...during,
        interim(2450, SAID),
        interim(2650, SAID),
        final(3500),
      ]);
      expect(r.turns.map((t) => [t.transcript, t.tailSettled])).toEqual([[SAID, true]]);
      expect(r.turns[0]!.endedAtMs).toBeLessThan(2700);
    });

    describe('on the production default (STT_INTERIM_SETTLE_MS 400): a recognizer quiet after an interim confirms it', () => {
      const settle = testConfig({ sttInterimSettleMs: defaultConfig().sttInterimSettleMs });
      it('right words and no later response: answered 400 ms after that interim, long before the final', () => {
        const r = runTimeline(oneSentence(), [...during, interim(2450, SAID), final(3500)], settle);
        expect(r.turns.map((t) => [t.transcript, t.tailSettled])).toEqual([[SAID, true]]);
        expect(r.turns[0]!.endedAtMs - 2850).toBeGreaterThanOrEqual(0);
        expect(r.turns[0]!.endedAtMs - 2850).toBeLessThan(20); // the next 20 ms tick
      });

      it('a decoy the next response revises (as Google does, 200 ms later): answered on the revised words', () => {
        const r = runTimeline(
          oneSentence(),
          [...during, interim(2450, `${SAID} אז`), interim(2650, SAID), final(3500)],
          settle,
        );
        expect(r.turns.map((t) => [t.transcript, t.tailSettled])).toEqual([[SAID, true]]);
        expect(r.turns[0]!.endedAtMs - 3050).toBeGreaterThanOrEqual(0);
        expect(r.turns[0]!.endedAtMs - 3050).toBeLessThan(20);
        // The guess started on the decoy is replaced by one on the revised words.
        const paused = r.outputs.filter((o) => o.type === 'callerPaused');
        expect(paused.map((o) => o.type === 'callerPaused' && o.text)).toContain(`${SAID} אז`);
      });

      it('responses still coming every 200 ms are not quiet: the decoy is never answered', () => {
        const r = runTimeline(
          oneSentence(),
          [
            ...during,
            interim(2450, `${SAID} אז`),
            interim(2650, `${SAID} כן`),
            interim(2850, SAID),
            final(3500),
          ],
          settle,
        );
        expect(r.turns.map((t) => t.transcript)).toEqual([SAID]);
        expect(r.turns[0]!.endedAtMs - 3250).toBeGreaterThanOrEqual(0);
        expect(r.turns[0]!.endedAtMs - 3250).toBeLessThan(20);
      });
    });

    it('no confirmation at all (no later response, no final): answered on the interim after 3 s, marked unsettled', () => {
      const r = runTimeline(oneSentence(), [...during, interim(2450, SAID)]);
      expect(r.turns.map((t) => [t.rule, t.transcript, t.tailSettled])).toEqual([['silence', SAID, false]]);
      const t = r.turns[0]!;
      expect(t.endedAtMs - t.speechEndMs!).toBeGreaterThanOrEqual(3000);
      expect(t.endedAtMs - t.speechEndMs!).toBeLessThan(3100);
    });
  });
}

describe('a recognizer that reports a stable result (v1 0.9, the reference shape)', () => {
  it('its words are confirmed by the stability: the silence rule answers at its usual time', () => {
    const r = runTimeline(oneSentence(), [
      { atMs: 1600, kind: 'partial', text: 'שלום אני רוצה לבדוק', stability: 0.9, audioTimeMs: 1600 },
      { atMs: 2100, kind: 'partial', text: SAID, stability: 0.9, audioTimeMs: 2050 },
      { atMs: 3500, kind: 'final', text: `${SAID}.`, audioStartMs: 500, audioEndMs: 2100 },
    ]);
    expect(r.turns.map((t) => [t.rule, t.tailSettled])).toEqual([['silence', true]]);
    const t = r.turns[0]!;
    expect(t.endedAtMs - t.speechEndMs!).toBeLessThan(testConfig().endpointMinSilenceMs + 60);
  });
});
