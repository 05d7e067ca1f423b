// The endpointer when Google rewrites its unstable tail inside a mid-sentence pause
// (../shared/bench/google-like-profile.json: "the next interim replaces the last tail word with a
// different word or drops it", 30 % of interims): a decoy over a word that needs a continuation
// must not make a caller who stopped mid-sentence look finished (turn/end-of-turn.ts
// judgedTranscript), and a decoy that itself needs a continuation must not switch off the
// level-pitch hold (pitchCanHold). Synthetic voice through the real VAD, scripted STT, fake time.
import { describe, expect, it } from 'vitest';
import { concat, dbToAmplitude, silence, speechLike } from '../../../src/sim/synthetic-audio.ts';
import { runTimeline, testConfig, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
/** Voice 500-1500, a 900 ms pause, voice 2400-3200. */
const withPause = () =>
  concat(silence(500), speechLike(1000, VOICE, 3), silence(900), speechLike(800, VOICE, 5));
/** Voice 500-1500 and nothing after. */
const oneSentence = () => concat(silence(500), speechLike(1000, VOICE, 3));

const partial = (atMs: number, text: string): SttScript => ({
  atMs,
  kind: 'partial',
  text,
  stability: 0.01,
  audioTimeMs: atMs,
});

const HEAD = 'אני צריך עזרה עם';
const FULL = 'אני צריך עזרה עם החשבון שלי';
/** The head agreed on as the caller stops, then one revised response (`decoy`) in the pause. */
const decoyInPause = (decoy: string): SttScript[] => [
  partial(1000, 'אני צריך עזרה'),
  partial(1400, HEAD),
  partial(1600, HEAD),
  partial(1800, decoy),
  partial(2800, `${HEAD} החשבון`),
  partial(3300, FULL),
  partial(3500, FULL),
];
/** A confirmation wait (endpointer-config.ts confirmWaitMs) shorter than the silence rules it meets. */
const shortConfirmWait = { ...testConfig(), confirmWaitMs: 600 };
const pausesBefore = (r: ReturnType<typeof runTimeline>, atMs: number) =>
  r.outputs.filter((o) => o.type === 'callerPaused' && o.outAtMs < atMs);

describe('a revised tail over agreed words that need a continuation', () => {
  for (const [what, decoy] of [
    ['a word added after the dangling one', `${HEAD} היא`],
    ['the dangling word replaced', 'אני צריך עזרה כן'],
    ['the dangling word dropped', 'אני צריך עזרה'],
  ] as const) {
    it(`${what}: no turn end and no preemptive pause report inside the 900 ms pause`, () => {
      const r = runTimeline(withPause(), decoyInPause(decoy), testConfig(), 4500);
      expect(r.turns.map((t) => t.transcript)).toEqual([FULL]);
      expect(pausesBefore(r, 2400)).toEqual([]);
    });
  }

  it('the recognizer agreeing on the revised text makes it the evidence again (an ordinary end)', () => {
    const script = [partial(1000, 'אני צריך עזרה'), partial(1400, HEAD), partial(1600, HEAD)];
    const decoy = `${HEAD} היא`;
    const r = runTimeline(oneSentence(), [...script, partial(1800, decoy), partial(2000, decoy)]);
    expect(r.turns[0]).toMatchObject({ rule: 'settledPartial', transcript: decoy });
    expect(r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!).toBeLessThan(600);
  });

  it('a real last word after an agreed preposition, confirmed by the next response: answered at the usual time', () => {
    const text = 'הזמנתי מכם מקרר לפני שבועיים';
    const r = runTimeline(oneSentence(), [
      partial(1000, 'הזמנתי מכם מקרר'),
      partial(1200, 'הזמנתי מכם מקרר לפני'),
      partial(1400, 'הזמנתי מכם מקרר לפני'),
      partial(1700, text),
      partial(1900, text),
    ]);
    expect(r.turns[0]).toMatchObject({ rule: 'settledPartial', transcript: text });
    expect(r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!).toBeLessThan(500);
  });

  it('words agreed on while the caller still spoke are no evidence: an unconfirmed last word after them ends by the silence rule (once unconfirmed words may end a turn)', () => {
    const text = 'הזמנתי מכם מקרר לפני שבועיים';
    const r = runTimeline(
      oneSentence(),
      [
        partial(1000, 'הזמנתי מכם מקרר'),
        partial(1200, 'הזמנתי מכם מקרר לפני'),
        partial(1400, 'הזמנתי מכם מקרר לפני'),
        partial(1700, text),
      ],
      shortConfirmWait,
    );
    expect(r.turns[0]).toMatchObject({ rule: 'silence', transcript: text });
    expect(r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!).toBeLessThan(
      testConfig().endpointIncompleteSilenceMs,
    );
  });

  it('an unconfirmed dangling word over an agreed open text is still a guess (plain silence rule, once unconfirmed words may end a turn)', () => {
    const r = runTimeline(
      oneSentence(),
      [
        partial(1000, 'אני רוצה לבדוק'),
        partial(1300, 'אני רוצה לבדוק את ההזמנה'),
        partial(1500, 'אני רוצה לבדוק את ההזמנה'),
        partial(1700, 'אני רוצה לבדוק את ההזמנה של'),
      ],
      shortConfirmWait,
    );
    expect(r.turns[0]).toMatchObject({ rule: 'silence' });
    expect(r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!).toBeLessThan(
      testConfig().endpointIncompleteSilenceMs,
    );
  });
});

describe('a decoy that needs a continuation does not switch off the level-pitch hold', () => {
  const head = 'התשלום ירד מהכרטיס';
  const full = 'התשלום ירד מהכרטיס פעמיים החודש';
  const script: SttScript[] = [
    partial(1000, 'התשלום ירד'),
    partial(1400, head),
    partial(1600, head),
    partial(1800, 'התשלום ירד גם'),
    partial(2800, `${head} פעמיים`),
    partial(3300, full),
    partial(3500, full),
  ];

  it('spoken level: held through the 900 ms pause, one turn for the sentence', () => {
    const r = runTimeline(withPause(), script, testConfig(), 4500, { prosody: 'level' });
    expect(r.turns.map((t) => t.transcript)).toEqual([full]);
  });

  it('spoken with a fall: the unconfirmed guess ends nothing in the pause, one turn for the sentence', () => {
    const r = runTimeline(withPause(), script, testConfig(), 4500, { prosody: 'fall' });
    expect(r.turns.map((t) => t.transcript)).toEqual([full]);
  });

  it('spoken with a fall, past a short confirmation wait: the guess is ignored as before and the pause ends the turn', () => {
    const r = runTimeline(withPause(), script, shortConfirmWait, 4500, { prosody: 'fall' });
    expect(r.turns[0]).toMatchObject({ rule: 'silence', transcript: 'התשלום ירד גם' });
  });
});
