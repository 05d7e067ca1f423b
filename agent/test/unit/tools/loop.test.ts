// The tool loop on fake time: filler timing, honest sentences, actions, bounded rounds, and the
// HTTP tool's deadline, status and network failures, all without a real timer or socket.
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/llm/types.ts';
import { loadToolConfig } from '../../../src/tools/config.ts';
import { respondWithTools, type ToolLoopOptions, type ToolTiming } from '../../../src/tools/loop.ts';
import { createToolRunner } from '../../../src/tools/runner.ts';
import type { CallAction } from '../../../src/tools/types.ts';
import { registry } from '../../../src/telemetry/metrics.ts';
import { flush, ManualClock, RoundsResponder, type Round } from './fakes.ts';

const messages: ChatMessage[] = [{ role: 'user', content: 'יש תור מחר?' }];
const TOOL = {
  name: 'check_availability',
  description: 'Free slots on a day',
  parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
  url: 'http://backend.test/availability',
  timeoutMs: 3000,
  secretEnv: 'TOOL_SECRET',
};
const call = (name: string, args: unknown, id = 'call_1') => ({
  type: 'tool_calls' as const,
  calls: [{ id, name, arguments: JSON.stringify(args) }],
});

/** A fetch whose answer the test releases by hand; records what was sent. */
function manualFetch() {
  const sent: { url: string; init: RequestInit }[] = [];
  let release: ((r: Response | Error) => void) | undefined;
  const fetch = ((url: string, init: RequestInit) => {
    sent.push({ url, init });
    return new Promise<Response>((resolve, reject) => {
      release = (r) => (r instanceof Error ? reject(r) : resolve(r));
      init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent, answer: (r: Response | Error) => release!(r) };
}

function setup(rounds: Round[], over: Partial<ToolLoopOptions> = {}, transfer = '') {
  const clock = new ManualClock();
  const http = manualFetch();
  const config = loadToolConfig(
    { toolsJson: JSON.stringify([TOOL]), toolsFile: '', transferTargetsJson: transfer },
    { TOOL_SECRET: 'k' },
  );
  const runner = createToolRunner({
    config,
    dtmfEnabled: false,
    http: { clock, fetch: http.fetch, epochSeconds: () => 1764590000 },
  });
  const responder = new RoundsResponder(rounds);
  const timings: ToolTiming[] = [];
  const actions: CallAction[] = [];
  const exchanges: ChatMessage[][] = [];
  const stream = respondWithTools(
    { callId: 'CA1', messages, signal: new AbortController().signal },
    {
      responder,
      runner,
      clock,
      maxRounds: 3,
      fillerAfterMs: 700,
      fillerText: 'רגע, אני בודקת.',
      errorText: 'סליחה, לא הצלחתי לבדוק את זה כרגע.',
      actionText: (a) => (a.type === 'end_call' ? 'להתראות!' : 'מעבירה אתכם.'),
      onToolCall: (t) => timings.push(t),
      onAction: (a) => actions.push(a),
      onExchange: (m) => exchanges.push([...m]),
      ...over,
    },
  );
  const out: string[] = [];
  /** Empty deltas: the model answered with tool calls (the consumer's first-token deadline stops). */
  const empties: number[] = [];
  const done = (async () => {
    for await (const d of stream) {
      if (d === '') empties.push(clock.now());
      else out.push(d);
    }
  })();
  return { clock, http, responder, timings, actions, exchanges, out, empties, done };
}

const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
};

describe('respondWithTools', () => {
  it('a fast tool: no filler; the signed result goes to the model and the answer continues', async () => {
    const t = setup([
      [call('check_availability', { date: '2026-12-02' })],
      (req) => [{ type: 'text', text: `יש תור ב-${req.messages.at(-1)!.content}.` }],
    ]);
    await t.clock.advance(300);
    expect(t.empties).toEqual([0]);
    expect(t.http.sent).toHaveLength(1);
    const sent = t.http.sent[0]!;
    const headers = sent.init.headers as Record<string, string>;
    expect(headers['x-hva-timestamp']).toBe('1764590000');
    expect(headers['x-hva-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(JSON.parse(sent.init.body as string)).toEqual({
      tool: 'check_availability',
      callSid: 'CA1',
      toolCallId: 'call_1',
      arguments: { date: '2026-12-02' },
    });
    t.http.answer(new Response('10:00', { status: 200 }));
    await t.clock.advance(1000);
    await t.done;
    expect(t.out.join('')).toBe('יש תור ב-10:00.');
    expect(t.timings).toEqual([{ name: 'check_availability', startMs: 0, endMs: 300, outcome: 'ok' }]);
    const second = t.responder.requests[1]!;
    expect(second.messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'check_availability', arguments: '{"date":"2026-12-02"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: '10:00' },
    ]);
    expect(t.exchanges).toHaveLength(1);
  });

  it('a slow tool: the filler is said at 700 ms, once, while the tool keeps running', async () => {
    const t = setup([
      [call('check_availability', { date: '2026-12-02' })],
      [{ type: 'text', text: 'יש תור.' }],
    ]);
    const fillers = await metric('hva_tool_fillers_total', {});
    await t.clock.advance(699);
    expect(t.out).toEqual([]);
    await t.clock.advance(1);
    expect(t.out).toEqual(['רגע, אני בודקת. ']);
    expect(await metric('hva_tool_fillers_total', {})).toBe(fillers + 1);
    await t.clock.advance(1000);
    t.http.answer(new Response('10:00'));
    await t.clock.advance(1);
    await t.done;
    expect(t.out).toEqual(['רגע, אני בודקת. ', 'יש תור.']);
    expect(t.timings[0]!.endMs).toBe(1700);
  });

  it('a tool that times out: the honest sentence, the model is told, the answer goes on', async () => {
    const t = setup([
      [call('check_availability', { date: '2026-12-02' })],
      (req) => [
        {
          type: 'text',
          text: req.messages.at(-1)!.content.startsWith('error:') ? 'אפשר לנסות שוב מאוחר יותר.' : '?',
        },
      ],
    ]);
    const before = await metric('hva_tool_errors_total', { tool: 'check_availability', reason: 'timeout' });
    await t.clock.advance(3000);
    await t.done;
    expect(t.out).toEqual([
      'רגע, אני בודקת. ',
      'סליחה, לא הצלחתי לבדוק את זה כרגע. ',
      'אפשר לנסות שוב מאוחר יותר.',
    ]);
    expect(t.responder.requests[1]!.messages.at(-1)!.content).toMatch(/did not answer within 3000 ms/);
    expect(t.timings[0]).toEqual({ name: 'check_availability', startMs: 0, endMs: 3000, outcome: 'timeout' });
    expect(await metric('hva_tool_errors_total', { tool: 'check_availability', reason: 'timeout' })).toBe(
      before + 1,
    );
  });

  it('a backend answering 500 or unreachable: the honest sentence, not silence', async () => {
    for (const failure of [new Response('boom', { status: 500 }), new TypeError('fetch failed')]) {
      const t = setup([
        [call('check_availability', { date: '2026-12-02' })],
        [{ type: 'text', text: 'מצטערת.' }],
      ]);
      await t.clock.advance(10);
      t.http.answer(failure);
      await t.clock.advance(1);
      await t.done;
      expect(t.out).toEqual(['סליחה, לא הצלחתי לבדוק את זה כרגע. ', 'מצטערת.']);
      expect(t.timings[0]!.outcome).toBe(failure instanceof Response ? 'http_error' : 'network');
    }
  });

  it('invalid arguments never reach the backend: the model gets the reason and corrects itself', async () => {
    const t = setup([
      [call('check_availability', { day: 'מחר' })],
      (req) => [
        {
          type: 'text',
          text: req.messages.at(-1)!.content.includes('missing required property "date"')
            ? 'לאיזה תאריך?'
            : '?',
        },
      ],
    ]);
    await t.clock.advance(1);
    await t.done;
    expect(t.http.sent).toHaveLength(0);
    expect(t.out).toEqual(['לאיזה תאריך?']);
    expect(t.timings[0]!.outcome).toBe('invalid_arguments');
  });

  it('end_call ends the answer: the model goodbye is spoken, then the action is handed over', async () => {
    const t = setup([[{ type: 'text', text: 'תודה, להתראות!' }, call('end_call', {})]]);
    await t.clock.advance(1);
    await t.done;
    expect(t.out).toEqual(['תודה, להתראות!']);
    expect(t.actions).toEqual([{ type: 'end_call' }]);
    expect(t.responder.requests).toHaveLength(1);
  });

  it('a transfer without a sentence of its own gets the configured one', async () => {
    const targets = JSON.stringify([{ name: 'reception', description: 'הקבלה', number: '+97231234567' }]);
    const t = setup([[call('transfer_call', { target: 'reception' })]], {}, targets);
    await t.clock.advance(1);
    await t.done;
    expect(t.out).toEqual(['מעבירה אתכם. ']);
    expect(t.actions).toEqual([
      { type: 'transfer', target: { name: 'reception', description: 'הקבלה', number: '+97231234567' } },
    ]);
    const offered = t.responder.requests[0]!.tools.map((d) => d.name);
    expect(offered).toEqual(['check_availability', 'end_call', 'transfer_call']);
  });

  it('rounds are bounded: after maxRounds the model must answer in words (tool_choice none)', async () => {
    const again = [call('check_availability', { date: '2026-12-02' })];
    const t = setup([again, again, again, [{ type: 'text', text: 'בסדר.' }]], { maxRounds: 3 });
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(10);
      t.http.answer(new Response('אין'));
    }
    await t.clock.advance(10);
    await t.done;
    expect(t.responder.requests.map((r) => r.toolChoice)).toEqual(['auto', 'auto', 'auto', 'none']);
    expect(t.out).toEqual(['בסדר.']);
  });

  it('tools wait for the gate (a preemptive answer acts only once its turn is confirmed)', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const t = setup([[call('check_availability', { date: '2026-12-02' })], [{ type: 'text', text: 'יש.' }]], {
      gate,
    });
    await t.clock.advance(2000);
    expect(t.http.sent).toHaveLength(0);
    open();
    await flush();
    expect(t.http.sent).toHaveLength(1);
    t.http.answer(new Response('ok'));
    await t.clock.advance(1);
    await t.done;
    expect(t.out).toEqual(['יש.']);
  });
});

