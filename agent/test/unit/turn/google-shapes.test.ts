// The endpointer on what Google streaming really sends (../shared/bench/google-like-profile.json
// "sources"): unpunctuated interims that join a stable head and an unstable tail, stability 0.9 /
// 0.01 on v1 and unset on v2, a final inside a ~1 s mid-sentence pause, the next final repeating
// words of the previous one. Synthetic voice through the real VAD, fake time.
import { describe, expect, it } from 'vitest';
import { concat, dbToAmplitude, silence, speechLike } from '../../../src/sim/synthetic-audio.ts';
import { runTimeline, testConfig, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
/** 500 ms silence, then voice 500-2000 ms. */
const oneSentence = () => concat(silence(500), speechLike(1500, VOICE, 3));
/** Voice 500-1500, a 900 ms pause, voice 2400-3200. */
const withPause = () =>
  concat(silence(500), speechLike(1000, VOICE, 3), silence(900), speechLike(800, VOICE, 5));
const FULL = 'שלום אני רוצה לבדוק את ההזמנה שלי';

/** Interims as the agent sees them after joining head and tail (one per response). */
const interims = (stability: number, last: Array<[number, string]>): SttScript[] => [
  { atMs: 1000, kind: 'partial', text: 'שלום אני', stability, audioTimeMs: 1000 },
  { atMs: 1600, kind: 'partial', text: 'שלום אני רוצה לבדוק', stability, audioTimeMs: 1600 },
  ...last.map(([atMs, text]): SttScript => ({ atMs, kind: 'partial', text, stability, audioTimeMs: atMs })),
];

/** FULL without its last word: the line at the stop of an interim trailing the audio. */
const missingLast = 'שלום אני רוצה לבדוק את ההזמנה';
/** That interim, its result end (1650) a word before the last voiced frame (~2000). */
const shortOfSpeechEnd = (atMs: number): SttScript => ({
  atMs,
  kind: 'partial',
  text: missingLast,
  stability: 0.01,
  audioTimeMs: 1650,
});

describe('Google-shaped interims (no punctuation)', () => {
  it('two responses agreeing on an open transcript end the turn after the settled silence, before the silence rule', () => {
    const r = runTimeline(
      oneSentence(),
      interims(0.01, [
        [2100, FULL],
        [2300, FULL],
      ]),
    );
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([['settledPartial', FULL]]);
    const t = r.turns[0]!;
    expect(t.endedAtMs - t.speechEndMs!).toBeGreaterThanOrEqual(400);
    expect(t.endedAtMs - t.speechEndMs!).toBeLessThan(460);
  });

  it("two responses agreeing on words whose audio stops short of the caller's last voice do not settle the turn", () => {
    // Google's interims trail the audio by ~0.3 s: at the stop the agreed words lack the last
    // one, their result end (1650) a word before the last voiced frame (~2000). They must not
    // end the turn; the interims that reach the speech end do.
    const r = runTimeline(oneSentence(), [
      ...interims(0.01, []),
      shortOfSpeechEnd(2100),
      shortOfSpeechEnd(2300),
      { atMs: 2450, kind: 'partial', text: FULL, stability: 0.01, audioTimeMs: 2100 },
      { atMs: 2650, kind: 'partial', text: FULL, stability: 0.01, audioTimeMs: 2300 },
    ]);
    expect(r.turns.map((t) => t.transcript)).toEqual([FULL]);
    expect(r.turns[0]!.endedAtMs).toBeGreaterThanOrEqual(2450);
  });

  it('the silence rule and the preemptive pause report wait for an interim that reaches the speech end', () => {
    // The interims at the stop lack the last word (their result end ~350 ms before the last voiced
    // frame); the one with it comes late. No turn and no pause report on the short words.
    const r = runTimeline(oneSentence(), [
      ...interims(0.01, []),
      shortOfSpeechEnd(2100),
      { atMs: 2800, kind: 'partial', text: FULL, stability: 0.01, audioTimeMs: 2400 },
    ]);
    expect(r.turns.map((t) => t.transcript)).toEqual([FULL]);
    expect(r.turns[0]!.endedAtMs).toBeGreaterThanOrEqual(2800);
    const paused = r.outputs.filter((o) => o.type === 'callerPaused');
    expect(paused.map((o) => o.type === 'callerPaused' && o.text)).toEqual([FULL]);
    expect(r.partials.filter((p) => p.text === missingLast).every((p) => !p.couldEnd)).toBe(true);
  });

  it('that wait is bounded: with no interim reaching the speech end, the silence rule decides at 1.2 s', () => {
    const r = runTimeline(oneSentence(), [
      ...interims(0.01, []),
      shortOfSpeechEnd(2100),
      shortOfSpeechEnd(2300),
    ]);
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([['silence', missingLast]]);
    const t = r.turns[0]!;
    expect(t.endedAtMs - t.speechEndMs!).toBeGreaterThanOrEqual(1150);
    expect(t.endedAtMs - t.speechEndMs!).toBeLessThan(1300);
  });

  it('a revised tail is not agreement: the turn waits for its words to be confirmed, bounded', () => {
    const revised = interims(0.01, [
      [2100, `${FULL} זה`],
      [2300, FULL],
    ]);
    // Neither another response nor the final: answered on the unconfirmed words at the bound (3 s).
    const r = runTimeline(oneSentence(), revised);
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([['silence', FULL]]);
    const t = r.turns[0]!;
    expect(t.endedAtMs - t.speechEndMs!).toBeGreaterThanOrEqual(3000);
    expect(t.endedAtMs - t.speechEndMs!).toBeLessThan(3100);
    // The session may keep its guess over a tail nobody confirmed (answerText).
    expect(t.tailSettled).toBe(false);
  });

  it('stability unset (v2) and the v1 head/tail values give the same decisions at the same times', () => {
    const shapes = [0, 0.01, 0.9].map((s) =>
      runTimeline(
        oneSentence(),
        interims(s, [
          [2100, FULL],
          [2300, FULL],
        ]),
      ),
    );
    const key = (r: (typeof shapes)[number]) => r.turns.map((t) => [t.rule, t.endedAtMs, t.transcript]);
    expect(key(shapes[0]!)).toEqual(key(shapes[1]!));
    expect(key(shapes[0]!)).toEqual(key(shapes[2]!));
    // Punctuated and agreed on: unset behaves like a high stability; a reported low one blocks the
    // early final. Unset is no confirmation by itself: a lone unset response waits like a low one.
    const punct = (s: number, times: number[]) =>
      runTimeline(
        oneSentence(),
        interims(
          s,
          times.map((at): [number, string] => [at, `${FULL}.`]),
        ),
      ).turns.map((t) => [t.rule, t.endedAtMs]);
    expect(punct(0, [2100, 2200])).toEqual(punct(0.9, [2100, 2200]));
    expect(punct(0, [2100, 2200])[0]![0]).toBe('earlyFinal');
    expect(punct(0.01, [2100, 2200])[0]![0]).toBe('silence');
    expect(punct(0, [2100])[0]![1]).toBe(punct(0.01, [2100])[0]![1]);
    expect(punct(0.9, [2100])[0]![0]).toBe('earlyFinal');
  });

  it('when the VAD says the caller stopped, the latest transcript is offered for a preemptive start', () => {
    const r = runTimeline(oneSentence(), interims(0.01, [[1900, FULL]]));
    const paused = r.outputs.filter((o) => o.type === 'callerPaused');
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ text: FULL, stability: 0.01 });
    expect(paused[0]!.outAtMs).toBeLessThan(r.turns[0]!.endedAtMs);
  });

  it('LLM_PREEMPTIVE_AGREED_SILENCE_MS: two agreeing responses are offered sooner, a revised tail at the usual silence', () => {
    const config = testConfig({ llmPreemptiveAgreedSilenceMs: 100, llmPreemptiveSilenceMs: 220 });
    const pausedAfterVoice = (last: Array<[number, string]>) => {
      const r = runTimeline(oneSentence(), interims(0.01, last), config);
      const lastVoiced = r.vadFrames.filter((f) => f.voiced).at(-1)!.atMs + 20;
      return r.outputs.filter((o) => o.type === 'callerPaused').map((o) => o.outAtMs - lastVoiced);
    };
    const agreed = pausedAfterVoice([
      [1900, FULL],
      [1960, FULL],
    ]);
    const revised = pausedAfterVoice([
      [1900, `${FULL} זה`],
      [1960, FULL],
    ]);
    expect(agreed).toHaveLength(1);
    expect(agreed[0]).toBeGreaterThanOrEqual(100);
    expect(agreed[0]).toBeLessThan(140);
    expect(revised).toHaveLength(1);
    expect(revised[0]).toBeGreaterThanOrEqual(220);
  });

  it.each(['שלום.', 'שלום,'])(
    'no early start on an unpunctuated text from a recognizer seen to punctuate (%s)',
    (seen) => {
      const config = testConfig({ llmPreemptiveAgreedSilenceMs: 100, llmPreemptiveSilenceMs: 220 });
      const r = runTimeline(
        oneSentence(),
        [
          { atMs: 800, kind: 'partial', text: seen, stability: 0.9, audioTimeMs: 800 },
          { atMs: 1900, kind: 'partial', text: FULL, stability: 0.9, audioTimeMs: 1900 },
          { atMs: 1960, kind: 'partial', text: FULL, stability: 0.9, audioTimeMs: 1960 },
        ],
        config,
      );
      const lastVoiced = r.vadFrames.filter((f) => f.voiced).at(-1)!.atMs + 20;
      const paused = r.outputs.filter((o) => o.type === 'callerPaused').map((o) => o.outAtMs - lastVoiced);
      expect(paused[0]).toBeGreaterThanOrEqual(220);
    },
  );
});

