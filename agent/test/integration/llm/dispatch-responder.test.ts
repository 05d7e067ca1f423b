// The OpenAI responder over dispatch fetch (src/llm/dispatch-fetch.ts) against raw HTTP exchanges:
// 429/500 with Retry-After, a Retry-After that does not fit, a server that closes mid-body, a body
// not read to its end, and a long answer read slowly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiResponder } from '../../../src/llm/openai.ts';
import { ResponderError } from '../../../src/llm/errors.ts';
import { chunk, event, head, rejection, SSE_HEAD, startRaw, type RawServer } from './raw-http.ts';

let raw: RawServer;
beforeAll(async () => {
  raw = await startRaw();
});
afterAll(async () => {
  await raw.close();
});

const responder = (retryAttempts = 0): OpenAiResponder =>
  new OpenAiResponder({
    apiKey: 'k',
    baseUrl: `${raw.url}/v1`,
    model: 'm',
    temperature: 0,
    maxTokens: 50,
    firstTokenTimeoutMs: 5000,
    stallTimeoutMs: 5000,
    retryAttempts,
    backoffBaseMs: 1,
  });
const question = [{ role: 'user' as const, content: 'שלום' }];

describe('the responder over dispatch fetch', () => {
  async function collect(it: AsyncIterable<string>, stopAfter = Infinity): Promise<string[]> {
    const out: string[] = [];
    for await (const t of it) {
      out.push(t);
      if (out.length >= stopAfter) break;
    }
    return out;
  }

  it('429 (Retry-After 0) then 500 (retry-after-ms 1) then an answer: retried as the server asked', async () => {
    const r = responder(2);
    const err = '{"error":{"message":"busy"}}';
    raw.respond = (s, _req, i) => {
      const n = i - from;
      if (n === 0)
        s.write(head('429 Too Many Requests', ['retry-after: 0', `content-length: ${err.length}`]) + err);
      else if (n === 1)
        s.write(
          head('500 Internal Server Error', ['retry-after-ms: 1', `content-length: ${err.length}`]) + err,
        );
      else s.write(SSE_HEAD + chunk(event('שלום')) + chunk('data: [DONE]\n\n') + '0\r\n\r\n');
    };
    const from = raw.requests.length;
    expect(
      await collect(r.respond({ callId: 'c', messages: question, signal: new AbortController().signal })),
    ).toEqual(['שלום']);
    expect(raw.requests.length - from).toBe(3);
    await r.close();
  });

  it('429 with a Retry-After that does not fit before the first-token deadline: fails at once, no retry', async () => {
    // Before dispatch fetch, undici's fetch gave the SDK undici's own Headers class, which
    // retryAfterFromHeaders did not take for headers: Retry-After was ignored and backoff retried.
    const r = responder(2);
    const err = '{"error":{"message":"busy"}}';
    raw.respond = (s) =>
      s.write(head('429 Too Many Requests', ['retry-after: 30', `content-length: ${err.length}`]) + err);
    const from = raw.requests.length;
    const e = await rejection(
      collect(r.respond({ callId: 'c', messages: question, signal: new AbortController().signal })),
    );
    expect(e).toMatchObject({ kind: 'rate_limited', status: 429, attempts: 1 });
    expect(raw.requests.length - from).toBe(1);
    await r.close();
  });

  it('the server closes mid-body after the first token: a network error, not retried', async () => {
    const r = responder(2);
    raw.respond = (s) => s.write(SSE_HEAD + chunk(event('a')), () => setImmediate(() => s.destroy()));
    const from = raw.requests.length;
    const tokens: string[] = [];
    const e = await rejection(
      (async () => {
        for await (const t of r.respond({
          callId: 'c',
          messages: question,
          signal: new AbortController().signal,
        }))
          tokens.push(t);
      })(),
    );
    expect(e).toBeInstanceOf(ResponderError);
    expect(e).toMatchObject({ kind: 'network', afterFirstToken: true });
    expect(tokens).toEqual(['a']);
    expect(raw.requests.length - from).toBe(1);
    await r.close();
  });

  it('a body not read to its end (the consumer stops, or [DONE] before the end) closes its request', async () => {
    const r = responder();
    raw.respond = (s) => s.write(SSE_HEAD + chunk(event('a') + event('b')) + chunk('data: [DONE]\n\n')); // never ends
    const first = raw.connections();
    expect(
      await collect(r.respond({ callId: 'c', messages: question, signal: new AbortController().signal }), 1),
    ).toEqual(['a']);
    await raw.closed(first);
    expect(
      await collect(r.respond({ callId: 'c', messages: question, signal: new AbortController().signal })),
    ).toEqual(['a', 'b']);
    await raw.closed(first + 1);
    await r.close();
  });

  it('a long answer read slowly arrives whole and in order (the feed pauses and resumes)', async () => {
    const r = responder();
    const words = Array.from({ length: 1500 }, (_, i) => `w${i} `);
    raw.respond = (s) =>
      s.write(SSE_HEAD + chunk(words.map(event).join('')) + chunk('data: [DONE]\n\n') + '0\r\n\r\n');
    const got: string[] = [];
    for await (const t of r.respond({
      callId: 'c',
      messages: question,
      signal: new AbortController().signal,
    })) {
      got.push(t);
      if (got.length % 100 === 0) await new Promise((done) => setImmediate(done));
    }
    expect(got).toEqual(words);
    await r.close();
  });
});
