import { describe, expect, it } from 'vitest';
import {
  PREEMPTIVE_MAX_STARTS,
  PreemptiveGeneration,
  answerText,
  decidePreemptiveStart,
  looksComplete,
  normalizeHebrew,
  preemptiveMatches,
} from '../../../src/llm/preemptive.ts';
import { ScriptedResponder, scriptedAnswer } from '../../../src/llm/scripted.ts';
import type { Responder, RespondRequest } from '../../../src/llm/types.ts';
import { registry } from '../../../src/telemetry/metrics.ts';

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

/** Records each request and whether its signal was aborted. */
class RecordingResponder implements Responder {
  readonly name = 'recording';
  readonly inner = new ScriptedResponder({ tokenDelayMs: 5 });
  requests: { last: string; signal: AbortSignal }[] = [];
  respond(request: RespondRequest): AsyncIterable<string> {
    this.requests.push({ last: request.messages.at(-1)!.content, signal: request.signal });
    return this.inner.respond(request);
  }
}

async function collect(it: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const d of it) s += d;
  return s;
}

describe('normalizeHebrew / preemptiveMatches', () => {
  it.each([
    ['שָׁלוֹם, מָה שְׁלוֹמְךָ?', 'שלום מה שלומך'],
    ['ד"ר כהן', 'ד״ר כהן'],
    ['תל-אביב', 'תל אביב'],
    ['אני גר בתל אביב.', 'אני גר בתל אביב'],
    ['Hello   World!', 'hello world'],
    ['מלך', 'מלכ'],
  ])('%s ~ %s', (a, b) => {
    expect(preemptiveMatches(a, b)).toBe(true);
  });

  it.each([
    ['אני רוצה לבטל', 'אני רוצה לבטל את ההזמנה'],
    ['כן', 'לא'],
    ['', ''],
  ])('%s !~ %s', (a, b) => {
    expect(preemptiveMatches(a, b)).toBe(false);
  });

  it('strips niqqud and folds final forms', () => {
    expect(normalizeHebrew('שָׁלוֹם ךםןףץ')).toBe('שלומכמנפצ');
  });
});

