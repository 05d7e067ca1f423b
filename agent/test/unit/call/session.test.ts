import { describe, expect, it } from 'vitest';
import { SynthesizerError } from '../../../src/tts/errors.ts';
import { ResponderError } from '../../../src/llm/errors.ts';
import { DTMF_PREFIX } from '../../../src/llm/history.ts';
import { createCallClock } from '../../../src/call/clock.ts';
import { createIntervalTicker } from '../../../src/call/ticker.ts';
import { bargeInsTotal } from '../../../src/call/metrics.ts';
import { EMPTY_TURN_FINAL_WAIT_MS, MARK_SETTLE_TIMEOUT_MS } from '../../../src/call/session.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { createHarness, flush, type Harness } from './fakes.ts';

const lastRecord = (h: Harness): TurnRecord => h.records.at(-1) as TurnRecord;

async function answerPlayed(h: Harness): Promise<void> {
  await flush();
  h.sink.echoAll(h.handler, 'played');
  await flush();
}

describe('call session: answering', () => {
  it('answers a turn: LLM -> sentences -> TTS -> media with one mark per sentence, then records the turn', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['שלום', ' לך. ', 'מה ', 'שלומך?'] });
    h.audio('silence', 200);
    h.turnEnded(1, 'שלום');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.messages).toEqual([{ role: 'user', content: 'שלום' }]);
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['שלום לך.', 'מה שלומך?']);
    // media before each mark, marks in sentence order
    const kinds = h.sink.events.map((e) => e.type);
    expect(kinds.filter((k) => k === 'mark')).toHaveLength(2);
    expect(kinds.indexOf('media')).toBeLessThan(kinds.indexOf('mark'));
    expect(h.records).toHaveLength(0); // not finished until the marks echo
    await answerPlayed(h);
    const r = lastRecord(h);
    expect(r.outcome).toBe('answered');
    expect(r.sentencesPlayed).toBe(2);
    expect(r.llmFirstTokenMs).toBeDefined();
    expect(r.firstFrameSentMs).toBeDefined();
    expect(r.lastMarkPlayedMs).toBeDefined();
    // the next request carries what was heard
    h.responder.answers.push({ deltas: ['טוב.'] });
    h.turnEnded(2, 'תודה');
    await flush();
    expect(h.responder.requests[1]?.messages).toEqual([
      { role: 'user', content: 'שלום' },
      { role: 'assistant', content: 'שלום לך. מה שלומך?' },
      { role: 'user', content: 'תודה' },
    ]);
    await h.handler.dispose('test');
  });

  it('forwards caller audio to STT continuously, also while the agent speaks, and marks VAD utterances', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['תשובה ארוכה מאוד.'], hang: true });
    h.audio('speech', 400);
    h.audio('silence', 200);
    expect(h.stt.utterances).toEqual([[0, 400]]);
    h.turnEnded(1, 'שאלה');
    await flush();
    h.audio('silence', 1000); // agent speaking
    expect(h.stt.writes).toHaveLength(80);
    await h.handler.dispose('test');
  });

  it('answers each utterance exactly once: repeated turnEnded and late finals trigger nothing', async () => {
    const h = createHarness();
    h.turnEnded(7, 'מה השעה');
    h.turnEnded(7, 'מה השעה');
    await flush();
    h.emit({ type: 'lateFinal', utteranceId: 7, text: 'מה השעה עכשיו', atMs: h.sink.clock });
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(1);
    expect(lastRecord(h).lateFinalText).toBe('מה השעה עכשיו');
    await h.handler.dispose('test');
  });

  it('a turn that ended before any text is answered once with its late final', async () => {
    const h = createHarness();
    h.turnEnded(3, '', 'noVoiceTimeout');
    await flush();
    expect(h.responder.requests).toHaveLength(0);
    h.emit({ type: 'lateFinal', utteranceId: 3, text: 'כן בבקשה', atMs: h.sink.clock });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.messages.at(-1)?.content).toBe('כן בבקשה');
    h.emit({ type: 'lateFinal', utteranceId: 3, text: 'כן בבקשה', atMs: h.sink.clock });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    await h.handler.dispose('test');
  });
});

