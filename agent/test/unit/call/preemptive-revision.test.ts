// The preemptive guess and Google's tail revisions while the caller is silent (issue 9): the
// recognizer's next interim (200-300 ms later) replaces or drops a guessed last word, and the
// turn is decided on the revision only STT_INTERIM_SETTLE_MS (400 ms) later. Session-level, on the
// call's fake clock: the endpointer's outputs are emitted as the real one would send them.
import { describe, expect, it } from 'vitest';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { createHarness, flush, type Harness } from './fakes.ts';

const lastRecord = (h: Harness): TurnRecord => h.records.at(-1) as TurnRecord;

async function answerPlayed(h: Harness): Promise<void> {
  await flush();
  h.sink.echoAll(h.handler, 'played');
  await flush();
}

/** The caller spoke, then went silent past the VAD's hangover; the guess starts on `text`. */
async function callerStopped(h: Harness, text: string): Promise<void> {
  h.audio('speech', 400);
  h.audio('silence', 220);
  h.emit({ type: 'callerPaused', utteranceId: 1, text, stability: 0.01, atMs: h.sink.clock });
  await flush();
}

/** The recognizer's next interim, while the caller says nothing more. */
async function interim(h: Harness, text: string, afterMs: number): Promise<void> {
  h.audio('silence', afterMs);
  h.emit({ type: 'partial', utteranceId: 1, text, stability: 0.01, agreed: false, atMs: h.sink.clock });
  await flush();
}

const SAID = 'מה שעות הפתיחה ביום שישי';
const DECOY = 'מה שעות הפתיחה ביום היא';

/** The caller goes on: the recognizer shows more words while the VAD hears speech. */
async function callerGoesOn(h: Harness, text: string): Promise<void> {
  h.audio('speech', 200);
  h.emit({ type: 'partial', utteranceId: 1, text, stability: 0.01, agreed: false, atMs: h.sink.clock });
  await flush();
}

/** The recognizer's next interim repeats the last one: two responses agree on it. */
async function agreeing(h: Harness, text: string, afterMs: number): Promise<void> {
  h.audio('silence', afterMs);
  h.emit({ type: 'partial', utteranceId: 1, text, stability: 0.01, agreed: true, atMs: h.sink.clock });
  await flush();
}

// A revision restarts the guess only once two responses agree on it: restarting on every
// revision (with the replaced guess kept in reserve) was measured and removed (docs/bench/turn.md).
describe('preemptive guess on a revised tail (caller silent)', () => {
  it('the revision waits for agreement, and a turn decided on it first asks afresh', async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['לא זה.'], hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, DECOY);
    await interim(h, SAID, 240);
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'miss', llmRequests: 2, preemptiveTrail: 'pause' });
    await h.handler.dispose('test');
  });

  it('a revision two responses agree on restarts the guess and stops the one it replaced', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['לא זה.'], hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, DECOY);
    await flush();
    await interim(h, SAID, 240);
    expect(h.responder.requests).toHaveLength(1);
    await agreeing(h, SAID, 240);
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests[1]?.messages.at(-1)?.content).toBe(SAID);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    h.audio('silence', 200);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    // The replaced guess's first sentence was synthesised ahead and cancelled unheard: billed.
    expect(h.synthesizer.requests.map((s) => s.text)).toEqual(['לא זה.', 'נכון.']);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'hit',
      preemptiveStarts: 2,
      llmRequests: 2,
      preemptiveTrail: 'pause>agreed',
      heardChars: 'נכון.'.length,
      ttsChars: 'לא זה.'.length + 'נכון.'.length,
    });
    await h.handler.dispose('test');
  });

  it('a caller who speaks again is not revising: the next stop restarts the guess at once', async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['ניחוש.'], hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, 'מה שעות');
    await interim(h, 'מה שעות הפתיחה', 200);
    expect(h.responder.requests).toHaveLength(1);
    await callerStopped(h, SAID);
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests.map((r) => r.signal.aborted)).toEqual([true, false]);
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'hit',
      llmRequests: 2,
      preemptiveTrail: 'pause>pause',
    });
    await h.handler.dispose('test');
  });
});