describe('decidePreemptiveStart', () => {
  const opts = { minStability: 0.8 };
  const speaking = { stability: 0.9, callerSilent: false };

  it.each([
    ['מה שעות הפתיחה שלכם ביום שישי?', true],
    ['אני גר בתל אביב.', true],
    ['הוא אמר "כן."', true],
    ['וואו!', true],
    ['אני גר ברחוב הרצל עשרים ושתיים בתל', false],
    ['שלום,', false],
    ['ד"ר', false],
    ['אני רוצה לבדוק את.', false],
    ['קבעתי תור אצל ד"ר.', false],
    ['צריך להביא ת.ז.', false],
  ])('looksComplete(%s) = %s', (text, expected) => {
    expect(looksComplete(text)).toBe(expected);
  });

  it('a growing prefix mid-speech starts nothing; the sentence that ends it does', () => {
    expect(decidePreemptiveStart({ text: 'אני גר ברחוב הרצל', ...speaking }, opts)).toEqual({
      action: 'none',
      reason: 'incomplete',
    });
    expect(decidePreemptiveStart({ text: 'אני גר ברחוב הרצל בתל אביב.', ...speaking }, opts)).toEqual({
      action: 'start',
      reason: 'sentence_end',
    });
  });

  it('a partial without punctuation qualifies once the caller is silent', () => {
    expect(
      decidePreemptiveStart({ text: 'אני גר ברחוב הרצל', stability: 0, callerSilent: true }, opts),
    ).toEqual({ action: 'start', reason: 'caller_silent' });
  });

  it('refuses unstable partials while the caller speaks, and too short ones; unset stability (0) is accepted', () => {
    expect(
      decidePreemptiveStart({ text: 'מה השעה?', stability: 0.5, callerSilent: false }, opts).action,
    ).toBe('none');
    expect(decidePreemptiveStart({ text: 'כ.', stability: 0.9, callerSilent: true }, opts)).toEqual({
      action: 'none',
      reason: 'too_short',
    });
    expect(decidePreemptiveStart({ text: 'מה השעה?', stability: 0, callerSilent: false }, opts).action).toBe(
      'start',
    );
  });

  it('restarts when a later qualifying partial extends the guess, not when it says the same', () => {
    const current = { candidate: 'שלום.', starts: 1 };
    expect(
      decidePreemptiveStart({ text: 'שלום. אני רוצה לבדוק את ההזמנה.', ...speaking, current }, opts),
    ).toEqual({ action: 'restart', reason: 'sentence_end' });
    expect(decidePreemptiveStart({ text: 'שָׁלוֹם!', ...speaking, current }, opts)).toEqual({
      action: 'none',
      reason: 'unchanged',
    });
    // an extension that is still mid-sentence keeps the running guess
    expect(decidePreemptiveStart({ text: 'שלום. אני רוצה', ...speaking, current }, opts).reason).toBe(
      'incomplete',
    );
  });

  it("at the VAD's stop the latest transcript starts the model whatever its stability (Google's tail is 0.01)", () => {
    const tail = { stability: 0.01, callerSilent: false };
    expect(decidePreemptiveStart({ text: 'אני גר ברחוב הרצל.', ...tail }, opts).action).toBe('none');
    expect(decidePreemptiveStart({ text: 'אני גר ברחוב הרצל', ...tail, vadStop: true }, opts)).toEqual({
      action: 'start',
      reason: 'caller_silent',
    });
  });

  it("a silent caller's partial waits for the endpointer's pause report (pauseReported false)", () => {
    const silent = { text: 'אני גר ברחוב הרצל', stability: 0.01, callerSilent: true };
    expect(decidePreemptiveStart({ ...silent, pauseReported: false }, opts)).toEqual({
      action: 'none',
      reason: 'unreported',
    });
    expect(decidePreemptiveStart({ ...silent, pauseReported: true }, opts)).toEqual({
      action: 'start',
      reason: 'caller_silent',
    });
    // the report itself, and a stable partial ending a sentence, are not held back
    expect(decidePreemptiveStart({ ...silent, vadStop: true, pauseReported: false }, opts).action).toBe(
      'start',
    );
    expect(
      decidePreemptiveStart(
        { ...silent, text: 'אני גר ברחוב הרצל.', stability: 0.9, pauseReported: false },
        opts,
      ),
    ).toEqual({ action: 'start', reason: 'sentence_end' });
  });

  it('a silent caller whose transcript ends on a word needing a continuation starts nothing (a pause)', () => {
    expect(
      decidePreemptiveStart(
        { text: 'אני רוצה לבדוק את', stability: 0, callerSilent: true, vadStop: true },
        opts,
      ),
    ).toEqual({ action: 'none', reason: 'incomplete' });
  });

  it('a revised transcript after the stop restarts the model only once two responses agree on it', () => {
    // Google revises a guessed tail in its next interim, and may revise it again: a revision alone
    // is not worth a request.
    const current = { candidate: 'אני גר ברחוב הרצל זה', starts: 1 };
    const revised = { text: 'אני גר ברחוב הרצל', stability: 0.01, callerSilent: true, current };
    expect(decidePreemptiveStart(revised, opts)).toEqual({ action: 'none', reason: 'unagreed' });
    // the word replaced, not dropped
    expect(decidePreemptiveStart({ ...revised, text: 'אני גר ברחוב הרצל שלוש' }, opts)).toEqual({
      action: 'none',
      reason: 'unagreed',
    });
    expect(decidePreemptiveStart({ ...revised, agreed: true }, opts)).toEqual({
      action: 'restart',
      reason: 'caller_silent',
    });
    // A new stop after more speech is not a revision.
    expect(decidePreemptiveStart({ ...revised, vadStop: true }, opts)).toEqual({
      action: 'restart',
      reason: 'caller_silent',
    });
    // The cap holds for agreed revisions too.
    expect(
      decidePreemptiveStart(
        { ...revised, agreed: true, current: { ...current, starts: PREEMPTIVE_MAX_STARTS } },
        opts,
      ),
    ).toEqual({ action: 'none', reason: 'max_starts' });
    // A caller still talking: an unstable revision starts nothing.
    expect(decidePreemptiveStart({ ...revised, callerSilent: false }, opts)).toEqual({
      action: 'none',
      reason: 'unstable',
    });
  });

  it('caps the requests per utterance', () => {
    const current = { candidate: 'שלום.', starts: PREEMPTIVE_MAX_STARTS };
    expect(decidePreemptiveStart({ text: 'שלום. מה נשמע?', ...speaking, current }, opts)).toEqual({
      action: 'none',
      reason: 'max_starts',
    });
    expect(
      decidePreemptiveStart({ text: 'שלום. מה נשמע?', ...speaking, current }, { ...opts, maxStarts: 5 })
        .action,
    ).toBe('restart');
  });
});