describe('call session: barge-in', () => {
  it('caller speech >= BARGE_IN_MIN_MS clears playback, aborts LLM and TTS, and history keeps only what was heard', async () => {
    const h = createHarness({ bargeInMinMs: 300 });
    const before = (await bargeInsTotal.get()).values[0]?.value ?? 0;
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני. ', 'משפט שלישי. '], hang: true });
    h.turnEnded(1, 'ספר לי');
    await flush();
    expect(h.sink.count('mark')).toBe(3);
    expect(h.sink.echo(h.handler, 'played')).toBeDefined(); // first sentence heard
    h.audio('speech', 400);
    expect(h.sink.count('clear')).toBe(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.synthesizer.requests.every((r) => r.signal.aborted)).toBe(true);
    expect(h.sink.echoAll(h.handler, 'cleared')).toBe(2);
    await flush();
    const r = lastRecord(h);
    expect(r.outcome).toBe('interrupted');
    expect(r.interruptedMs).toBeDefined();
    expect(r.sentencesPlayed).toBe(1);
    expect((await bargeInsTotal.get()).values[0]?.value).toBe(before + 1);
    // the interrupting utterance is answered, with the cut history
    h.audio('silence', 200);
    h.turnEnded(2, 'רגע, שאלה אחרת');
    await flush();
    expect(h.responder.requests[1]?.messages).toEqual([
      { role: 'user', content: 'ספר לי' },
      { role: 'assistant', content: 'משפט ראשון.' },
      { role: 'user', content: 'רגע, שאלה אחרת' },
    ]);
    await h.handler.dispose('test');
  });

  it('short noises during agent speech do not interrupt, and their turns are not answered', async () => {
    const h = createHarness({ bargeInMinMs: 300 });
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני.'] });
    h.turnEnded(1, 'ספר לי');
    await flush();
    h.audio('speech', 100);
    h.audio('silence', 200);
    h.audio('speech', 160);
    h.audio('silence', 200);
    expect(h.sink.count('clear')).toBe(0);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    h.turnEnded(2, 'אה');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('answered');
    await h.handler.dispose('test');
  });

  it('an utterance begun before a late answer started playing is answered, not taken for a backchannel', async () => {
    const h = createHarness({ bargeInMinMs: 300, endpointTakeBackMs: 0 });
    h.responder.answers.push({ deltas: ['תשובה מאוחרת. ', 'ועוד משפט.'] }, { deltas: ['בסדר.'] });
    h.turnEnded(1, 'ספר לי');
    // The caller goes on before the (late) answer's audio starts; only 100 ms overlap it.
    h.emit({ type: 'speechStarted', utteranceId: 2, atMs: h.sink.clock });
    await flush();
    expect(h.sink.count('mark')).toBe(2);
    h.audio('speech', 100);
    h.turnEnded(2, 'רגע, עוד שאלה');
    await flush();
    expect(h.sink.count('clear')).toBe(1);
    expect(h.sink.echoAll(h.handler, 'cleared')).toBe(2);
    await flush();
    expect(h.responder.requests).toHaveLength(2);
    // Nothing of the late answer was heard: the caller's two utterances go as one turn.
    expect(h.responder.requests[1]?.messages).toEqual([{ role: 'user', content: 'ספר לי רגע, עוד שאלה' }]);
    await h.handler.dispose('test');
  });

  it('the caller can interrupt the greeting; only the heard greeting stays in history', async () => {
    const h = createHarness({ greetingText: 'שלום וברוכים הבאים.' });
    await flush();
    expect(h.phrases.gets).toEqual(['שלום וברוכים הבאים.']);
    expect(h.sink.count('mark')).toBe(1);
    h.audio('speech', 400);
    expect(h.sink.count('clear')).toBe(1);
    h.sink.echoAll(h.handler, 'cleared');
    h.audio('silence', 200);
    h.turnEnded(1, 'היי');
    await flush();
    expect(h.responder.requests[0]?.messages).toEqual([{ role: 'user', content: 'היי' }]);
    await h.handler.dispose('test');
  });
});