describe('early final never on a dangling word or an abbreviation dot', () => {
  for (const text of ['שלום אני רוצה לבדוק את.', 'קבעתי תור אצל ד"ר.', 'אני רוצה לדבר עם.']) {
    it(`"${text}" waits for the incomplete-silence rule`, () => {
      const r = runTimeline(oneSentence(), [
        { atMs: 2100, kind: 'partial', text, stability: 0.95, audioTimeMs: 2100 },
      ]);
      expect(r.turns.map((t) => t.rule)).toEqual(['silence']);
      const t = r.turns[0]!;
      expect(t.endedAtMs - t.speechEndMs!).toBeGreaterThanOrEqual(testConfig().endpointIncompleteSilenceMs);
    });
  }
});

describe('a final inside a mid-sentence pause', () => {
  const script = (finalAt: number, second: string): SttScript[] => [
    { atMs: 1000, kind: 'partial', text: 'אני רוצה', stability: 0.01, audioTimeMs: 1000 },
    { atMs: 1400, kind: 'partial', text: 'אני רוצה לבדוק את', stability: 0.01, audioTimeMs: 1400 },
    // Interims go on into the pause and repeat the words heard: the dangling word is agreed on.
    { atMs: 1650, kind: 'partial', text: 'אני רוצה לבדוק את', stability: 0.01, audioTimeMs: 1650 },
    { atMs: finalAt, kind: 'final', text: 'אני רוצה לבדוק את.', audioStartMs: 500, audioEndMs: 1600 },
    {
      atMs: 2800,
      kind: 'partial',
      text: second.split(' ').slice(0, 2).join(' '),
      stability: 0.01,
      audioTimeMs: 2800,
    },
    { atMs: 3200, kind: 'partial', text: second, stability: 0.01, audioTimeMs: 3200 },
    { atMs: 3400, kind: 'partial', text: second, stability: 0.01, audioTimeMs: 3400 },
    { atMs: 4300, kind: 'final', text: `${second}.`, audioStartMs: 2300, audioEndMs: 3300 },
  ];

  it('does not end the turn by itself; the caller goes on and one turn holds the whole sentence', () => {
    const r = runTimeline(withPause(), script(2350, 'ההזמנה שלי'));
    expect(r.turns).toHaveLength(1);
    expect(r.turns[0]!.transcript).toBe('אני רוצה לבדוק את ההזמנה שלי');
    expect(r.turns[0]!.endedAtMs).toBeGreaterThan(3200);
  });

  it('words the next final repeats are not repeated in the transcript', () => {
    const r = runTimeline(withPause(), script(2350, 'לבדוק את ההזמנה שלי'));
    expect(r.turns.map((t) => t.transcript)).toEqual(['אני רוצה לבדוק את ההזמנה שלי']);
  });

  it('without a partial to settle on, the second final ends the turn with the de-duplicated sentence', () => {
    const finalsOnly: SttScript[] = [
      { atMs: 2350, kind: 'final', text: 'אני רוצה לבדוק את.', audioStartMs: 500, audioEndMs: 1600 },
      { atMs: 3400, kind: 'final', text: 'את ההזמנה שלי.', audioStartMs: 2300, audioEndMs: 3300 },
    ];
    const r = runTimeline(withPause(), finalsOnly);
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([
      ['sttFinal', 'אני רוצה לבדוק את ההזמנה שלי.'],
    ]);
  });
});

