import { describe, expect, it } from 'vitest';
import { AnswerTools, createCallTools } from '../../../src/tools/call-tools.ts';
import { loadToolConfig } from '../../../src/tools/config.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { ManualClock, RoundsResponder, flush } from './fakes.ts';

const tools = loadToolConfig(
  {
    toolsJson: JSON.stringify([{ name: 'book', description: 'Book', url: 'http://backend.test/book' }]),
    toolsFile: '',
    transferTargetsJson: '',
  },
  {},
);

const bookCall = { type: 'tool_calls' as const, calls: [{ id: 'c1', name: 'book', arguments: '{}' }] };
const finalRound = [
  { type: 'text' as const, text: 'קבעתי.' },
  { type: 'tool_calls' as const, calls: [{ id: 'c2', name: 'end_call', arguments: '{}' }] },
];

function setup(rounds = [[bookCall], finalRound]) {
  const clock = new ManualClock();
  const posted: string[] = [];
  const fetch = (async (url: string) => {
    posted.push(url);
    return new Response('booked');
  }) as unknown as typeof globalThis.fetch;
  const responder = new RoundsResponder(rounds);
  const callTools = createCallTools({ config: defaultConfig(), tools, responder, clock, fetch })!;
  return { clock, posted, callTools };
}

async function drain(it: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const d of it) out += d;
  return out;
}

describe('createCallTools', () => {
  it('an answer collects its tool timings, exchange and action', async () => {
    const { callTools, posted } = setup();
    const state = new AnswerTools();
    const text = await drain(
      callTools.respond({ callId: 'CA', messages: [], signal: new AbortController().signal }, state),
    );
    expect(text).toBe('קבעתי.');
    expect(posted).toEqual(['http://backend.test/book']);
    expect(state.timings.map((t) => [t.name, t.outcome])).toEqual([
      ['book', 'ok'],
      ['end_call', 'action'],
    ]);
    expect(state.action).toEqual({ type: 'end_call' });
    expect(state.exchange.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual([
      'booked',
      'the call ends after your goodbye',
    ]);
  });

  it('a preemptive guess runs no tool until it is taken; a discarded one never does', async () => {
    // rounds in request order: the discarded guess, the kept guess, the kept guess's second round
    const { callTools, posted } = setup([[bookCall], [bookCall], finalRound]);
    // The session cancels a guess before it starts the next one: only the latest can be kept.
    const discarded = new AbortController();
    const kept = new AbortController();
    const first = drain(
      callTools.preemptive.respond({ callId: 'CA', messages: [], signal: discarded.signal }),
    );
    await flush();
    discarded.abort();
    await first;
    const keptText = drain(callTools.preemptive.respond({ callId: 'CA', messages: [], signal: kept.signal }));
    await flush();
    expect(posted).toEqual([]);
    const state = callTools.takePreemptive()!;
    expect(await keptText).toBe('קבעתי.');
    expect(posted).toHaveLength(1);
    expect(state.action).toEqual({ type: 'end_call' });
    expect(callTools.takePreemptive()).toBeUndefined();
  });

  it('no tools with a responder that cannot call them (the scripted one)', () => {
    const clock = new ManualClock();
    const responder = { name: 'scripted', respond: async function* () {} };
    expect(createCallTools({ config: defaultConfig(), tools, responder, clock })).toBeUndefined();
  });
});