describe('call session: greeting, DTMF, apologies', () => {
  it('plays the cached greeting at call start', async () => {
    const h = createHarness({ greetingText: 'שלום, במה אפשר לעזור?' });
    await flush();
    expect(h.sink.events[0]).toEqual({ type: 'media', bytes: 800 });
    expect(h.sink.count('mark')).toBe(1);
    h.sink.echoAll(h.handler, 'played');
    await flush();
    h.turnEnded(1, 'שאלה');
    await flush();
    // The history always starts with the caller (ConversationHistory drops a leading assistant message).
    expect(h.responder.requests[0]?.messages).toEqual([{ role: 'user', content: 'שאלה' }]);
    await h.handler.dispose('test');
  });

  it('DTMF digits reach the responder as text with the next turn', async () => {
    const h = createHarness();
    h.handler.onDtmf('1');
    h.handler.onDtmf('2');
    h.handler.onDtmf('#');
    h.turnEnded(1, 'הקשתי את המספר');
    await flush();
    expect(h.responder.requests[0]?.messages).toEqual([
      { role: 'user', content: `${DTMF_PREFIX} 12#` },
      { role: 'user', content: 'הקשתי את המספר' },
    ]);
    await h.handler.dispose('test');
  });

  it('plays the apology when the responder fails (ResponderError)', async () => {
    const h = createHarness();
    h.responder.answers.push({ error: new ResponderError('server', '500 after retries', { status: 500 }) });
    h.turnEnded(1, 'שאלה');
    await flush();
    expect(h.phrases.gets).toEqual([h.config.apologyText]);
    expect(h.sink.count('mark')).toBe(1);
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('apology');
    await h.handler.dispose('test');
  });

  it('plays the apology when the answer ends with nothing the caller can hear', async () => {
    for (const deltas of [[], ['🙂', ' **', '\n']]) {
      const h = createHarness();
      h.responder.answers.push({ deltas });
      h.turnEnded(1, 'שאלה');
      await flush(20);
      // Old code: the answer ended 'answered' with nothing played, and the caller heard dead air.
      expect(h.phrases.gets).toEqual([h.config.apologyText]);
      expect(h.sink.count('mark')).toBe(1);
      await answerPlayed(h);
      expect(lastRecord(h).outcome).toBe('apology');
      await h.handler.dispose('test');
    }
  });

  it('plays the apology when no first token arrives in time', async () => {
    const h = createHarness({ llmFirstTokenTimeoutMs: 100 });
    h.responder.answers.push({ delayMs: 5000, deltas: ['מאוחר מדי.'] });
    h.turnEnded(1, 'שאלה');
    await flush();
    h.clock.advance(99);
    await flush();
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    expect(h.phrases.gets).toEqual([]);
    h.clock.advance(1); // the first-token deadline, on the call's clock
    await flush();
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.phrases.gets).toEqual([h.config.apologyText]);
    expect(h.synthesizer.requests).toHaveLength(0);
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('apology');
    await h.handler.dispose('test');
  });

  it('TTS refused before any audio (UNAVAILABLE): the sentence is retried after the backoff and plays', async () => {
    const h = createHarness({ ttsRetryAttempts: 2, ttsRetryBackoffMs: 250 });
    let refusals = 1;
    h.synthesizer.refuseWhen = () =>
      refusals-- > 0 ? new SynthesizerError('fake-tts', 'unavailable', 'UNAVAILABLE') : undefined;
    h.responder.answers.push({ deltas: ['ראשון.'] });
    h.turnEnded(1, 'שאלה');
    await flush(20);
    expect(h.synthesizer.requests).toHaveLength(1);
    h.clock.advance(249);
    await flush(20);
    expect(h.synthesizer.requests).toHaveLength(1);
    h.clock.advance(1); // the backoff, on the call's clock
    await flush(20);
    // Old code: no retry, the apology instead of the answer.
    expect(h.synthesizer.requests).toHaveLength(2);
    expect(h.phrases.gets).toEqual([]);
    expect(h.sink.pendingMarks[0]).toContain('answer');
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('answered');
    await h.handler.dispose('test');
  });

  it('TTS down for the whole turn: the retries give up after the backoffs and the cached apology plays', async () => {
    const h = createHarness({ ttsRetryAttempts: 2, ttsRetryBackoffMs: 250 });
    h.synthesizer.refuseWhen = () => new SynthesizerError('fake-tts', 'unavailable', 'UNAVAILABLE');
    h.responder.answers.push({ deltas: ['ראשון.'] });
    h.turnEnded(1, 'שאלה');
    await flush(20);
    h.clock.advance(250);
    await flush(20);
    expect(h.phrases.gets).toEqual([]);
    h.clock.advance(500);
    await flush(20);
    expect(h.synthesizer.requests).toHaveLength(3);
    expect(h.phrases.gets).toEqual([h.config.apologyText]);
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('apology');
    await h.handler.dispose('test');
  });

  it('TTS failure mid-answer: the sentences before it play, the LLM is aborted, the apology follows', async () => {
    const h = createHarness();
    h.synthesizer.failWhen = (t) => t.startsWith('שני');
    h.responder.answers.push({ deltas: ['ראשון. ', 'שני. ', 'שלישי. '], hang: true });
    h.turnEnded(1, 'שאלה');
    await flush(30);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.phrases.gets).toEqual([h.config.apologyText]);
    // sentence 1 mark + apology mark; the failed sentence has no mark
    expect(h.sink.count('mark')).toBe(2);
    expect(h.sink.pendingMarks[0]).toContain('answer');
    expect(h.sink.pendingMarks[1]).toContain('apology');
    await answerPlayed(h);
    expect(lastRecord(h).outcome).toBe('apology');
    h.turnEnded(2, 'עוד');
    await flush();
    expect(h.responder.requests[1]?.messages[1]).toEqual({
      role: 'assistant',
      content: `ראשון. ${h.config.apologyText}`,
    });
    await h.handler.dispose('test');
  });
});

