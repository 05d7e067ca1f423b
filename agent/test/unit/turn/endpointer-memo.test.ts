import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { transcriptCompleteness } from '../../../src/turn/completeness.ts';
import { createEndpointer } from '../../../src/turn/endpointer.ts';
import { judgedTranscript, requiredSilenceMs } from '../../../src/turn/end-of-turn.ts';
import { newUtterance, transcriptOf, type Utterance } from '../../../src/turn/utterance.ts';

// The endpointer asks for the transcript and its completeness on every 20 ms frame and tick, so
// those answers are remembered until what they are made of changes. Each check here compares the
// remembered answer with one computed afresh (a new object, or a different question in between).

const WORDS = [
  'שלום',
  'אני',
  'רוצה',
  'את',
  'ההזמנה',
  'של',
  'שלי.',
  'מה',
  'השעה?',
  'ו',
  'בסדר,',
  'מס׳.',
  'רח׳',
  'תודה!',
];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const phrase = (random: () => number): string =>
  Array.from({ length: 1 + Math.floor(random() * 5) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(
    ' ',
  );

/** The same utterance as a new object: nothing remembered for it yet. */
const fresh = (u: Utterance): Utterance => ({
  ...u,
  committed: [...u.committed],
  resumed: u.resumed ? { ...u.resumed } : undefined,
  transcriptMemo: undefined,
});

describe('endpointer memos answer what a fresh computation answers', () => {
  it('transcriptOf follows new finals, a new or equal-text partial, and a take-back', () => {
    const random = seeded(7);
    for (let run = 0; run < 50; run++) {
      const u = newUtterance(run, 0);
      for (let step = 0; step < 40; step++) {
        const r = random();
        if (r < 0.15) u.committed.push(phrase(random));
        else if (r < 0.55) {
          const text = random() < 0.3 && u.partial ? u.partial.text : phrase(random);
          u.partial = { text, stability: 0.9, audioTimeMs: step * 20, receivedAtMs: step * 20 };
        } else if (r < 0.6) u.partial = undefined;
        else if (r < 0.65) {
          u.resumed = {
            fromId: 0,
            speechStartMs: 0,
            firstPartialMs: undefined,
            lastId: 0,
            resumptions: 1,
            transcript: phrase(random),
          };
        } else if (r < 0.7 && u.resumed) u.resumed.transcript = phrase(random); // a late final replaces it
        expect(transcriptOf(u)).toBe(transcriptOf(fresh(u)));
        expect(transcriptOf(u)).toBe(transcriptOf(u));
      }
    }
  });

  it('transcriptCompleteness and requiredSilenceMs: repeated questions get the fresh answers', () => {
    const random = seeded(11);
    const config = defaultConfig({ endpointMinSilenceMs: 500, endpointIncompleteSilenceMs: 1200 });
    const other = defaultConfig({ endpointMinSilenceMs: 1, endpointIncompleteSilenceMs: 2 });
    for (let i = 0; i < 500; i++) {
      const text = random() < 0.1 ? '' : phrase(random);
      const punctuating = random() < 0.5;
      const settled = random() < 0.5;
      const repeated = [transcriptCompleteness(text), requiredSilenceMs(text, config, punctuating, settled)];
      transcriptCompleteness('x');
      requiredSilenceMs('x y', other, !punctuating, !settled);
      const freshAnswers = [
        transcriptCompleteness(text),
        requiredSilenceMs(text, config, punctuating, settled),
      ];
      expect(repeated).toEqual(freshAnswers);
      expect([transcriptCompleteness(text), requiredSilenceMs(text, config, punctuating, settled)]).toEqual(
        freshAnswers,
      );
    }
  });

  it('judgedTranscript: repeated questions get the fresh answers', () => {
    const random = seeded(13);
    for (let i = 0; i < 500; i++) {
      const agreed = phrase(random);
      // Often a revision of the agreed words' last word, so both answers are exercised.
      const live =
        random() < 0.6 ? `${agreed} ${WORDS[Math.floor(random() * WORDS.length)]}` : phrase(random);
      const first = judgedTranscript(live, false, agreed);
      judgedTranscript('x', false, 'y של');
      expect(judgedTranscript(live, false, agreed)).toEqual(first);
      expect(judgedTranscript(live, true, agreed)).toEqual({ text: live, settled: true });
      expect(judgedTranscript(live, false, `${agreed}`)).toEqual(first);
    }
    expect(judgedTranscript('אני צריך עזרה עם היא', false, 'אני צריך עזרה עם')).toEqual({
      text: 'אני צריך עזרה עם',
      settled: true,
    });
  });

  it('requiredSilenceMs follows a changed setting on the same config object', () => {
    const config = { ...defaultConfig(), endpointMinSilenceMs: 500, endpointIncompleteSilenceMs: 1200 };
    expect(requiredSilenceMs('אני רוצה את', config)).toBe(1200);
    config.endpointIncompleteSilenceMs = 1500;
    expect(requiredSilenceMs('אני רוצה את', config)).toBe(1500);
    config.endpointMinSilenceMs = 2000;
    expect(requiredSilenceMs('אני רוצה את', config)).toBe(2000);
  });
});

describe('endpointer outputs without an allocation per input', () => {
  it('an input that decides nothing returns an empty array; arrays handed out stay as they were', () => {
    const ep = createEndpointer(defaultConfig());
    const quiet = ep.handle({ type: 'vad', atMs: 0, frame: { voiced: false, speech: false }, frameMs: 20 });
    expect(quiet).toEqual([]);
    const start = ep.handle({
      type: 'vad',
      atMs: 20,
      frame: { voiced: true, speech: true, event: 'speechStart', eventTimeMs: 0 },
      frameMs: 20,
    });
    expect(start).toEqual([{ type: 'speechStarted', utteranceId: 1, atMs: 0 }]);
    const partial = ep.handle({
      type: 'partial',
      partial: { text: 'שלום', stability: 0.9, audioTimeMs: 20, receivedAtMs: 40 },
    });
    for (let t = 40; t < 400; t += 20)
      ep.handle({ type: 'vad', atMs: t, frame: { voiced: true, speech: true }, frameMs: 20 });
    expect(quiet).toEqual([]);
    expect(start).toEqual([{ type: 'speechStarted', utteranceId: 1, atMs: 0 }]);
    expect(partial).toEqual([]);
    expect(start).not.toBe(ep.handle({ type: 'tick', atMs: 400 }));
  });
});
