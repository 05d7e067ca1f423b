// Call policies on fake time: silence re-prompts and the hang-up after them, the maximum call
// duration, DTMF sent to the model; and two answers decided back to back keep both messages.
import { describe, expect, it } from 'vitest';
import { DTMF_PREFIX } from '../../../src/llm/history.ts';
import { CLOSING_MAX_WAIT_MS } from '../../../src/call/session.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { createHarness, flush, type Harness } from './fakes.ts';

const REPROMPT = 'אתם עדיין על הקו?';
const SILENCE_CLOSING = 'לא שמעתי תשובה, להתראות.';
const MAX_CLOSING = 'הזמן נגמר, להתראות.';

function silencePolicy(over: Record<string, unknown> = {}): Harness {
  return createHarness({
    greetingText: 'שלום.',
    silenceRepromptSeconds: 5,
    silenceMaxReprompts: 2,
    silenceRepromptText: REPROMPT,
    silenceClosingText: SILENCE_CLOSING,
    ...over,
  });
}

/** Advances the call clock and lets what it set off run. */
async function after(h: Harness, ms: number): Promise<void> {
  h.clock.advance(ms);
  await flush();
}

async function heard(h: Harness): Promise<void> {
  await flush();
  h.sink.echoAll(h.handler, 'played');
  await flush();
}

describe('call policy: silence re-prompts', () => {
  it('re-prompts after N s of silence once the agent was heard, M times, then says the closing and hangs up', async () => {
    const h = silencePolicy();
    await flush();
    await after(h, 60_000); // the greeting's mark has not echoed: the agent is still speaking
    expect(h.phrases.gets).toEqual(['שלום.']);
    await heard(h);
    await after(h, 4_999);
    expect(h.phrases.gets).toEqual(['שלום.']);
    await after(h, 1);
    expect(h.phrases.gets).toEqual(['שלום.', REPROMPT]);
    expect(h.sink.pendingMarks.at(-1)).toContain('prompt');
    await heard(h);
    await after(h, 5_000);
    expect(h.phrases.gets).toEqual(['שלום.', REPROMPT, REPROMPT]);
    await heard(h);
    await after(h, 5_000);
    expect(h.phrases.gets.at(-1)).toBe(SILENCE_CLOSING);
    expect(h.sink.count('hangup')).toBe(0); // not before the caller heard the closing
    await heard(h);
    expect(h.sink.count('hangup')).toBe(1);
    await after(h, 60_000);
    expect(h.phrases.gets).toHaveLength(4);
    expect(h.responder.requests).toHaveLength(0);
    await h.handler.dispose('test');
  });

  it('the caller speaking stops the count, and an answered turn starts the re-prompts over', async () => {
    const h = silencePolicy({ greetingText: '', silenceMaxReprompts: 1 });
    await after(h, 5_000);
    expect(h.phrases.gets).toEqual([REPROMPT]);
    await heard(h);
    await after(h, 3_000);
    h.emit({ type: 'speechStarted', utteranceId: 1, atMs: h.sink.clock });
    await after(h, 10_000); // still talking (no turn end yet): no closing
    expect(h.phrases.gets).toEqual([REPROMPT]);
    h.turnEnded(1, 'כן, אני כאן');
    await heard(h); // the answer was heard
    expect(h.responder.requests).toHaveLength(1);
    await after(h, 5_000);
    expect(h.phrases.gets).toEqual([REPROMPT, REPROMPT]); // a re-prompt again, not the closing
    await heard(h);
    await after(h, 5_000);
    expect(h.phrases.gets.at(-1)).toBe(SILENCE_CLOSING);
    await h.handler.dispose('test');
  });

  it('is off with SILENCE_REPROMPT_SECONDS=0', async () => {
    const h = silencePolicy({ silenceRepromptSeconds: 0 });
    await heard(h);
    await after(h, 600_000);
    expect(h.phrases.gets).toEqual(['שלום.']);
    await h.handler.dispose('test');
  });
});