describe('call session: preemptive generation', () => {
  // The caller stopped: the endpointer reports the pause with the latest transcript.
  const partial = (h: Harness, text: string) =>
    h.emit({ type: 'callerPaused', utteranceId: 1, text, stability: 0.9, atMs: h.sink.clock });

  it('keeps the early answer when the confirmed transcript matches (one request)', async () => {
    const h = createHarness({ llmPreemptive: true, ttsPreemptiveSentences: 0 });
    h.responder.answers.push({ deltas: ['מוקדם.'] });
    partial(h, 'מה שעות הפתיחה');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    expect(h.synthesizer.requests).toHaveLength(0); // TTS_PREEMPTIVE_SENTENCES 0: synthesis waits
    h.turnEnded(1, 'מה שעות הפתיחה?');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(1);
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['מוקדם.']);
    expect(lastRecord(h).preemptive).toBe('hit');
    await h.handler.dispose('test');
  });

  it('aborts a wrong guess and asks again with the confirmed transcript', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['לא נכון.'], hang: true }, { deltas: ['נכון.'] });
    partial(h, 'מה שעות');
    await flush();
    h.turnEnded(1, 'מה שעות הפתיחה ביום שישי');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.responder.requests[1]?.messages.at(-1)?.content).toBe('מה שעות הפתיחה ביום שישי');
    // The wrong guess's sentence was synthesised ahead, then cancelled unheard; its characters count.
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['לא נכון.', 'נכון.']);
    expect(h.synthesizer.requests[0]?.signal.aborted).toBe(true);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'miss',
      sentencesPlayed: 1,
      heardChars: 'נכון.'.length,
      ttsChars: 'לא נכון.'.length + 'נכון.'.length,
    });
    await h.handler.dispose('test');
  });
});

