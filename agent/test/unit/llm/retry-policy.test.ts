import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResponderError } from '../../../src/llm/errors.ts';
import { OpenAiResponder } from '../../../src/llm/openai.ts';
import { backoffMs, decideRetry, retryAfterFromHeaders } from '../../../src/llm/retry-policy.ts';

const policy = { retryAttempts: 2, backoffBaseMs: 200, backoffMaxMs: 2000 };
const base = { kind: 'rate_limited' as const, attempt: 0, afterFirstToken: false, remainingMs: 2500 };

describe('decideRetry', () => {
  it('waits the Retry-After when it fits before the deadline', () => {
    expect(decideRetry({ ...base, retryAfterMs: 1000 }, policy)).toEqual({ retry: true, waitMs: 1000 });
  });

  it('never shortens a Retry-After: one longer than the time left fails now', () => {
    // The old rule capped Retry-After at the backoff maximum (2 s) and retried into another 429.
    expect(decideRetry({ ...base, retryAfterMs: 5000 }, policy)).toEqual({ retry: false, reason: 'budget' });
    expect(decideRetry({ ...base, retryAfterMs: 2500 }, policy)).toEqual({ retry: false, reason: 'budget' });
  });

  it('backs off with jitter without a Retry-After, within the budget', () => {
    expect(decideRetry({ ...base, retryAfterMs: undefined }, policy, () => 0)).toEqual({
      retry: true,
      waitMs: 100,
    });
    expect(backoffMs(3, 200, 2000, () => 1)).toBe(1600);
    expect(backoffMs(5, 200, 2000, () => 1)).toBe(2000);
    expect(decideRetry({ ...base, remainingMs: 50, retryAfterMs: undefined }, policy, () => 1)).toEqual({
      retry: false,
      reason: 'budget',
    });
  });

  it('does not retry after the first token, a kind not worth it, or past the attempts', () => {
    const r = { ...base, retryAfterMs: 100 };
    expect(decideRetry({ ...r, afterFirstToken: true }, policy)).toEqual({
      retry: false,
      reason: 'not_retryable',
    });
    expect(decideRetry({ ...r, kind: 'bad_request' }, policy)).toEqual({
      retry: false,
      reason: 'not_retryable',
    });
    expect(decideRetry({ ...r, kind: 'timeout' }, policy)).toEqual({ retry: false, reason: 'not_retryable' });
    expect(decideRetry({ ...r, attempt: 2 }, policy)).toEqual({ retry: false, reason: 'attempts' });
    expect(decideRetry({ ...r, kind: 'server' }, policy).retry).toBe(true);
  });

  it('reads retry-after-ms, retry-after seconds and an HTTP date', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '350' }))).toBe(350);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterFromHeaders(undefined)).toBeUndefined();
    const at = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': at }))).toBeGreaterThan(50_000);
  });
});

/** OpenAI's 429 as the API sends it: JSON error, Retry-After and the rate-limit headers. */
function rateLimited(retryAfterS: number): Response {
  return new Response(
    JSON.stringify({
      error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
    }),
    {
      status: 429,
      headers: {
        'content-type': 'application/json',
        'retry-after': String(retryAfterS),
        'x-ratelimit-remaining-requests': '0',
      },
    },
  );
}

function sse(text: string): Response {
  const chunk = {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
  };
  return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
  });
}

describe('OpenAiResponder on a 429 (fake time)', () => {
  afterEach(() => vi.useRealTimers());

  function responder(responses: (() => Response)[]): { r: OpenAiResponder; requests: () => number } {
    let n = 0;
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: 'http://openai.invalid/v1',
      maxRetries: 0,
      fetch: () => Promise.resolve((responses[Math.min(n++, responses.length - 1)] as () => Response)()),
    });
    const r = new OpenAiResponder({
      apiKey: 'k',
      model: 'm',
      temperature: 0,
      maxTokens: 10,
      firstTokenTimeoutMs: 2500,
      stallTimeoutMs: 3000,
      retryAttempts: 2,
      client,
    });
    return { r, requests: () => n };
  }

  async function collect(r: OpenAiResponder): Promise<{ text: string; error: unknown; atMs: number }> {
    const t0 = performance.now();
    let text = '';
    let error: unknown;
    const run = (async () => {
      try {
        for await (const d of r.respond({
          callId: 'c',
          messages: [{ role: 'user', content: 'שלום' }],
          signal: new AbortController().signal,
        }))
          text += d;
      } catch (e) {
        error = e;
      }
    })();
    for (let i = 0; i < 60; i++) await vi.advanceTimersByTimeAsync(100);
    await run;
    return { text, error, atMs: performance.now() - t0 };
  }

  it('waits out Retry-After 1 s and answers on the retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { r, requests } = responder([() => rateLimited(1), () => sse('כן.')]);
    const { text, error } = await collect(r);
    expect(error).toBeUndefined();
    expect(text).toBe('כן.');
    expect(requests()).toBe(2);
  });

  it('fails at once when Retry-After does not fit before the first-token deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { r, requests } = responder([() => rateLimited(5), () => sse('כן.')]);
    const t0 = performance.now();
    let failedAt: number | undefined;
    let error: unknown;
    const run = (async () => {
      try {
        for await (const _ of r.respond({
          callId: 'c',
          messages: [{ role: 'user', content: 'שלום' }],
          signal: new AbortController().signal,
        }))
          void _;
      } catch (e) {
        error = e;
        failedAt = performance.now() - t0;
      }
    })();
    for (let i = 0; i < 40; i++) await vi.advanceTimersByTimeAsync(100);
    await run;
    // Old code: Retry-After shortened to 2 s, a second request refused again, the error at ~2 s.
    expect(requests()).toBe(1);
    expect(error).toBeInstanceOf(ResponderError);
    expect((error as ResponderError).kind).toBe('rate_limited');
    expect(failedAt).toBeLessThan(200);
  });
});
