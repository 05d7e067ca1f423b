// The openai SDK's fetch on undici's dispatcher API (src/llm/dispatch-fetch.ts) held to undici's
// own WHATWG fetch on the same raw HTTP exchanges: the same bytes on the wire, the same response
// view, the same errors for an abort, a timeout, a connection refused and a server that closes
// mid-body, and a body cancelled before its end closes its connection (dispatch-responder.test.ts:
// the same through the responder).
import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { createDispatchFetch } from '../../../src/llm/dispatch-fetch.ts';
import { feedBody, type BodyFeed } from '../../../src/llm/body-feed.ts';
import { retryAfterFromHeaders } from '../../../src/llm/retry-policy.ts';
import { chunk, event, head, rejection, SSE_HEAD, startRaw, type RawServer } from './raw-http.ts';

let raw: RawServer;
let agent: Agent | undefined;
const fetches = (): [string, typeof fetch][] => [
  [
    'undici fetch',
    ((u: string, i: RequestInit) => undiciFetch(u, { ...i, dispatcher: agent } as never)) as never,
  ],
  ['dispatch fetch', createDispatchFetch(agent!)],
];
const client = (f: typeof fetch): OpenAI =>
  new OpenAI({ apiKey: 'k', baseURL: `${raw.url}/v1`, maxRetries: 0, fetch: f });
const question = [{ role: 'user' as const, content: 'שלום' }];
const POST = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };

/** What a caller can see of a rejection: its class, message and the cause's class and code. */
function shape(e: unknown): Record<string, unknown> {
  const err = e as Error & { cause?: Error & { code?: string } };
  return {
    type: err.constructor.name,
    name: err.name,
    message: err.message,
    cause: err.cause?.constructor.name,
    code: err.cause?.code,
  };
}

beforeAll(async () => {
  raw = await startRaw();
});
afterAll(async () => {
  await raw.close();
});
afterEach(async () => {
  await agent?.destroy();
  agent = undefined;
});