describe('call session: speculative speech of a preemptive answer', () => {
  // The caller stopped: the endpointer reports the pause with the latest transcript.
  const partial = (h: Harness, text: string) =>
    h.emit({ type: 'callerPaused', utteranceId: 1, text, stability: 0.9, atMs: h.sink.clock });

  it('synthesises the guess before the turn is decided, sends nothing until it is, then plays that audio', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['מוקדם. ', 'שני. ', 'שלישי.'] });
    partial(h, 'מה שעות הפתיחה');
    await flush();
    // TTS_PREEMPTIVE_SENTENCES 2: the first two sentences, and no audio to the caller yet.
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['מוקדם.', 'שני.']);
    expect(h.sink.count('media')).toBe(0);
    h.sink.clock += 300;
    h.turnEnded(1, 'מה שעות הפתיחה?');
    await answerPlayed(h);
    // Adopted, not synthesised again; the third sentence is the pipeline's own.
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['מוקדם.', 'שני.', 'שלישי.']);
    const r = lastRecord(h);
    expect(r).toMatchObject({ preemptive: 'hit', sentencesPlayed: 3, outcome: 'answered' });
    expect(r.ttsChars).toBe('מוקדם.'.length + 'שני.'.length + 'שלישי.'.length);
    expect(r.ttsRequestMs).toBeLessThan(r.finalMs);
    expect(r.ttsFirstAudioMs).toBeLessThan(r.finalMs);
    expect(r.firstFrameSentMs).toBe(r.finalMs);
    await h.handler.dispose('test');
  });

  it('the first audio goes out when the turn is decided, not a synthesis later', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.synthesizer.delayMs = 300;
    h.responder.answers.push({ deltas: ['מוקדם.'] });
    partial(h, 'מה שעות הפתיחה');
    await flush();
    h.sink.clock += 200;
    await flush();
    h.turnEnded(1, 'מה שעות הפתיחה?'); // decided 200 ms after the guess's sentence was requested
    const decidedAt = h.sink.clock;
    await flush();
    expect(h.sink.count('media')).toBe(0); // the synthesis is not done yet
    h.sink.clock += 100;
    await flush();
    expect(h.sink.count('media')).toBeGreaterThan(0);
    await answerPlayed(h);
    expect(lastRecord(h).firstFrameSentMs).toBe(decidedAt + 100);
    expect(h.synthesizer.requests).toHaveLength(1);
    await h.handler.dispose('test');
  });

  it("a restart cancels the earlier guess's synthesis, and the turn is billed for both", async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['ראשון.'], hang: true }, { deltas: ['שני.'] });
    h.audio('speech', 200);
    partial(h, 'שלום, אני רוצה.');
    await flush();
    partial(h, 'שלום, אני רוצה. לבדוק את ההזמנה?');
    await flush();
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['ראשון.', 'שני.']);
    expect(h.synthesizer.requests[0]?.signal.aborted).toBe(true);
    h.audio('silence', 200);
    h.turnEnded(1, 'שלום, אני רוצה. לבדוק את ההזמנה?');
    await answerPlayed(h);
    expect(h.synthesizer.requests).toHaveLength(2);
    expect(lastRecord(h)).toMatchObject({
      preemptive: 'hit',
      preemptiveStarts: 2,
      heardChars: 'שני.'.length,
      ttsChars: 'ראשון.'.length + 'שני.'.length,
    });
    await h.handler.dispose('test');
  });

  it('a failed speculative synthesis is not adopted: the answer asks for that sentence again', async () => {
    const h = createHarness({ llmPreemptive: true });
    let failOnce = true;
    h.synthesizer.failWhen = () => {
      const fail = failOnce;
      failOnce = false;
      return fail;
    };
    h.responder.answers.push({ deltas: ['מוקדם.'] });
    partial(h, 'מה שעות הפתיחה');
    await flush();
    h.turnEnded(1, 'מה שעות הפתיחה?');
    await answerPlayed(h);
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['מוקדם.', 'מוקדם.']);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'hit', outcome: 'answered', sentencesPlayed: 1 });
    await h.handler.dispose('test');
  });

  it('a turn taken back before any audio cancels the adopted synthesis', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.synthesizer.delayMs = 500;
    h.responder.answers.push({ deltas: ['מוקדם.'] });
    partial(h, 'מה שעות הפתיחה');
    await flush();
    h.turnEnded(1, 'מה שעות הפתיחה?');
    await flush();
    h.emit({ type: 'speechStarted', utteranceId: 2, atMs: h.sink.clock });
    await flush();
    expect(h.synthesizer.requests[0]?.signal.aborted).toBe(true);
    expect(h.sink.count('media')).toBe(0);
    await h.handler.dispose('test');
  });
});