describe('a recognizer that punctuates its interims (the reference shape)', () => {
  it('once it has punctuated a sentence end, an unpunctuated transcript in a pause is mid-sentence', () => {
    const script: SttScript[] = [
      // An earlier sentence of the call came punctuated: this recognizer marks the ends it hears.
      { atMs: 700, kind: 'partial', text: 'כן.', stability: 0.9, audioTimeMs: 700 },
      { atMs: 1400, kind: 'partial', text: 'כן. הזמנתי מכם מקרר', stability: 0.9, audioTimeMs: 1400 },
      { atMs: 1700, kind: 'partial', text: 'כן. הזמנתי מכם מקרר', stability: 0.9, audioTimeMs: 1700 },
      {
        // After the speech (voice ends at 3200), covering it.
        atMs: 3300,
        kind: 'partial',
        text: 'כן. הזמנתי מכם מקרר לפני שבועיים.',
        stability: 0.9,
        audioTimeMs: 3250,
      },
    ];
    const r = runTimeline(withPause(), script);
    expect(r.turns.map((t) => [t.rule, t.transcript])).toEqual([
      ['earlyFinal', 'כן. הזמנתי מכם מקרר לפני שבועיים.'],
    ]);
    // The same pause with a recognizer that never punctuates interims settles on the prefix.
    const google = runTimeline(
      withPause(),
      script.slice(1, 3).map((e) => ({ ...e, text: 'הזמנתי מכם מקרר' })),
    );
    expect(google.turns[0]!.rule).toBe('settledPartial');
  });
});

describe('a dangling word only in a just-revised unstable tail', () => {
  it('is a guess: the plain silence rule applies; two responses agreeing on it make it a pause', () => {
    const revised = interims(0.01, [
      [2100, FULL],
      [2300, 'שלום אני רוצה לבדוק את ההזמנה של'],
    ]);
    // Once unconfirmed words may end a turn (a confirmation wait shorter than the silence rules).
    const r = runTimeline(oneSentence(), revised, { ...testConfig(), confirmWaitMs: 600 });
    expect(r.turns.map((t) => t.rule)).toEqual(['silence']);
    expect(r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!).toBeLessThan(
      testConfig().endpointIncompleteSilenceMs,
    );
    const agreed = runTimeline(
      oneSentence(),
      interims(0.01, [
        [2100, 'שלום אני רוצה לבדוק את ההזמנה של'],
        [2300, 'שלום אני רוצה לבדוק את ההזמנה של'],
      ]),
    );
    expect(agreed.turns[0]!.endedAtMs - agreed.turns[0]!.speechEndMs!).toBeGreaterThanOrEqual(
      testConfig().endpointIncompleteSilenceMs,
    );
  });
});