describe('filler deadline', () => {
  it('a tool that starts late gets the filler sooner, never before it ran 200 ms', async () => {
    const { fillerDelayMs } = await import('../../../src/tools/loop.ts');
    expect(fillerDelayMs(0, 700, undefined)).toBe(700);
    expect(fillerDelayMs(100, 700, 700)).toBe(600);
    expect(fillerDelayMs(450, 700, 700)).toBe(250);
    expect(fillerDelayMs(650, 700, 700)).toBe(200);
    expect(fillerDelayMs(0, 700, 5000)).toBe(700);
  });

  it('the loop uses the deadline: a tool started 450 ms before it gets the filler after 250 ms', async () => {
    const t = setup([[call('check_availability', { date: '2026-12-02' })], [{ type: 'text', text: 'יש.' }]], {
      fillerDeadlineMs: () => 250,
    });
    await t.clock.advance(249);
    expect(t.out).toEqual([]);
    await t.clock.advance(1);
    expect(t.out).toEqual(['רגע, אני בודקת. ']);
    t.http.answer(new Response('ok'));
    await t.clock.advance(1);
    await t.done;
  });
});

describe('bounded calls per round', () => {
  it('a model asking for more than 8 calls at once gets an error for the rest; each call is answered', async () => {
    const many = {
      type: 'tool_calls' as const,
      calls: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, name: 'end_call_not', arguments: '{}' })),
    };
    const t = setup([[many], [{ type: 'text', text: 'בסדר.' }]]);
    await t.clock.advance(1);
    await t.done;
    const answers = t.responder.requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(answers).toHaveLength(10);
    expect(answers.slice(0, 8).every((m) => m.content.includes('there is no tool named end_call_not'))).toBe(
      true,
    );
    expect(answers.slice(8).every((m) => m.content.includes('at most 8 tool calls per turn'))).toBe(true);
    expect(t.timings).toHaveLength(8);
  });
});