describe('call session: preemptive trigger', () => {
  const partial = (h: Harness, text: string) =>
    h.emit({ type: 'partial', utteranceId: 1, text, stability: 0.9, agreed: false, atMs: h.sink.clock });

  it('while the caller speaks, only a partial that ends a sentence starts the model; an extension restarts it', async () => {
    const h = createHarness({ llmPreemptive: true });
    h.responder.answers.push({ deltas: ['ראשון.'], hang: true }, { deltas: ['שני.'] });
    h.audio('speech', 200);
    partial(h, 'שלום אני');
    partial(h, 'שלום אני רוצה');
    await flush();
    expect(h.responder.requests).toHaveLength(0);
    partial(h, 'שלום, אני רוצה.');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    h.audio('speech', 200);
    partial(h, 'שלום, אני רוצה. לבדוק את ההזמנה?');
    await flush();
    expect(h.responder.requests).toHaveLength(2);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    h.audio('silence', 200);
    h.turnEnded(1, 'שלום, אני רוצה. לבדוק את ההזמנה?');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(2);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'hit', preemptiveStarts: 2 });
    expect(h.sink.count('mark')).toBe(1); // only the kept guess's sentence was played
    await h.handler.dispose('test');
  });

  it('stops restarting after the per-utterance cap: the stale guess is a miss, answered afresh', async () => {
    const h = createHarness({ llmPreemptive: true });
    for (let i = 0; i < 3; i++) h.responder.answers.push({ deltas: ['ניחוש.'], hang: true });
    h.responder.answers.push({ deltas: ['נכון.'] });
    h.audio('speech', 200);
    for (const text of ['אחת.', 'אחת. שתיים.', 'אחת. שתיים. שלוש.', 'אחת. שתיים. שלוש. ארבע.']) {
      partial(h, text);
      await flush();
    }
    expect(h.responder.requests).toHaveLength(3);
    h.audio('silence', 200);
    h.turnEnded(1, 'אחת. שתיים. שלוש. ארבע.');
    await answerPlayed(h);
    expect(h.responder.requests).toHaveLength(4);
    expect(h.responder.requests.slice(0, 3).every((r) => r.signal.aborted)).toBe(true);
    expect(lastRecord(h)).toMatchObject({ preemptive: 'miss', preemptiveStarts: 3, sentencesPlayed: 1 });
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['ניחוש.', 'ניחוש.', 'ניחוש.', 'נכון.']);
    expect(h.synthesizer.requests.slice(0, 3).every((r) => r.signal.aborted)).toBe(true);
    await h.handler.dispose('test');
  });
});

describe('call session: one clock', () => {
  it('gives the STT stream the call clock, so its retry and rotation timers run on it', async () => {
    const h = createHarness();
    expect(h.stt.ctx?.scheduler).toBe(h.clock);
    expect(h.stt.ctx?.now()).toBe(h.clock.now());
    await h.handler.dispose('test');
  });

  it('an empty turn waits EMPTY_TURN_FINAL_WAIT_MS on the call clock for its final, then is dropped', async () => {
    const h = createHarness();
    h.turnEnded(3, '', 'noVoiceTimeout');
    h.clock.advance(EMPTY_TURN_FINAL_WAIT_MS - 1);
    h.emit({ type: 'lateFinal', utteranceId: 3, text: 'עדיין בזמן', atMs: h.sink.clock });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    h.turnEnded(4, '', 'noVoiceTimeout');
    h.clock.advance(EMPTY_TURN_FINAL_WAIT_MS);
    h.emit({ type: 'lateFinal', utteranceId: 4, text: 'מאוחר מדי', atMs: h.sink.clock });
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    await h.handler.dispose('test');
  });

  it('an interrupted answer whose marks never echo is settled after MARK_SETTLE_TIMEOUT_MS of call time', async () => {
    const h = createHarness({ bargeInMinMs: 300 });
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני. '], hang: true });
    h.turnEnded(1, 'ספר לי');
    await flush();
    h.audio('speech', 400); // barge-in: clear sent, but Twilio never echoes the marks
    await flush();
    expect(h.records).toHaveLength(0);
    h.clock.advance(MARK_SETTLE_TIMEOUT_MS - 400);
    await flush();
    expect(h.records).toHaveLength(0);
    h.clock.advance(400);
    await flush();
    expect(lastRecord(h)).toMatchObject({ outcome: 'interrupted', sentencesPlayed: 0 });
    await h.handler.dispose('test');
  });
});