describe('call policy: maximum call duration', () => {
  const maxDuration = () =>
    createHarness({ callMaxDurationSeconds: 60, callClosingText: MAX_CLOSING, silenceRepromptSeconds: 0 });

  it('cuts the answer being spoken, says the closing sentence and ends the call once it was heard', async () => {
    const h = maxDuration();
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני. '], hang: true });
    await after(h, 50_000);
    h.turnEnded(1, 'ספר לי הכול');
    await flush();
    expect(h.sink.count('mark')).toBe(2);
    await after(h, 9_999);
    expect(h.sink.count('clear')).toBe(0);
    await after(h, 1);
    expect(h.sink.count('clear')).toBe(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    expect(h.phrases.gets).toEqual([MAX_CLOSING]);
    h.sink.echo(h.handler, 'cleared');
    h.sink.echo(h.handler, 'cleared');
    await flush();
    expect((h.records.at(-1) as TurnRecord).outcome).toBe('ended');
    expect(h.sink.count('hangup')).toBe(0);
    await heard(h);
    expect(h.sink.count('hangup')).toBe(1);
    // Nothing the caller says now is answered.
    h.turnEnded(2, 'רגע');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    await h.handler.dispose('test');
  });

  it('ends the call even when the closing mark never echoes', async () => {
    const h = maxDuration();
    await after(h, 60_000);
    expect(h.phrases.gets).toEqual([MAX_CLOSING]);
    await after(h, CLOSING_MAX_WAIT_MS - 1);
    expect(h.sink.count('hangup')).toBe(0);
    await after(h, 1);
    expect(h.sink.count('hangup')).toBe(1);
    await h.handler.dispose('test');
  });
});

describe('call policy: DTMF to the model', () => {
  const dtmf = (over: Record<string, unknown> = {}) =>
    createHarness({ dtmfInterDigitTimeoutMs: 3000, dtmfFinishKey: '#', silenceRepromptSeconds: 0, ...over });

  it('keys become one caller message once no key follows for the inter-digit timeout', async () => {
    const h = dtmf();
    h.handler.onDtmf('4');
    await after(h, 2_000);
    h.handler.onDtmf('2');
    await after(h, 2_999);
    expect(h.responder.requests).toHaveLength(0);
    await after(h, 1);
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.messages).toEqual([{ role: 'user', content: `${DTMF_PREFIX} 42` }]);
    await heard(h);
    expect(h.records.at(-1)).toMatchObject({
      rule: 'dtmf',
      outcome: 'answered',
      transcript: `${DTMF_PREFIX} 42`,
    });
    await h.handler.dispose('test');
  });

  it('the finish key sends them at once', async () => {
    const h = dtmf();
    h.handler.onDtmf('1');
    h.handler.onDtmf('#');
    await flush();
    expect(h.responder.requests[0]?.messages.at(-1)).toEqual({ role: 'user', content: `${DTMF_PREFIX} 1#` });
    await h.handler.dispose('test');
  });

  it('with no timeout and no finish key, keys go along with the next spoken turn', async () => {
    const h = dtmf({ dtmfInterDigitTimeoutMs: 0, dtmfFinishKey: '' });
    h.handler.onDtmf('7');
    await after(h, 60_000);
    expect(h.responder.requests).toHaveLength(0);
    h.turnEnded(1, 'הקשתי שבע');
    await flush();
    expect(h.responder.requests[0]?.messages).toEqual([
      { role: 'user', content: `${DTMF_PREFIX} 7` },
      { role: 'user', content: 'הקשתי שבע' },
    ]);
    await h.handler.dispose('test');
  });

  it('keys pressed while the agent speaks interrupt it and are answered', async () => {
    const h = dtmf();
    h.responder.answers.push({ deltas: ['משפט ראשון. ', 'משפט שני. '], hang: true }, { deltas: ['קיבלתי.'] });
    h.turnEnded(1, 'מה האפשרויות?');
    await flush();
    h.sink.echo(h.handler, 'played');
    h.handler.onDtmf('3');
    h.handler.onDtmf('#');
    expect(h.sink.count('clear')).toBe(1);
    expect(h.responder.requests[0]?.signal.aborted).toBe(true);
    h.sink.echoAll(h.handler, 'cleared');
    await flush();
    expect(h.responder.requests[1]?.messages).toEqual([
      { role: 'user', content: 'מה האפשרויות?' },
      { role: 'assistant', content: 'משפט ראשון.' },
      { role: 'user', content: `${DTMF_PREFIX} 3#` },
    ]);
    await h.handler.dispose('test');
  });
});

describe('call session: turns decided back to back', () => {
  it('a turn superseded before its answer began keeps its words in the next request', async () => {
    const h = createHarness({ silenceRepromptSeconds: 0 });
    h.turnEnded(1, 'שלום');
    h.turnEnded(2, 'אני רוצה לקבוע תור');
    await flush();
    expect(h.responder.requests).toHaveLength(1);
    expect(h.responder.requests[0]?.messages).toEqual([{ role: 'user', content: 'שלום אני רוצה לקבוע תור' }]);
    await h.handler.dispose('test');
  });
});
