// The chat completion body reader (src/llm/completion-body.ts, src/llm/sse.ts) against the openai
// SDK's own Stream.fromSSEResponse on the same bytes, cut into chunks at every kind of place
// (inside a line ending, inside a Hebrew letter, one byte at a time): the same chunk objects in
// the same order, and the same error where the SDK throws one.
import { Stream } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { CompletionBody, END, PENDING } from '../../../src/llm/completion-body.ts';
import { StreamWatchdog } from '../../../src/llm/deadline.ts';
import { SseDecoder, type SseEvent } from '../../../src/llm/sse.ts';

const enc = new TextEncoder();

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
}

/** The emulator's shape (src/sim/openai/completion.ts): role, tokens, finish, [DONE]. */
const answer =
  [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'שלום' }),
    chunk({ content: ', מה ' }),
    chunk({ content: 'שלומך? 😀' }),
    chunk({}, 'stop'),
  ]
    .map((c) => `data: ${c}\n\n`)
    .join('') + 'data: [DONE]\n\n';

const bodies: Record<string, string> = {
  answer,
  crlf: answer.replaceAll('\n', '\r\n'),
  'bare cr': answer.replaceAll('\n', '\r'),
  'comments, ids, retry, unknown fields and events':
    `: keep-alive\n\nid: 7\nretry: 100\nevent: message\ndata:${chunk({ content: 'א' })}\n\n` +
    `foo: bar\ndata: ${chunk({ content: 'ב' })}\n\n:\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n`,
  'data over two lines': `data: {"choices":[{"delta":\ndata: {"content":"x"}}]}\n\ndata: [DONE]\n\n`,
  'no blank line at the end': `data: ${chunk({ content: 'a' })}\n\ndata: ${chunk({ content: 'b' })}`,
  'no line end at all': `data: ${chunk({ content: 'a' })}`,
  'no [DONE]': `data: ${chunk({ content: 'a' })}\n\n`,
  'events after [DONE] are ignored': `data: ${chunk({ content: 'a' })}\n\ndata: [DONE]\n\ndata: ${chunk({ content: 'b' })}\n\n`,
  'thread events pass': `event: thread.run.created\ndata: {"id":"r"}\n\ndata: ${chunk({ content: 'a' })}\n\n`,
  'an error event': `data: ${chunk({ content: 'a' })}\n\nevent: error\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n`,
  'an error event without error field': `event: error\ndata: {"message":"boom"}\n\n`,
  'an error in the data': `data: {"error":{"message":"bad","code":"x"}}\n\n`,
  'malformed JSON': `data: ${chunk({ content: 'a' })}\n\ndata: {"choices":\n\n`,
  'an event name without data': `event: ping\n\ndata: ${chunk({ content: 'a' })}\n\n`,
  'data: with nothing after it': `data:\n\ndata: ${chunk({ content: 'a' })}\n\n`,
  'a data line without a colon': `data\n\n`,
  empty: '',
};
// Every case with \r\n and with bare \r line ends too.
for (const [name, text] of Object.entries(bodies)) {
  bodies[`${name} (crlf)`] = text.replaceAll('\n', '\r\n');
  bodies[`${name} (cr)`] = text.replaceAll('\n', '\r');
}

/** Cuts bytes into chunks: at every position given, or one byte at a time. */
function cut(bytes: Uint8Array, sizes: (i: number) => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

function responseOf(chunks: Uint8Array[]): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

type Outcome = { items: unknown[]; error?: string };

async function viaSdk(chunks: Uint8Array[]): Promise<Outcome> {
  const items: unknown[] = [];
  const quiet = { error: () => undefined } as unknown as ConstructorParameters<typeof Stream>[2];
  try {
    const s = Stream.fromSSEResponse(responseOf(chunks), new AbortController(), quiet);
    for await (const item of s) items.push(item);
  } catch (e) {
    return { items, error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
  return { items };
}

async function viaBody(chunks: Uint8Array[]): Promise<Outcome> {
  const items: unknown[] = [];
  const ctrl = new AbortController();
  const watchdog = new StreamWatchdog(ctrl, 1000);
  try {
    const body = new CompletionBody(responseOf(chunks), ctrl);
    for (;;) {
      let item = body.take();
      if (item === PENDING) {
        await body.fill(watchdog);
        item = body.take();
      }
      if (item === END) break;
      items.push(item);
    }
  } catch (e) {
    return { items, error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
  return { items };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the completion body reader gives what the openai SDK gives', () => {
  for (const [name, text] of Object.entries(bodies)) {
    it(name, async () => {
      const bytes = enc.encode(text);
      const cuts: Uint8Array[][] = [[bytes], cut(bytes, () => 1), cut(bytes, () => 3), cut(bytes, () => 7)];
      for (let seed = 1; seed <= 12; seed++) {
        const r = rng(seed);
        cuts.push(cut(bytes, () => 1 + Math.floor(r() * 40)));
      }
      const reference = await viaSdk([bytes]);
      for (const chunks of cuts) {
        const sdk = await viaSdk(chunks);
        expect(sdk).toEqual(reference); // the SDK itself does not depend on the cut
        expect(await viaBody(chunks)).toEqual(sdk);
      }
    });
  }

  it('the reference outcomes are what the cases say (the comparison is not vacuous)', async () => {
    expect((await viaSdk([enc.encode(answer)])).items).toHaveLength(5);
    expect((await viaSdk([enc.encode(bodies['an error event']!)])).error).toMatch(/APIError: .*overloaded/);
    expect((await viaSdk([enc.encode(bodies['malformed JSON']!)])).error).toMatch(/^SyntaxError/);
    expect((await viaBody([enc.encode(bodies['bare cr']!)])).items).toHaveLength(5);
  });
});

describe('SseDecoder', () => {
  it('keeps a \\r\\n split over two chunks as one line end', () => {
    const d = new SseDecoder();
    const out: SseEvent[] = [];
    d.push(enc.encode('data: a\r'), out);
    d.push(enc.encode('\n\r'), out);
    d.push(enc.encode('\ndata: b\r\n\r\n'), out);
    d.end(out);
    expect(out).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
    ]);
  });

  it('decodes a letter whose bytes arrive in different chunks', () => {
    const d = new SseDecoder();
    const out: SseEvent[] = [];
    const bytes = enc.encode('data: ש\n\n');
    d.push(bytes.subarray(0, 7), out);
    d.push(bytes.subarray(7), out);
    expect(out).toEqual([{ event: null, data: 'ש' }]);
  });
});

describe('CompletionBody', () => {
  it('an abort while reading ends the answer quietly, dropping what was buffered', async () => {
    const ctrl = new AbortController();
    const body = new CompletionBody(
      responseOf([enc.encode(`data: ${chunk({ content: 'a' })}\n\ndata: ${chunk({ content: 'b' })}\n\n`)]),
      ctrl,
    );
    await body.fill(new StreamWatchdog(ctrl, 1000));
    expect(body.take()).not.toBe(END);
    ctrl.abort();
    expect(body.take()).toBe(END);
  });
});