describe('PreemptiveGeneration', () => {
  it('right guess: keeps the running request (one request), replays buffered deltas, counts a hit', async () => {
    const responder = new RecordingResponder();
    const hitsBefore = await counter('hva_llm_preemptive_total', { result: 'hit' });
    let t = 1000;
    const pre = new PreemptiveGeneration(
      responder,
      {
        callId: 'c',
        candidate: 'מה שעות הפתיחה',
        messages: [{ role: 'user', content: 'מה שעות הפתיחה' }],
        signal: new AbortController().signal,
      },
      () => t,
    );
    await new Promise((r) => setTimeout(r, 30)); // some deltas arrive before confirmation
    expect(pre.bufferedText.length).toBeGreaterThan(0);
    t = 1400;
    const outcome = pre.confirm('מה שעות הפתיחה?', () => {
      throw new Error('must not restart on a hit');
    });
    expect(outcome.result).toBe('hit');
    expect(outcome.savedMs).toBe(400);
    expect(await collect(outcome.stream)).toBe(scriptedAnswer('מה שעות הפתיחה'));
    expect(responder.requests).toHaveLength(1);
    expect(await counter('hva_llm_preemptive_total', { result: 'hit' })).toBe(hitsBefore + 1);
  });

  it('wrong guess: aborts the preemptive request and streams a fresh one for the confirmed text', async () => {
    const responder = new RecordingResponder();
    const missesBefore = await counter('hva_llm_preemptive_total', { result: 'miss' });
    const pre = new PreemptiveGeneration(responder, {
      callId: 'c',
      candidate: 'אני רוצה לבטל',
      messages: [{ role: 'user', content: 'אני רוצה לבטל' }],
      signal: new AbortController().signal,
    });
    await new Promise((r) => setTimeout(r, 10));
    const confirmed = 'אני רוצה לבטל את ההזמנה';
    const outcome = pre.confirm(confirmed, () =>
      responder.respond({
        callId: 'c',
        messages: [{ role: 'user', content: confirmed }],
        signal: new AbortController().signal,
      }),
    );
    expect(outcome.result).toBe('miss');
    expect(responder.requests[0]!.signal.aborted).toBe(true);
    expect(await collect(outcome.stream)).toBe(scriptedAnswer(confirmed));
    expect(responder.requests.map((r) => r.last)).toEqual(['אני רוצה לבטל', confirmed]);
    expect(await counter('hva_llm_preemptive_total', { result: 'miss' })).toBe(missesBefore + 1);
  });

  it('cancel() (caller kept talking) and the turn signal both abort the request', async () => {
    const responder = new RecordingResponder();
    const pre = new PreemptiveGeneration(responder, {
      callId: 'c',
      candidate: 'שלום',
      messages: [{ role: 'user', content: 'שלום' }],
      signal: new AbortController().signal,
    });
    pre.cancel();
    expect(responder.requests[0]!.signal.aborted).toBe(true);
    const turn = new AbortController();
    new PreemptiveGeneration(responder, {
      callId: 'c',
      candidate: 'שלום',
      messages: [{ role: 'user', content: 'שלום' }],
      signal: turn.signal,
    });
    turn.abort();
    expect(responder.requests[1]!.signal.aborted).toBe(true);
  });
});

describe('answerText: a guess that differs only inside the unstable tail', () => {
  const confirmed = 'מה שעות הפתיחה שלכם ביום שישי';
  it('is kept when the confirmed tail was just revised (neither is better evidence)', () => {
    expect(answerText('מה שעות הפתיחה שלכם ביום הוא', confirmed, false)).toBe('מה שעות הפתיחה שלכם ביום הוא');
    expect(answerText(`${confirmed} זה`, confirmed, false)).toBe(`${confirmed} זה`);
  });
  it('is not kept when the tail is settled, the head differs, or nothing was guessed', () => {
    expect(answerText('מה שעות הפתיחה שלכם ביום הוא', confirmed, true)).toBe(confirmed);
    expect(answerText('מה השעה עכשיו בבקשה ביום שישי', confirmed, false)).toBe(confirmed);
    expect(answerText('מה שעות', confirmed, false)).toBe(confirmed);
    expect(answerText(undefined, confirmed, false)).toBe(confirmed);
  });
  it('is not kept when it lacks a word the confirmed transcript adds at the end (the guess started before the recognizer heard the last word)', () => {
    expect(answerText('מה שעות הפתיחה שלכם ביום', `${confirmed}?`, false)).toBe(`${confirmed}?`);
    expect(answerText('מה שעות הפתיחה שלכם ביום', confirmed, false)).toBe(confirmed);
  });
});

describe('PreemptiveGeneration.watch', () => {
  it('replays the deltas so far, then the live ones and the end; notes when the first token arrived', async () => {
    let now = 0;
    const responder: Responder = {
      name: 'two',
      async *respond() {
        now = 40;
        yield 'א';
        await new Promise<void>((r) => setImmediate(r));
        now = 60;
        yield 'ב';
      },
    };
    const g = new PreemptiveGeneration(
      responder,
      { callId: 'c', candidate: 'x', messages: [], signal: new AbortController().signal },
      () => now,
    );
    await new Promise<void>((r) => setImmediate(r));
    expect(g.firstDeltaAtMs).toBe(40);
    const seen: string[] = [];
    g.watch((e) => seen.push(e.type === 'delta' ? e.text : `end:${e.ok}`));
    expect(seen).toEqual(['א']);
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    expect(seen).toEqual(['א', 'ב', 'end:true']);
    expect(g.firstDeltaAtMs).toBe(40);
    g.cancel();
  });
});
