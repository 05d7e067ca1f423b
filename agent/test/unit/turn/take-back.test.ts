// Taking back a turn ended in a pause when the caller resumes before any answer audio: the
// decision, the transcript merge, and the endpointer continuing the withdrawn turn (real VAD on
// synthetic voice, fake time).
import { describe, expect, it } from 'vitest';
import { concat, dbToAmplitude, silence, speechLike } from '../../../src/sim/synthetic-audio.ts';
import { decideTakeBack, mergeResumedTranscript } from '../../../src/turn/take-back.ts';
import { runTimeline, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
/** Voice 500-1500, a 900 ms pause, voice 2400-3200. */
const withPause = () =>
  concat(silence(500), speechLike(1000, VOICE, 3), silence(900), speechLike(800, VOICE, 5));
const HEAD = 'שלום אני רוצה';
const FULL = 'שלום אני רוצה לבדוק את ההזמנה שלי';

const p = (atMs: number, text: string): SttScript => ({
  atMs,
  kind: 'partial',
  text,
  stability: 0.01,
  audioTimeMs: atMs,
});

describe('decideTakeBack', () => {
  const facts = { answerPending: true, answerAudioSent: false, sinceTurnEndMs: 600 };
  it('takes back an answer nobody heard yet, within the window', () => {
    expect(decideTakeBack(facts, 3000)).toEqual({ takeBack: true });
  });
  it('never once answer audio was sent, without an answer, after the window, or when disabled', () => {
    expect(decideTakeBack({ ...facts, answerAudioSent: true }, 3000)).toEqual({
      takeBack: false,
      reason: 'audio_sent',
    });
    expect(decideTakeBack({ ...facts, answerPending: false }, 3000).takeBack).toBe(false);
    expect(decideTakeBack({ ...facts, sinceTurnEndMs: 3001 }, 3000)).toEqual({
      takeBack: false,
      reason: 'too_late',
    });
    expect(decideTakeBack(facts, 0)).toEqual({ takeBack: false, reason: 'disabled' });
  });
});

describe('mergeResumedTranscript', () => {
  it('one recognizer result across the pause: the continuation already holds the cut words', () => {
    expect(mergeResumedTranscript(HEAD, FULL)).toBe(FULL);
    // ... with the cut turn's last word revised meanwhile
    expect(mergeResumedTranscript('שלום אני רוצה זה', FULL)).toBe(FULL);
    // ... or a late final covering both, continuation still showing an older interim
    expect(mergeResumedTranscript(`${FULL}.`, 'שלום אני רוצה לבדוק')).toBe(`${FULL}.`);
  });
  it('a final closed the first piece: the new words follow it, repeated words said once', () => {
    expect(mergeResumedTranscript('שלום אני רוצה לבדוק את.', 'את ההזמנה שלי')).toBe(FULL);
    expect(mergeResumedTranscript(HEAD, 'לבדוק את ההזמנה שלי')).toBe(FULL);
  });
  it('either side empty', () => {
    expect(mergeResumedTranscript('', 'כן')).toBe('כן');
    expect(mergeResumedTranscript('כן', ' ')).toBe('כן');
  });
});

describe('endpointer: a taken-back turn continues in the next utterance', () => {
  // Interims settle on the head in the pause (settledPartial ends the turn: a false cut), then
  // Google's single result grows to the whole sentence.
  const script: SttScript[] = [
    p(1000, 'שלום אני'),
    p(1500, HEAD),
    p(1700, HEAD),
    p(2800, `${HEAD} לבדוק את`),
    p(3300, FULL),
    p(3500, FULL),
  ];

  it('without take-back: two turns, the first cut mid-sentence', () => {
    const r = runTimeline(withPause(), script);
    expect(r.turns.map((t) => t.transcript)).toEqual([HEAD, FULL]);
  });

  it('with take-back: one turn with the whole sentence, from the first speech start, counted as a resumption', () => {
    const r = runTimeline(withPause(), script, undefined, 4000, { takeBack: true });
    expect(r.turns).toHaveLength(2);
    const [cut, merged] = r.turns;
    expect(cut!.transcript).toBe(HEAD);
    expect(r.takenBack).toEqual([
      expect.objectContaining({ utteranceId: cut!.utteranceId, into: merged!.utteranceId }),
    ]);
    expect(merged!.transcript).toBe(FULL);
    expect(merged!.resumptions).toBe(1);
    expect(merged!.resumedFrom).toBe(cut!.utteranceId);
    expect(merged!.speechStartMs).toBe(cut!.speechStartMs);
    // Partials of the continuation already carry the whole sentence (for a preemptive start).
    expect(r.partials.filter((x) => x.utteranceId === merged!.utteranceId).at(-1)!.text).toBe(FULL);
  });

  it("Google's final for the cut piece, arriving during the continuation, replaces its words", () => {
    const r = runTimeline(
      withPause(),
      [
        ...script.slice(0, 3),
        { atMs: 2600, kind: 'final', text: 'שלום, אני רוצה', audioStartMs: 400, audioEndMs: 1600 },
        p(2900, 'לבדוק את'),
        p(3300, 'לבדוק את ההזמנה שלי'),
        p(3500, 'לבדוק את ההזמנה שלי'),
      ],
      undefined,
      4000,
      { takeBack: true },
    );
    expect(r.lateFinals).toEqual([]);
    expect(r.turns.at(-1)!.transcript).toBe('שלום, אני רוצה לבדוק את ההזמנה שלי');
  });

  it('a late final before the caller resumed is the words carried on', () => {
    const r = runTimeline(
      withPause(),
      [
        ...script.slice(0, 3),
        { atMs: 2300, kind: 'final', text: 'שלום, אני רוצה', audioStartMs: 400, audioEndMs: 1600 },
        p(2900, 'לבדוק את'),
        p(3300, 'לבדוק את ההזמנה שלי'),
        p(3500, 'לבדוק את ההזמנה שלי'),
      ],
      undefined,
      4000,
      { takeBack: true },
    );
    expect(r.turns.at(-1)!.transcript).toBe('שלום, אני רוצה לבדוק את ההזמנה שלי');
  });
});
