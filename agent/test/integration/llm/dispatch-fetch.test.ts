// The openai SDK's fetch on undici's dispatcher API (src/llm/dispatch-fetch.ts) held to undici's
// own WHATWG fetch on the same raw HTTP exchanges: the same bytes on the wire, the same response
// view, the same errors for an abort, a connection refused and a server that closes mid-body, and
// through the responder: 429/500 with Retry-After retried, a body not read to its end cancelled.
import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { createDispatchFetch } from '../../../src/llm/dispatch-fetch.ts';
import { feedBody, type BodyFeed } from '../../../src/llm/body-feed.ts';
import { OpenAiResponder } from '../../../src/llm/openai.ts';
import { ResponderError } from '../../../src/llm/errors.ts';
import { retryAfterFromHeaders } from '../../../src/llm/retry-policy.ts';

type Respond = (socket: net.Socket, request: string, index: number) => void;

/** A raw HTTP/1.1 server: the test writes each response's bytes itself. */
interface RawServer {
  readonly url: string;
  readonly requests: string[];
  /** Resolves when the n-th accepted connection (0-based) is closed. */
  closed(n: number): Promise<void>;
  readonly connections: () => number;
  respond: Respond;
  close(): Promise<void>;
}

async function startRaw(): Promise<RawServer> {
  const closes: Promise<void>[] = [];
  const sockets = new Set<net.Socket>();
  const raw: RawServer = {
    url: '',
    requests: [],
    closed: (n) => closes[n] ?? Promise.reject(new Error(`no connection ${n}`)),
    connections: () => closes.length,
    respond: () => undefined,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    closes.push(new Promise((r) => socket.once('close', () => r())));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/iu.exec(buf.slice(0, head))?.[1] ?? 0);
        if (buf.length < head + 4 + length) return;
        const request = buf.slice(0, head + 4 + length);
        buf = buf.slice(head + 4 + length);
        raw.requests.push(request);
        raw.respond(socket, request, raw.requests.length - 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return Object.assign(raw, { url: `http://127.0.0.1:${port}` });
}

function head(status: string, headers: readonly string[]): string {
  return `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}
const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const event = (text: string): string =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const SSE_HEAD = head('200 OK', ['content-type: text/event-stream', 'transfer-encoding: chunked']);

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

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
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
