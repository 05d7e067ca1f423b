// The OpenAI responder through the real `openai` client against the OpenAI-compatible emulator.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpenAiResponder, type OpenAiResponderOptions } from '../../../src/llm/openai.ts';
import { ResponderError } from '../../../src/llm/errors.ts';
import { defaultAnswer, startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import OpenAI from 'openai';
import type { ChatMessage } from '../../../src/llm/types.ts';

const messages: ChatMessage[] = [
  { role: 'system', content: 'אתה נציג שירות.' },
  { role: 'user', content: 'מה שעות הפתיחה שלכם ביום שישי?' },
];
const expected = defaultAnswer(messages);

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}

async function failure(it: AsyncIterable<string>): Promise<{ error: ResponderError; tokens: string[] }> {
  const tokens: string[] = [];
  try {
    for await (const d of it) tokens.push(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ResponderError);
    return { error: e as ResponderError, tokens };
  }
  throw new Error('expected the responder to fail');
}

describe('OpenAiResponder against the emulator', () => {
  let fast: OpenAiEmulator; // no latency
  let paced: OpenAiEmulator; // 20 tokens/s so a stream can be interrupted
  beforeAll(async () => {
    fast = await startOpenAiEmulator({ latency: 'none' });
    paced = await startOpenAiEmulator({
      latency: { timeToFirstTokenMs: { p50: 10, p95: 20 }, tokensPerSecond: 20 },
    });
  });
  afterAll(async () => {
    await fast.close();
    await paced.close();
  });
  beforeEach(() => {
    fast.setFault(null);
    paced.setFault(null);
  });

  const responder = (emu: OpenAiEmulator, over: Partial<OpenAiResponderOptions> = {}): OpenAiResponder =>
    new OpenAiResponder({
      apiKey: 'test-key',
      baseUrl: emu.url,
      model: 'gpt-test',
      temperature: 0.4,
      maxTokens: 100,
      firstTokenTimeoutMs: 2000,
      stallTimeoutMs: 1000,
      retryAttempts: 2,
      backoffBaseMs: 10,
      ...over,
    });

  it('streams the answer token by token with the configured model, temperature and max tokens', async () => {
    const before = fast.requests().length;
    const tokens = await collect(
      responder(fast).respond({ callId: 'c1', messages, signal: new AbortController().signal }),
    );
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toBe(expected);
    const req = fast.requests()[before]!;
    expect(req.body).toMatchObject({ model: 'gpt-test', temperature: 0.4, max_tokens: 100, stream: true });
    expect((req.body['messages'] as ChatMessage[]).at(-1)?.content).toBe(messages[1]!.content);
    expect(req.completed).toBe(true);
  });

  it('answers in sequence reuse keep-alive connections (the emulator counts TCP connections)', async () => {
    const emu = await startOpenAiEmulator({ latency: 'none' });
    try {
      const r = responder(emu);
      for (let i = 0; i < 5; i++)
        await collect(r.respond({ callId: 'c1', messages, signal: new AbortController().signal }));
      // The second request may start before the first one's socket is back in the pool.
      expect(emu.stats().streams).toBe(5);
      expect(emu.stats().connections).toBeLessThanOrEqual(2);
    } finally {
      await emu.close();
    }
  });

  it('a warm-up opens the connection (and waits out its set-up) so the request after it reuses it', async () => {
    // Every new connection costs 30 ms before its first request is read (TCP + TLS, emulated).
    const latency = {
      timeToFirstTokenMs: { p50: 0, p95: 0 },
      tokensPerSecond: 0,
      connectionSetupMs: { p50: 30, p95: 30 },
    };
    const emu = await startOpenAiEmulator({ latency });
    try {
      const r = responder(emu);
      const t0 = performance.now();
      await r.warm();
      // A lower bound only: the set-up can make the warm-up slower, never faster.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
      expect(emu.stats()).toMatchObject({ connections: 1, modelRequests: 1 });
      // The pool takes the socket back once the response's end is processed (a turn of the loop).
      await new Promise<void>((resolve) => setImmediate(resolve));
      await collect(r.respond({ callId: 'c1', messages, signal: new AbortController().signal }));
      // The answer went over the warm connection: no second connection, no second set-up.
      expect(emu.stats()).toMatchObject({ streams: 1, connections: 1 });
      await r.close();
    } finally {
      await emu.close();
    }
  });

  it("the emulator reports its process's event-loop delay (what a request waits before it is read)", async () => {
    const emu = await startOpenAiEmulator({ latency: 'none' });
    try {
      // The histogram's timer ticks once, the loop is then held for 60 ms (busy, not a wait),
      // and its next tick records the delay.
      const tick = (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 25));
      await tick();
      const until = performance.now() + 60;
      while (performance.now() < until);
      await tick();
      const lag = emu.stats().eventLoopDelayMs;
      expect(lag.max).toBeGreaterThanOrEqual(40);
      expect(lag.p99).toBeLessThanOrEqual(lag.max);
    } finally {
      await emu.close();
    }
  });

  it('a warm-up against an endpoint that is down resolves quietly (the request reports the outage)', async () => {
    const r = responder(fast, { baseUrl: 'http://127.0.0.1:9/v1' });
    await expect(r.warm()).resolves.toBeUndefined();
    await r.close();
  });

  it('aborting the signal ends the stream quietly and closes the HTTP request', async () => {
    const before = paced.requests().length;
    const ctrl = new AbortController();
    const tokens: string[] = [];
    for await (const d of responder(paced).respond({ callId: 'c2', messages, signal: ctrl.signal })) {
      tokens.push(d);
      if (tokens.length === 2) ctrl.abort();
    }
    expect(tokens).toHaveLength(2);
    const req = paced.requests()[before]!;
    await vi.waitFor(() => expect(req.clientClosed).toBe(true));
    expect(req.completed).toBe(false);
    expect(req.tokensSent).toBeLessThan(expected.split(' ').length);
  });

  it('stopping iteration early also closes the request', async () => {
    const before = paced.requests().length;
    for await (const d of responder(paced).respond({
      callId: 'c2b',
      messages,
      signal: new AbortController().signal,
    })) {
      expect(d).not.toBe('');
      break;
    }
    const req = paced.requests()[before]!;
    await vi.waitFor(() => expect(req.clientClosed).toBe(true));
  });

  it('retries a 429 before the first token and then answers', async () => {
    fast.setFault({ type: 'rate_limit', times: 1, retryAfterSeconds: 0 });
    const before = fast.requests().length;
    const tokens = await collect(
      responder(fast).respond({ callId: 'c3', messages, signal: new AbortController().signal }),
    );
    expect(tokens.join('')).toBe(expected);
    const reqs = fast.requests().slice(before);
    expect(reqs.map((r) => r.status)).toEqual([429, 200]);
  });

  it('retries 500 up to LLM_RETRY_ATTEMPTS and then fails with kind server', async () => {
    fast.setFault({ type: 'server_error' });
    const before = fast.requests().length;
    const { error, tokens } = await failure(
      responder(fast, { retryAttempts: 2 }).respond({
        callId: 'c4',
        messages,
        signal: new AbortController().signal,
      }),
    );
    expect(error.kind).toBe('server');
    expect(error.status).toBe(500);
    expect(error.attempts).toBe(3);
    expect(tokens).toEqual([]);
    expect(fast.requests().length - before).toBe(3);
  });

  it('a persistent 429 ends as rate_limited', async () => {
    fast.setFault({ type: 'rate_limit', retryAfterSeconds: 0 });
    const { error } = await failure(
      responder(fast, { retryAttempts: 1 }).respond({
        callId: 'c4b',
        messages,
        signal: new AbortController().signal,
      }),
    );
    expect(error.kind).toBe('rate_limited');
  });

  it('no first token within the deadline -> timeout, and the request is closed', async () => {
    fast.setFault({ type: 'slow_first_token', delayMs: 5000, times: 1 });
    const before = fast.requests().length;
    const { error } = await failure(
      responder(fast, { firstTokenTimeoutMs: 300 }).respond({
        callId: 'c5',
        messages,
        signal: new AbortController().signal,
      }),
    );
    expect(error.kind).toBe('timeout');
    expect(error.afterFirstToken).toBe(false);
    await vi.waitFor(() => expect(fast.requests()[before]!.clientClosed).toBe(true));
  });

  it('a stall after the first token -> stalled, never retried', async () => {
    fast.setFault({ type: 'stall', afterTokens: 2 });
    const before = fast.requests().length;
    const { error, tokens } = await failure(
      responder(fast, { stallTimeoutMs: 300 }).respond({
        callId: 'c6',
        messages,
        signal: new AbortController().signal,
      }),
    );
    expect(error.kind).toBe('stalled');
    expect(error.afterFirstToken).toBe(true);
    expect(tokens).toHaveLength(2);
    expect(fast.requests().length - before).toBe(1);
    await vi.waitFor(() => expect(fast.requests()[before]!.clientClosed).toBe(true));
  });

  it('a 400 is not retried', async () => {
    const before = fast.requests().length;
    const bad = new OpenAiResponder({
      apiKey: 'k',
      baseUrl: fast.url,
      model: 'gpt-test',
      temperature: 0,
      maxTokens: 10,
      firstTokenTimeoutMs: 2000,
      stallTimeoutMs: 1000,
      retryAttempts: 2,
    });
    const { error } = await failure(
      bad.respond({ callId: 'c7', messages: [], signal: new AbortController().signal }),
    );
    expect(error.kind).toBe('bad_request');
    expect(fast.requests().length - before).toBe(1);
  });

  it('the emulator also answers non-streaming requests through the real client', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: fast.url, maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'שלום' }],
    });
    expect(res.choices[0]?.message.content).toBe(defaultAnswer([{ role: 'user', content: 'שלום' }]));
  });
});

