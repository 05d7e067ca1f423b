import { describe, expect, it } from 'vitest';
import { sseChunk } from '../../../src/sim/openai/completion.ts';

/** The event as the emulator built it before: JSON.stringify of the whole chunk per token. */
const wholeObject = (
  c: { id: string; created: number; model: unknown },
  delta: Record<string, unknown>,
  finish: string | null,
): string =>
  `data: ${JSON.stringify({ id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;

describe('OpenAI emulator SSE chunks', () => {
  it('are byte for byte what JSON.stringify of the whole chunk gives', () => {
    for (const c of [
      { id: 'chatcmpl-emu1', created: 1764651234, model: 'gpt-4o-mini' },
      { id: 'chatcmpl-"q"\\', created: 0, model: 'מודל "x"\n' },
    ]) {
      const chunk = sseChunk(c);
      const deltas: Array<[Record<string, unknown>, string | null]> = [
        [{ role: 'assistant', content: '' }, null],
        [{ role: 'assistant', content: null }, null],
        [{ content: ' שלום,' }, null],
        [{ content: ' "ציטוט"\n\t\u2028' }, null],
        [
          {
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          },
          null,
        ],
        [{ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }, null],
        [{}, 'stop'],
        [{}, 'tool_calls'],
        [{ content: undefined }, null],
      ];
      for (const [delta, finish] of deltas) expect(chunk(delta, finish)).toBe(wholeObject(c, delta, finish));
    }
  });
});
