// Tool calls and the model's actions inside a call session, on fake time: the filler on a slow
// tool, the result going back and the answer continuing, the tool time in the turn record, the
// exchange kept for the next turn, and end/transfer performed only once the caller heard the
// sentence before them.
import { describe, expect, it } from 'vitest';
import type { CallActions } from '../../../src/call/actions.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import type { ResponderEvent, RespondWithToolsRequest } from '../../../src/llm/types.ts';
import { loadToolConfig } from '../../../src/tools/config.ts';
import { createHarness, flush, type Harness } from './fakes.ts';

const tools = loadToolConfig(
  {
    toolsJson: JSON.stringify([
      {
        name: 'check_availability',
        description: 'Free slots',
        parameters: { type: 'object', properties: { day: { type: 'string' } }, required: ['day'] },
        url: 'http://backend.test/availability',
      },
    ]),
    toolsFile: '',
    transferTargetsJson: JSON.stringify([{ name: 'reception', description: 'desk', number: '+97231234567' }]),
  },
  {},
);

type Round = (req: RespondWithToolsRequest) => ResponderEvent[];
const call = (name: string, args: unknown, id = `call_${name}`): ResponderEvent => ({
  type: 'tool_calls',
  calls: [{ id, name, arguments: JSON.stringify(args) }],
});

/** A model that plays one round per request and records each. */
class ToolModel {
  readonly name = 'tool-model';
  readonly requests: RespondWithToolsRequest[] = [];
  rounds: Round[] = [];
  async *respond(): AsyncIterable<string> {
    yield 'text only.';
  }
  async *respondEvents(req: RespondWithToolsRequest): AsyncIterable<ResponderEvent> {
    this.requests.push({ ...req, messages: [...req.messages] });
    const round = this.rounds.shift() ?? (() => [{ type: 'text', text: 'בסדר.' }]);
    for (const e of round(req)) yield e;
  }
}

function setup(actions?: Partial<CallActions>, overrides: Record<string, unknown> = {}) {
  const model = new ToolModel();
  let release: ((r: Response) => void) | undefined;
  const fetched: string[] = [];
  const toolFetch = ((url: string, init: RequestInit) => {
    fetched.push(url);
    return new Promise<Response>((resolve, reject) => {
      release = resolve;
      init.signal?.addEventListener('abort', () => reject(new Error('aborted')));
    });
  }) as unknown as typeof fetch;
  const performed: string[] = [];
  const h: Harness = createHarness(
    { dtmfActionEnabled: true, ...overrides },
    {
      responder: model,
      tools,
      toolFetch,
      actions: () => ({
        endCall: (reason) => performed.push(`end:${reason}`),
        transfer: async (target) => {
          performed.push(`transfer:${target}`);
          if (actions?.transfer) await actions.transfer(target);
        },
        sendDtmf: async (digits) => {
          performed.push(`dtmf:${digits}`);
        },
      }),
    },
  );
  return { h, model, fetched, performed, answer: (body: string) => release!(new Response(body)) };
}

const spoken = (h: Harness): string[] => h.synthesizer.requests.map((r) => r.text);