describe('dispatch fetch, side by side with undici fetch', () => {
  it('puts the same request bytes on the wire for a streamed completion and a model list', async () => {
    agent = new Agent();
    raw.respond = (s, req) =>
      s.write(
        req.startsWith('GET')
          ? head('200 OK', ['content-type: application/json', 'content-length: 25']) +
              '{"object":"list","data":[]}'.slice(0, 25)
          : SSE_HEAD + chunk(event('x')) + chunk('data: [DONE]\n\n') + '0\r\n\r\n',
      );
    const from = raw.requests.length;
    for (const [, f] of fetches()) {
      const r = await client(f)
        .chat.completions.create({ model: 'm', messages: question, stream: true })
        .asResponse();
      await r.text();
      await client(f)
        .models.list()
        .asResponse()
        .then((m) => m.text());
    }
    const [fetchPost, fetchGet, ourPost, ourGet] = raw.requests.slice(from);
    expect(fetchPost).toContain('accept-encoding: gzip, deflate\r\n');
    expect(ourPost).toBe(fetchPost);
    expect(ourGet).toBe(fetchGet);
  });

  it('shows the same status, headers (repeated, set-cookie) and body, and decodes gzip, deflate and br', async () => {
    agent = new Agent();
    const text = 'שלום עולם '.repeat(50);
    const encoded: Record<string, Buffer> = {
      identity: Buffer.from(text),
      gzip: zlib.gzipSync(text),
      deflate: zlib.deflateSync(text),
      br: zlib.brotliCompressSync(text),
      'gzip, br': zlib.brotliCompressSync(zlib.gzipSync(text)),
    };
    for (const [coding, body] of Object.entries(encoded)) {
      raw.respond = (s) =>
        s.write(
          Buffer.concat([
            Buffer.from(
              head('404 Not Found', [
                'content-type: application/json',
                'x-dup: 1',
                'x-dup: 2',
                'set-cookie: a=1',
                'set-cookie: b=2',
                `content-encoding: ${coding}`,
                `content-length: ${body.length}`,
              ]),
            ),
            body,
          ]),
        );
      const seen = [];
      for (const [, f] of fetches()) {
        const r = await f(`${raw.url}/v1/x?q=1`, POST);
        seen.push({
          status: r.status,
          statusText: r.statusText,
          ok: r.ok,
          url: r.url,
          headers: [...r.headers.entries()],
          cookies: r.headers.getSetCookie(),
          text: await r.text(),
          // The same body read through the web stream (`body`), chunk by chunk.
          streamed: await new Response((await f(`${raw.url}/v1/x?q=1`, POST)).body).text(),
        });
      }
      expect(seen[1], coding).toEqual(seen[0]);
      expect(seen[1]!.text).toBe(text);
      expect(seen[1]!.streamed).toBe(text);
    }
  });

  it('abort before the response: both reject with the signal reason; the SDK says APIUserAbortError', async () => {
    agent = new Agent();
    raw.respond = () => undefined; // never answers
    for (const [name, f] of fetches()) {
      const ctrl = new AbortController();
      const p = f(`${raw.url}/v1/x`, { ...POST, signal: ctrl.signal });
      const reason = new Error('gone');
      setImmediate(() => ctrl.abort(reason));
      expect(await rejection(p), name).toBe(reason);
      const sdk = new AbortController();
      const q = client(f).chat.completions.create(
        { model: 'm', messages: question, stream: true },
        { signal: sdk.signal },
      );
      setImmediate(() => sdk.abort());
      expect(await rejection(q), name).toBeInstanceOf(OpenAI.APIUserAbortError);
    }
  });

  it("the SDK's own timeout before the response: APIConnectionTimeoutError with both (fake time)", async () => {
    agent = new Agent();
    raw.respond = () => undefined; // never answers
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      for (const [name, f] of fetches()) {
        const sdk = new OpenAI({
          apiKey: 'k',
          baseURL: `${raw.url}/v1`,
          maxRetries: 0,
          timeout: 1000,
          fetch: f,
        });
        const p = rejection(sdk.chat.completions.create({ model: 'm', messages: question, stream: true }));
        await vi.advanceTimersByTimeAsync(999);
        let settled = false;
        void p.then(() => (settled = true));
        await vi.advanceTimersByTimeAsync(0);
        expect(settled, name).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect(await p, name).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('abort mid-body: the read fails with the signal reason (also fed as chunks) and the connection is closed', async () => {
    agent = new Agent();
    raw.respond = (s) => s.write(SSE_HEAD + chunk(event('a')));
    for (const [name, f] of fetches()) {
      const ctrl = new AbortController();
      const r = await f(`${raw.url}/v1/x`, { ...POST, signal: ctrl.signal });
      const reader = r.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      const conn = raw.connections() - 1;
      const reason = new DOMException('stop', 'AbortError');
      ctrl.abort(reason);
      expect(await rejection(reader.read()), name).toBe(reason);
      await raw.closed(conn);
    }
    // The chunk feed completion-body.ts reads.
    const ctrl = new AbortController();
    const r = await createDispatchFetch(agent!)(`${raw.url}/v1/x`, { ...POST, signal: ctrl.signal });
    const got: unknown[] = [];
    const failed = new Promise((resolve) => {
      feedBody(r, {
        data: (c) => {
          got.push(Buffer.from(c).toString());
          ctrl.abort();
        },
        end: () => resolve('end'),
        error: resolve,
      });
    });
    expect(await failed).toBe(ctrl.signal.reason);
    expect(got.join('')).toContain('"content":"a"');
  });

  it('a body cancelled before its end closes the connection (web body, and fed as chunks)', async () => {
    agent = new Agent();
    raw.respond = (s) => s.write(SSE_HEAD + chunk(event('a'))); // never ends
    for (const [name, f] of fetches()) {
      const r = await f(`${raw.url}/v1/x`, POST);
      const conn = raw.connections() - 1;
      const reader = r.body!.getReader();
      expect((await reader.read()).done, name).toBe(false);
      await reader.cancel();
      await raw.closed(conn);
    }
    const r = await createDispatchFetch(agent!)(`${raw.url}/v1/x`, POST);
    const conn = raw.connections() - 1;
    expect(r.body).not.toBeNull(); // looking at the web body does not use it (as fetch)
    const feed = await new Promise<BodyFeed>((resolve) => {
      const f: BodyFeed = feedBody(r, {
        data: () => resolve(f),
        end: () => undefined,
        error: () => undefined,
      })!;
    });
    feed.cancel();
    await raw.closed(conn);
  });

  it('server closes mid-body: TypeError terminated with the socket error as its cause, as fetch', async () => {
    agent = new Agent();
    raw.respond = (s) => s.write(SSE_HEAD + chunk(event('a')), () => setImmediate(() => s.destroy()));
    const seen = [];
    for (const [, f] of fetches()) {
      const r = await f(`${raw.url}/v1/x`, POST);
      seen.push(shape(await rejection(r.text())));
    }
    expect(seen[0]).toMatchObject({ type: 'TypeError', message: 'terminated', cause: 'SocketError' });
    expect(seen[1]).toEqual(seen[0]);
  });

  it('connection refused: TypeError fetch failed (ECONNREFUSED), the SDK APIConnectionError', async () => {
    agent = new Agent();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((r) => probe.close(r));
    const seen = [];
    for (const [, f] of fetches()) {
      seen.push(shape(await rejection(f(`http://127.0.0.1:${port}/v1/x`, POST))));
      const sdk = new OpenAI({
        apiKey: 'k',
        baseURL: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
        fetch: f,
      });
      const e = await rejection(sdk.models.list());
      expect(e).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(e).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      seen.push(shape(e));
    }
    expect(seen[0]).toEqual({
      type: 'TypeError',
      name: 'TypeError',
      message: 'fetch failed',
      cause: 'Error',
      code: 'ECONNREFUSED',
    });
    expect(seen.slice(2)).toEqual(seen.slice(0, 2));
  });

  it('429 and 500: the SDK error carries the status and the Retry-After headers, as with fetch', async () => {
    agent = new Agent();
    const body = '{"error":{"message":"slow down","type":"rate_limit"}}';
    for (const [status, header, ms] of [
      ['429 Too Many Requests', 'retry-after: 2', 2000],
      ['500 Internal Server Error', 'retry-after-ms: 7', 7],
    ] as const) {
      raw.respond = (s) =>
        s.write(
          head(status, ['content-type: application/json', header, `content-length: ${body.length}`]) + body,
        );
      const seen = [];
      for (const [, f] of fetches()) {
        const e = (await rejection(
          client(f).chat.completions.create({ model: 'm', messages: question, stream: true }),
        )) as InstanceType<typeof OpenAI.APIError>;
        seen.push({ ...shape(e), status: e.status, retryAfter: retryAfterFromHeaders(e.headers) });
      }
      expect(seen[0]).toMatchObject({
        status: Number(status.slice(0, 3)),
        retryAfter: ms,
        message: `${status.slice(0, 3)} slow down`,
      });
      expect(seen[1]).toEqual(seen[0]);
    }
  });
});