describe('preemptive guess and the pause report (mid-sentence pauses)', () => {
  it("a partial while the caller is silent starts nothing until the endpointer reports the caller's pause", async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['נכון.'] });
    h.audio('speech', 400);
    h.audio('silence', 240); // past the VAD's hangover: the caller is silent
    h.emit({
      type: 'partial',
      utteranceId: 1,
      text: SAID,
      stability: 0.01,
      agreed: false,
      atMs: h.sink.clock,
    });
    await flush();
    // The endpointer holds its pause report back (pitch reading, words reaching the speech end,
    // a mid-sentence pause's longer silence): the guess waits for it.
    expect(h.responder.requests).toHaveLength(0);
    h.audio('silence', 60);
    h.emit({ type: 'callerPaused', utteranceId: 1, text: SAID, stability: 0.01, atMs: h.sink.clock });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'hit', llmRequests: 1, preemptiveTrail: 'pause' });
    await h.handler.dispose('test');
  });

  it('a caller heard going on past the guess stops its request and synthesis at once; the next stop guesses again', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['ניחוש.'], delayMs: 300, hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, 'מה שעות הפתיחה');
    expect(h.responder.requests).toHaveLength(1);
    // The caller goes on: the recognizer shows more words while the VAD hears speech.
    await callerGoesOn(h, 'מה שעות הפתיחה ביום');
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    h.audio('speech', 200);
    await flush();
    expect(h.synthesizer.requests).toHaveLength(0); // its first token never came: nothing synthesised
    await callerStopped(h, SAID);
    expect(h.responder.requests).toHaveLength(2);
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'hit',
      llmRequests: 2,
      preemptiveTrail: 'pause>pause',
      ttsChars: 'נכון.'.length,
    });
    await h.handler.dispose('test');
  });

  it('an abandoned guess that had synthesised its first sentence bills those characters once', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['ניחוש.'], hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, 'מה שעות הפתיחה');
    await flush();
    expect(h.synthesizer.requests).toHaveLength(1); // the guess's first sentence, synthesised ahead
    await callerGoesOn(h, 'מה שעות הפתיחה ביום');
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    h.audio('speech', 200);
    await callerStopped(h, SAID); // the restart stops the abandoned guess again: no second bill
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'hit',
      llmRequests: 2,
      ttsChars: 'ניחוש.'.length + 'נכון.'.length,
    });
    await h.handler.dispose('test');
  });

  it('an abandoned guess is never answered with: a turn decided on its words asks afresh', async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['ניחוש.'], hang: true }, { deltas: ['נכון.'] });
    await callerStopped(h, SAID);
    await callerGoesOn(h, `${SAID} בבוקר`);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    // The recognizer drops the extra word again and the turn ends on the first guess's words.
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'sttFinal');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests[1]?.messages.at(-1)?.content).toBe(SAID);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'miss', llmRequests: 2, outcome: 'answered' });
    await h.handler.dispose('test');
  });

  it("partials inside the VAD's hangover after an early pause report keep the guess, even with a word more", async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['נכון.'] });
    h.audio('speech', 400);
    // Two responses agreed: reported early, while the VAD's hangover still says speech (the fake
    // VAD ends speech after 60 ms of silence).
    h.audio('silence', 20);
    h.emit({ type: 'callerPaused', utteranceId: 1, text: SAID, stability: 0.01, atMs: h.sink.clock });
    await flush();
    h.audio('silence', 20);
    // a decoy word in the recognizer's next interim, while the VAD's hangover still says speech
    const decoy = `${SAID} היא`;
    h.emit({
      type: 'partial',
      utteranceId: 1,
      text: decoy,
      stability: 0.01,
      agreed: false,
      atMs: h.sink.clock,
    });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    await interim(h, SAID, 240); // revised back, the caller silent
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    h.audio('silence', 400);
    h.turnEnded(1, SAID, 'silence');
    await answerPlayed(h);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'hit', llmRequests: 1 });
    await h.handler.dispose('test');
  });
});