describe('a call session with tools', () => {
  it('a slow tool: the filler at 700 ms, the result to the model, the answer, tool time in the record', async () => {
    const t = setup();
    t.model.rounds = [
      () => [call('check_availability', { day: 'tomorrow' })],
      (req) => [{ type: 'text', text: `יש תור ב-${req.messages.at(-1)!.content}.` }],
    ];
    t.h.turnEnded(1, 'יש תור מחר?');
    await t.h.clock.run(100);
    expect(t.fetched).toEqual(['http://backend.test/availability']);
    expect(spoken(t.h)).toEqual([]);
    await t.h.clock.run(500);
    expect(spoken(t.h)).toEqual([]);
    await t.h.clock.run(300);
    expect(spoken(t.h)).toEqual(['רגע, אני בודקת.']);
    await t.h.clock.run(500);
    t.answer('10:00');
    await t.h.clock.run(100);
    // (the time is said as words: text/speakable.ts)
    expect(spoken(t.h)).toEqual(['רגע, אני בודקת.', 'יש תור בעשר.']);
    t.h.sink.echoAll(t.h.handler, 'played');
    await t.h.clock.run(100);
    const record = t.h.records[0] as TurnRecord;
    expect(record.outcome).toBe('answered');
    expect(record.tools).toHaveLength(1);
    expect(record.tools![0]!.name).toBe('check_availability');
    expect(record.tools![0]!.outcome).toBe('ok');
    expect(record.tools![0]!.endMs - record.tools![0]!.startMs).toBeGreaterThanOrEqual(1100);

    // The next turn's request carries the call and its result before the heard answer.
    t.h.turnEnded(2, 'תודה');
    await t.h.clock.run(100);
    const roles = t.model.requests.at(-1)!.messages.map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
  });

  it('end_call: the goodbye is heard first, then the call is ended', async () => {
    const t = setup();
    t.model.rounds = [() => [{ type: 'text', text: 'להתראות!' }, call('end_call', {})]];
    t.h.turnEnded(1, 'זה הכל, תודה');
    await t.h.clock.run(200);
    expect(spoken(t.h)).toEqual(['להתראות!']);
    expect(t.performed).toEqual([]);
    t.h.sink.echoAll(t.h.handler, 'played');
    await t.h.clock.run(100);
    expect(t.performed).toEqual(['end:goodbye']);
    expect(t.model.requests[0]!.tools.map((d) => d.name)).toEqual([
      'check_availability',
      'end_call',
      'transfer_call',
      'send_dtmf',
    ]);
  });

  it('an interrupted goodbye does not end the call', async () => {
    const t = setup();
    t.model.rounds = [() => [{ type: 'text', text: 'להתראות!' }, call('end_call', {})]];
    t.h.turnEnded(1, 'זה הכל');
    await t.h.clock.run(200);
    t.h.audio('speech', 600); // the caller talks over the goodbye: barge-in, clear
    t.h.sink.echoAll(t.h.handler, 'cleared');
    await t.h.clock.run(2000);
    expect(t.h.sink.count('clear')).toBe(1);
    expect(t.performed).toEqual([]);
  });

  it('transfer: the sentence is heard, then the call is transferred; a refused transfer is said honestly', async () => {
    const ok = setup();
    ok.model.rounds = [() => [call('transfer_call', { target: 'reception' })]];
    ok.h.turnEnded(1, 'אפשר נציג?');
    await ok.h.clock.run(200);
    expect(spoken(ok.h)).toEqual(['אני מעבירה אתכם לנציג, רק רגע.']);
    ok.h.sink.echoAll(ok.h.handler, 'played');
    await ok.h.clock.run(100);
    expect(ok.performed).toEqual(['transfer:reception']);

    const refused = setup({
      transfer: () => Promise.reject(new Error('HTTP 400 (code 21220)')),
    });
    refused.model.rounds = [
      () => [{ type: 'text', text: 'מעבירה.' }, call('transfer_call', { target: 'reception' })],
    ];
    refused.h.turnEnded(1, 'אפשר נציג?');
    await refused.h.clock.run(200);
    refused.h.sink.echoAll(refused.h.handler, 'played');
    await refused.h.clock.run(100);
    await flush();
    expect(refused.performed).toEqual(['transfer:reception']);
    expect(refused.h.phrases.gets).toContain('סליחה, לא הצלחתי להעביר את השיחה כרגע. אפשר להמשיך איתי.');
  });

  it('send_dtmf plays the digits through the actions and the answer goes on', async () => {
    const t = setup();
    t.model.rounds = [
      () => [call('send_dtmf', { digits: '12#' })],
      (req) => [{ type: 'text', text: req.messages.at(-1)!.content === 'sent 12#' ? 'הקשתי.' : '?' }],
    ];
    t.h.turnEnded(1, 'תקיש אחת שתיים סולמית');
    await t.h.clock.run(200);
    expect(t.performed).toEqual(['dtmf:12#']);
    expect(spoken(t.h)).toEqual(['הקשתי.']);
  });

  it('a preemptive guess that asked for a tool runs it only once its turn is kept', async () => {
    const t = setup({}, { llmPreemptive: true });
    t.model.rounds = [
      () => [call('check_availability', { day: 'tomorrow' })],
      () => [{ type: 'text', text: 'יש תור.' }],
    ];
    t.h.emit({
      type: 'partial',
      utteranceId: 1,
      text: 'יש תור מחר?',
      stability: 0.9,
      agreed: false,
      atMs: t.h.sink.clock,
    });
    await t.h.clock.run(1000);
    expect(t.model.requests).toHaveLength(1);
    expect(t.fetched).toEqual([]); // a guess never calls the backend
    t.h.turnEnded(1, 'יש תור מחר?');
    await t.h.clock.run(100);
    expect(t.fetched).toEqual(['http://backend.test/availability']);
    t.answer('10:00');
    await t.h.clock.run(100);
    expect(spoken(t.h)).toEqual(['יש תור.']);
    t.h.sink.echoAll(t.h.handler, 'played');
    await t.h.clock.run(100);
    const record = t.h.records[0] as TurnRecord;
    expect(record.preemptive).toBe('hit');
    expect(record.tools?.map((x) => x.name)).toEqual(['check_availability']);
  });
});
