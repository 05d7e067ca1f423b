import { describe, expect, it } from 'vitest';
import {
  ScriptedResponder,
  SCRIPTED_GOODBYE,
  isGoodbye,
  scriptedAnswer,
  wordTokens,
} from '../../../src/llm/scripted.ts';
import { DTMF_PREFIX } from '../../../src/llm/history.ts';

describe('scripted responder', () => {
  it('repeats what it heard with a follow-up', () => {
    expect(scriptedAnswer('מה שעות הפתיחה שלכם ביום שישי?')).toBe(
      'שמעתי: מה שעות הפתיחה שלכם ביום שישי. במה עוד אפשר לעזור?',
    );
  });

  it('says goodbye to goodbye words, as whole words only', () => {
    expect(isGoodbye('תודה רבה, להתראות.')).toBe(true);
    expect(isGoodbye('ביי')).toBe(true);
    expect(isGoodbye('אני רוצה להזמין')).toBe(false);
    expect(isGoodbye('ביינתיים אני מחכה')).toBe(false);
    expect(scriptedAnswer('טוב, להתראות')).toBe(SCRIPTED_GOODBYE);
  });

  it('answers DTMF and silence sensibly', () => {
    expect(scriptedAnswer(`${DTMF_PREFIX} 3`)).toMatch(/^הקשת 3\./);
    expect(scriptedAnswer('  ')).toMatch(/לא שמעתי/);
  });

  it('streams word tokens that join back to the answer, and stops on abort', async () => {
    const r = new ScriptedResponder({ tokenDelayMs: 1 });
    const messages = [{ role: 'user' as const, content: 'שלום, אני רוצה לבדוק את ההזמנה שלי.' }];
    const tokens: string[] = [];
    for await (const t of r.respond({ callId: 'c', messages, signal: new AbortController().signal }))
      tokens.push(t);
    expect(tokens.join('')).toBe(scriptedAnswer(messages[0]!.content));
    expect(tokens).toEqual(wordTokens(tokens.join('')));
    const ctrl = new AbortController();
    const cut: string[] = [];
    for await (const t of r.respond({ callId: 'c', messages, signal: ctrl.signal })) {
      cut.push(t);
      if (cut.length === 2) ctrl.abort();
    }
    expect(cut).toHaveLength(2);
  });
});