describe('call session: dispose', () => {
  it('releases everything: STT closed, ticker unsubscribed, LLM and TTS aborted', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['ארוך. '], hang: true });
    h.turnEnded(1, 'שאלה');
    await flush();
    expect(h.clock.tickSubscribers).toBe(1);
    await h.handler.dispose('stop');
    expect(h.stt.closed).toBe(1);
    expect(h.clock.tickSubscribers).toBe(0);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(lastRecord(h).outcome).toBe('ended');
    // later events are ignored
    h.audio('speech', 100);
    h.handler.onMark('x', 'played');
    expect(h.stt.writes.length).toBe(0);
  });

  it('opening and closing many sessions leaves no timers or handles behind', async () => {
    const ticker = createIntervalTicker(20);
    const baseline = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    for (let round = 0; round < 5; round++) {
      const hs = Array.from({ length: 40 }, () =>
        createHarness(
          { llmFirstTokenTimeoutMs: 30_000 },
          { clock: (ctx) => createCallClock(() => ctx.sink.now(), ticker) },
        ),
      );
      for (const [i, h] of hs.entries()) {
        // Still waiting for the first token: the deadline timer and the responder's wait are live.
        h.responder.answers.push({ delayMs: 60_000, deltas: ['משהו. '] });
        h.audio('speech', 100);
        h.turnEnded(i, 'שאלה');
      }
      await flush();
      expect(ticker.subscribers).toBe(40);
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeGreaterThanOrEqual(
        80,
      );
      await Promise.all(hs.map((h) => h.handler.dispose('stop')));
      expect(ticker.subscribers).toBe(0);
      for (const h of hs) expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    }
    await flush();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(
      baseline,
    );
  });
});

describe('call session: taking a turn back (the caller went on before any answer audio)', () => {
  const resumed = (h: Harness, utteranceId: number) =>
    h.emit({ type: 'speechStarted', utteranceId, atMs: h.sink.clock });

  it('withdraws the unheard answer silently and answers the whole sentence once', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['מוקדם מדי.'], delayMs: 800 }, { deltas: ['בשמחה.'] });
    h.turnEnded(1, 'אני רוצה לבדוק את', 'silence');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    h.sink.clock += 300;
    resumed(h, 2);
    await flush();
    // The endpointer is told to continue utterance 1 in utterance 2; the request is aborted.
    expect(h.endpointer.inputs.filter((i) => i.type === 'takeBack')).toEqual([
      { type: 'takeBack', utteranceId: 1, atMs: h.sink.clock },
    ]);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ outcome: 'takenBack', heardChars: 0 });
    expect(h.sink.count('media')).toBe(0);
    h.sink.clock += 1500;
    h.emit({
      type: 'turnEnded',
      turn: {
        utteranceId: 2,
        transcript: 'אני רוצה לבדוק את ההזמנה שלי',
        rule: 'sttFinal',
        speechStartMs: 0,
        speechEndMs: h.sink.clock - 200,
        firstPartialMs: 300,
        endedAtMs: h.sink.clock,
        resumptions: 1,
        resumedFrom: 1,
      },
    });
    await answerPlayed(h);
    // Nothing of the withdrawn turn is in the history: one user message, the whole sentence.
    expect(h.responder.requests[1]?.messages).toEqual([
      { role: 'user', content: 'אני רוצה לבדוק את ההזמנה שלי' },
    ]);
    expect(lastRecord(h)).toMatchObject({ outcome: 'answered', resumptions: 1 });
    await h.handler.dispose('test');
  });

  it('once answer audio was sent, resuming is not a take-back', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['כבר עונה.'], hang: true });
    h.turnEnded(1, 'מה השעה');
    await flush();
    expect(h.sink.count('media')).toBeGreaterThan(0);
    resumed(h, 2);
    await flush();
    expect(h.endpointer.inputs.some((i) => i.type === 'takeBack')).toBe(false);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    await h.handler.dispose('test');
  });

  it('ENDPOINT_TAKE_BACK_MS=0 disables it', async () => {
    const h = createHarness({ endpointTakeBackMs: 0 });
    h.responder.answers.push({ deltas: ['מוקדם מדי.'], delayMs: 800 });
    h.turnEnded(1, 'אני רוצה');
    await flush();
    resumed(h, 2);
    await flush();
    expect(h.endpointer.inputs.some((i) => i.type === 'takeBack')).toBe(false);
    expect(h.responder.requests[0]?.signal.aborted).toBe(false);
    await h.handler.dispose('test');
  });
});
