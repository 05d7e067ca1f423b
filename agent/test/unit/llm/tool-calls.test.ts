import { describe, expect, it } from 'vitest';
import { ToolCallAssembler, ToolCallAssemblyError } from '../../../src/llm/tool-calls.ts';
import {
  argumentFragments,
  checkToolMessages,
  parseTools,
  resolveReply,
} from '../../../src/sim/openai/tools.ts';

describe('ToolCallAssembler (streamed tool calls put back together)', () => {
  it('joins argument fragments per index, interleaved calls in index order', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 1, id: 'call_b', type: 'function', function: { name: 'book', arguments: '' } }]);
    a.add([{ index: 0, id: 'call_a', type: 'function', function: { name: 'check', arguments: '{"da' } }]);
    a.add([{ index: 1, function: { arguments: '{"slot":' } }]);
    a.add([{ index: 0, function: { arguments: 'y":"2026-12-02"}' } }]);
    a.add([{ index: 1, function: { arguments: '"10:00"}' } }]);
    expect(a.finish()).toEqual([
      { id: 'call_a', name: 'check', arguments: '{"day":"2026-12-02"}' },
      { id: 'call_b', name: 'book', arguments: '{"slot":"10:00"}' },
    ]);
  });

  it('a call with no argument fragments has the empty object', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, id: 'c', function: { name: 'end_call', arguments: '' } }]);
    expect(a.finish()).toEqual([{ id: 'c', name: 'end_call', arguments: '{}' }]);
  });

  it('refuses a call that never got an id or a name, and a delta without an index', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, function: { arguments: '{}' } }]);
    expect(() => a.finish()).toThrow(ToolCallAssemblyError);
    expect(() => new ToolCallAssembler().add([{ index: -1 }])).toThrow(ToolCallAssemblyError);
  });

  it('the emulator cuts arguments the same assembler puts back', () => {
    const json = JSON.stringify({ date: '2026-12-02', time: '10:30', name: 'דנה' });
    const a = new ToolCallAssembler();
    a.add([{ index: 0, id: 'x', function: { name: 'book', arguments: '' } }]);
    for (const f of argumentFragments(json)) a.add([{ index: 0, function: { arguments: f } }]);
    expect(JSON.parse(a.finish()[0]!.arguments)).toEqual({ date: '2026-12-02', time: '10:30', name: 'דנה' });
  });
});

describe('OpenAI emulator: the tool checks the real API makes', () => {
  it('tool names must match the API pattern', () => {
    expect(parseTools([{ type: 'function', function: { name: 'check availability' } }])).toMatch(
      /does not match pattern/,
    );
    expect(parseTools([{ type: 'function', function: { name: 'ok_name-1', parameters: {} } }])).toEqual([
      { name: 'ok_name-1', parameters: {} },
    ]);
    expect(parseTools({})).toMatch(/expected an array/);
  });

  it('tool messages must answer the calls of the assistant message before them', () => {
    const call = { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } };
    expect(
      checkToolMessages([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ]),
    ).toBeUndefined();
    expect(
      checkToolMessages([
        { role: 'user', content: 'hi' },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ]),
    ).toMatch(/must be a response to a preceeding message/);
    expect(
      checkToolMessages([
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'user', content: 'hi' },
      ]),
    ).toMatch(/did not have response messages: c1/);
  });

  it('never sends a call under tool_choice none or for an undeclared tool', () => {
    const input = { messages: [], tools: [{ name: 'f' }], toolChoice: 'none' as const };
    expect(resolveReply({ toolCalls: [{ name: 'f', arguments: {} }] }, input, 'p').calls).toEqual([]);
    expect(() =>
      resolveReply({ toolCalls: [{ name: 'g', arguments: {} }] }, { ...input, toolChoice: 'auto' }, 'p'),
    ).toThrow(/did not declare/);
  });
});