describe('OpenAiResponder.respondEvents: streamed tool calls through the real client', () => {
  let emu: OpenAiEmulator;
  beforeAll(async () => {
    emu = await startOpenAiEmulator({
      latency: { timeToFirstTokenMs: { p50: 5, p95: 10 }, tokensPerSecond: 500 },
      script: ({ messages, tools }) => {
        const last = messages.at(-1);
        if (last?.role === 'tool') return { text: `התור הפנוי: ${last.content}.` };
        if (tools.some((t) => t.name === 'check_availability'))
          return {
            text: 'רגע, אני בודקת.',
            toolCalls: [
              { name: 'check_availability', arguments: { date: '2026-12-02' } },
              { name: 'check_availability', arguments: { date: '2026-12-03' } },
            ],
          };
        return { text: 'אין לי כלים.' };
      },
    });
  });
  afterAll(async () => emu.close());

  const tools = [
    {
      name: 'check_availability',
      description: 'Free slots on a day',
      parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
    },
  ];
  const responder = (): OpenAiResponder =>
    new OpenAiResponder({
      apiKey: 'k',
      baseUrl: emu.url,
      model: 'gpt-test',
      temperature: 0,
      maxTokens: 100,
      firstTokenTimeoutMs: 2000,
      stallTimeoutMs: 1000,
      retryAttempts: 0,
    });

  it('text first, then the assembled calls; the tool results continue the answer', async () => {
    const r = responder();
    const events = [];
    for await (const e of r.respondEvents({
      callId: 'c',
      messages,
      tools,
      signal: new AbortController().signal,
    }))
      events.push(e);
    const last = events.at(-1)!;
    expect(
      events
        .filter((e) => e.type === 'text')
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join(''),
    ).toBe('רגע, אני בודקת.');
    expect(last.type).toBe('tool_calls');
    const calls = last.type === 'tool_calls' ? last.calls : [];
    expect(calls.map((c) => JSON.parse(c.arguments) as unknown)).toEqual([
      { date: '2026-12-02' },
      { date: '2026-12-03' },
    ]);
    const body = emu.requests().at(-1)!.body;
    expect(body['tool_choice']).toBe('auto');
    expect((body['tools'] as { function: { name: string } }[])[0]!.function.name).toBe('check_availability');

    const next: ChatMessage[] = [
      ...messages,
      { role: 'assistant', content: 'רגע, אני בודקת.', toolCalls: calls },
      { role: 'tool', toolCallId: calls[0]!.id, content: '10:00' },
      { role: 'tool', toolCallId: calls[1]!.id, content: 'אין' },
    ];
    const text = await collect(
      r.respond({ callId: 'c', messages: next, signal: new AbortController().signal }),
    );
    expect(text.join('')).toBe('התור הפנוי: אין.');
  });

  it('a tool message that answers no call is the 400 the real API gives (bad_request)', async () => {
    const bad: ChatMessage[] = [...messages, { role: 'tool', toolCallId: 'nope', content: 'x' }];
    const { error } = await failure(
      responder().respond({ callId: 'c', messages: bad, signal: new AbortController().signal }),
    );
    expect(error.kind).toBe('bad_request');
    expect(error.status).toBe(400);
  });
});
