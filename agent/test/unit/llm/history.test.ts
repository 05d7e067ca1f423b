import { describe, expect, it } from 'vitest';
import { ConversationHistory, DTMF_PREFIX, heardText } from '../../../src/llm/history.ts';

describe('ConversationHistory', () => {
  it('retractUser withdraws a taken-back turn: the whole message, or its end when merged', () => {
    const h = new ConversationHistory({ systemPrompt: '', maxTurns: 10 });
    h.addUser('שלום');
    h.addAssistant('שלום, במה אפשר לעזור?');
    h.addUser('אני רוצה');
    expect(h.retractUser('אני רוצה')).toBe(true);
    expect(h.messages().map((m) => m.role)).toEqual(['user', 'assistant']);
    h.addUser('כן');
    h.addUser('אני רוצה');
    expect(h.retractUser('אני רוצה')).toBe(true);
    expect(h.messages().at(-1)).toEqual({ role: 'user', content: 'כן' });
    // Not the last user text: nothing changes.
    expect(h.retractUser('משהו אחר')).toBe(false);
    h.addAssistant('בסדר');
    expect(h.retractUser('כן')).toBe(false);
    expect(h.length).toBe(4);
  });

  it('starts with the system prompt and keeps turns in order', () => {
    const h = new ConversationHistory({ systemPrompt: 'מערכת', maxTurns: 5 });
    h.addUser('שלום');
    h.addAssistant('שלום, במה אפשר לעזור?');
    h.addUser('מה השעה?');
    expect(h.messages()).toEqual([
      { role: 'system', content: 'מערכת' },
      { role: 'user', content: 'שלום' },
      { role: 'assistant', content: 'שלום, במה אפשר לעזור?' },
      { role: 'user', content: 'מה השעה?' },
    ]);
  });

  it('drops the oldest turns beyond the limit and never starts with an assistant message', () => {
    const h = new ConversationHistory({ systemPrompt: 'S', maxTurns: 2 });
    for (let i = 1; i <= 4; i++) {
      h.addUser(`שאלה ${i}`);
      h.addAssistant(`תשובה ${i}`);
    }
    h.addUser('שאלה 5');
    expect(h.messages().map((m) => m.content)).toEqual(['S', 'שאלה 4', 'תשובה 4', 'שאלה 5']);
  });

  it('records only the heard part of an interrupted answer', () => {
    const h = new ConversationHistory({ systemPrompt: 'S', maxTurns: 5 });
    h.addUser('מתי תגיע ההזמנה?');
    const sentences = ['ההזמנה יצאה אתמול.', 'היא תגיע ביום רביעי.', 'מספר המשלוח הוא 1234.'];
    expect(h.addAssistantHeard(sentences, 1)).toBe('ההזמנה יצאה אתמול.');
    expect(h.messages().at(-1)).toEqual({ role: 'assistant', content: 'ההזמנה יצאה אתמול.' });
    expect(heardText(sentences, 0)).toBe('');
    expect(heardText(sentences, 9)).toBe(sentences.join(' '));
  });

  it('an answer cut before anything played leaves no assistant message; the two utterances merge', () => {
    const h = new ConversationHistory({ systemPrompt: 'S', maxTurns: 5 });
    h.addUser('אני רוצה');
    h.addAssistantHeard(['תשובה'], 0);
    h.addUser('לבטל הזמנה');
    expect(h.messages()).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'אני רוצה לבטל הזמנה' },
    ]);
  });

  it('DTMF digits become text, consecutive presses in one message; junk is ignored', () => {
    const h = new ConversationHistory({ systemPrompt: '', maxTurns: 5 });
    h.addDtmf('1');
    h.addDtmf('2');
    h.addDtmf('#');
    h.addDtmf('x');
    expect(h.messages()).toEqual([{ role: 'user', content: `${DTMF_PREFIX} 12#` }]);
  });

  it('messagesWithUser previews the prompt without changing the history', () => {
    const h = new ConversationHistory({ systemPrompt: 'S', maxTurns: 5 });
    h.addUser('א');
    h.addAssistant('ב');
    expect(h.messagesWithUser('ג').at(-1)).toEqual({ role: 'user', content: 'ג' });
    expect(h.length).toBe(2);
  });
});

describe('ConversationHistory tool exchanges', () => {
  const calls = [{ id: 'call_1', name: 'check_availability', arguments: '{"day":"tomorrow"}' }];
  it('keeps the calls and results before what was heard, without the words said around them', () => {
    const h = new ConversationHistory({ systemPrompt: '', maxTurns: 5 });
    h.addUser('יש תור מחר?');
    h.addToolExchange([
      { role: 'assistant', content: 'רגע.', toolCalls: calls },
      { role: 'tool', toolCallId: 'call_1', content: '10:00' },
    ]);
    h.addAssistant('רגע. יש תור בעשר.');
    expect(h.messages()).toEqual([
      { role: 'user', content: 'יש תור מחר?' },
      { role: 'assistant', content: '', toolCalls: calls },
      { role: 'tool', toolCallId: 'call_1', content: '10:00' },
      { role: 'assistant', content: 'רגע. יש תור בעשר.' },
    ]);
  });

  it('a dropped turn never leaves a tool result without its call at the start', () => {
    const h = new ConversationHistory({ systemPrompt: '', maxTurns: 1 });
    h.addUser('א');
    h.addToolExchange([
      { role: 'assistant', content: '', toolCalls: calls },
      { role: 'tool', toolCallId: 'call_1', content: 'x' },
    ]);
    h.addAssistant('ב');
    h.addUser('ג');
    expect(h.messages()).toEqual([{ role: 'user', content: 'ג' }]);
  });
});
