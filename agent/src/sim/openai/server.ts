// An OpenAI-compatible chat.completions server for tests, benchmarks and the offline demo: SSE
// streaming (and plain JSON), a latency profile (log-normal time to first token, tokens per
// second), deterministic Hebrew answers, and faults on demand (429 + Retry-After, 5xx, a stall
// mid-stream, a slow first token), and tool calls streamed the way OpenAI streams them (id and
// name first, the JSON arguments in fragments, finish_reason tool_calls), scripted by rules on the
// conversation. It speaks the real wire protocol so the real `openai` client runs.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadReferenceProfile, logNormalSampler, seededRandom } from '../profile.ts';
import { argumentFragments, checkToolMessages, parseTools, resolveReply, type ScriptInput } from './tools.ts';

export type { DeclaredTool, ScriptInput, ScriptedReply } from './tools.ts';
export * from './types.ts';
import {
  defaultAnswer,
  tokenize,
  type ChatMessageIn,
  type OpenAiEmulator,
  type OpenAiEmulatorOptions,
  type OpenAiFault,
  type OpenAiLatency,
  type RecordedRequest,
} from './types.ts';

const LATE_TOLERANCE_MS = 2;

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > limit) reject(new Error('body too large'));
      else parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Waits `ms`, or less if the client goes away (so an aborted request frees the server at once). */
function wait(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

export async function startOpenAiEmulator(options: OpenAiEmulatorOptions = {}): Promise<OpenAiEmulator> {
  const random = seededRandom(options.seed ?? 1);
  const latency: OpenAiLatency =
    options.latency === 'none'
      ? { timeToFirstTokenMs: { p50: 0, p95: 0 }, tokensPerSecond: 0 }
      : options.latency === undefined || options.latency === 'reference'
        ? loadReferenceProfile().llm
        : options.latency;
  const firstToken = logNormalSampler(latency.timeToFirstTokenMs, random);
  const tokenGapMs = latency.tokensPerSecond > 0 ? 1000 / latency.tokensPerSecond : 0;
  const answer = options.answer ?? defaultAnswer;
  const recorded: RecordedRequest[] = [];
  let fault: (OpenAiFault & { remaining: number }) | null = null;
  let counter = 0;

  const stats = {
    streams: 0,
    lateFirstTokens: 0,
    firstTokenLateMsMax: 0,
    firstTokenLateMs: [] as number[],
    connections: 0,
    modelRequests: 0,
    coldRequests: 0,
    coldChats: 0,
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // The histogram's delay includes its own sampling interval.
  const loopMs = (ns: number): number => (loopDelay.count === 0 ? 0 : Math.max(0, ns / 1e6 - 10));
  const setupCost =
    latency.connectionSetupMs === undefined ? undefined : logNormalSampler(latency.connectionSetupMs, random);
  /** When each connection's (emulated) handshake is over: requests on it are read from then on. */
  const readyAt = new WeakMap<object, number>();
  /** A request on a connection still in its handshake waits for it (what TLS set-up costs). */
  const awaitHandshake = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ready = readyAt.get(req.socket) ?? 0;
    if (ready <= performance.now()) return;
    stats.coldRequests++;
    if (req.method === 'POST') stats.coldChats++;
    await wait(ready - performance.now(), res);
  };
  /** The first token left later than due (event loop busy): the emulator's own cost. */
  const noteFirstToken = (due: number, sentAt: number): void => {
    stats.streams++;
    const late = sentAt - due;
    if (late <= LATE_TOLERANCE_MS) return;
    stats.lateFirstTokens++;
    stats.firstTokenLateMsMax = Math.max(stats.firstTokenLateMsMax, late);
    stats.firstTokenLateMs.push(late);
    if (stats.firstTokenLateMs.length > 10_000) stats.firstTokenLateMs.shift();
  };

  const takeFault = (messages: readonly ChatMessageIn[]): OpenAiFault | null => {
    if (!fault || (fault.when && !fault.when(messages))) return null;
    const f = fault;
    if (--f.remaining <= 0) fault = null;
    return f;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await awaitHandshake(req, res);
    // Delays count from the request's arrival, so body parsing is not added to the profile.
    const arrivedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const modelId = /^\/v1\/models\/([^/]+)$/u.exec(url.pathname)?.[1];
    if (req.method === 'GET' && modelId !== undefined) {
      // Retrieve a model (what a connection warm-up asks for).
      stats.modelRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ id: decodeURIComponent(modelId), object: 'model', created: 0, owned_by: 'hva' }),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      stats.modelRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: 'emulator', object: 'model', created: 0, owned_by: 'hva' }],
        }),
      );
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return sendError(
        res,
        404,
        `Unknown request URL: ${req.method} ${url.pathname}.`,
        'invalid_request_error',
        'unknown_url',
      );
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return sendError(
        res,
        400,
        'We could not parse the JSON body of your request.',
        'invalid_request_error',
        null,
      );
    }
    const id = `chatcmpl-emu${++counter}`;
    const record: RecordedRequest = {
      id,
      body,
      receivedAt: Date.now(),
      status: 200,
      tokensSent: 0,
      completed: false,
      clientClosed: false,
    };
    recorded.push(record);
    res.on('close', () => {
      if (!record.completed) record.clientClosed = true;
    });
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0 || typeof body['model'] !== 'string') {
      record.status = 400;
      return sendError(
        res,
        400,
        "Missing required parameters: 'model' and a non-empty 'messages'.",
        'invalid_request_error',
        null,
      );
    }
    const f: OpenAiFault | null =
      takeFault(messages as ChatMessageIn[]) ?? options.faultHook?.request() ?? null;
    const arrivedAtEpoch = options.faultHook?.now() ?? 0;
    res.on('finish', () => {
      if (record.completed) options.faultHook?.completed(arrivedAtEpoch);
    });
    if (f?.type === 'rate_limit') {
      record.status = 429;
      return sendError(
        res,
        429,
        'Rate limit reached for requests (emulator).',
        'requests',
        'rate_limit_exceeded',
        {
          'retry-after': String(f.retryAfterSeconds ?? 0),
          // What OpenAI sends beside it (headers of the exhausted limit).
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${f.retryAfterSeconds ?? 0}s`,
        },
      );
    }
    if (f?.type === 'server_error') {
      record.status = f.status ?? 500;
      return sendError(
        res,
        record.status,
        'The server had an error while processing your request (emulator).',
        'server_error',
        null,
      );
    }
    const tools = parseTools(body['tools']);
    const pairing = typeof tools === 'string' ? tools : checkToolMessages(messages as ChatMessageIn[]);
    if (typeof tools === 'string' || pairing !== undefined) {
      record.status = 400;
      return sendError(res, 400, pairing ?? 'invalid tools', 'invalid_request_error', null);
    }
    const choice = body['tool_choice'];
    const input: ScriptInput = {
      messages: messages as ChatMessageIn[],
      tools,
      toolChoice: choice === 'none' || choice === 'required' ? choice : 'auto',
    };
    const reply = options.script
      ? resolveReply(options.script(input), input, `call_${id.slice('chatcmpl-'.length)}`)
      : { text: answer(messages as ChatMessageIn[]), calls: [] };
    const model = body['model'];
    const tokens = tokenize(reply.text);
    /** What is streamed after the text: per call, its head (id, name), then argument fragments. */
    const callChunks: Record<string, unknown>[] = reply.calls.flatMap((c, index) => [
      { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } },
      ...argumentFragments(c.arguments).map((arguments_) => ({ index, function: { arguments: arguments_ } })),
    ]);
    const finishReason = reply.calls.length > 0 ? 'tool_calls' : 'stop';
    const closed = (): boolean => record.clientClosed || res.destroyed;
    const ttft = f?.type === 'slow_first_token' ? f.delayMs : firstToken();
    const created = Math.floor(Date.now() / 1000);
    /** Token i is due at arrival + TTFT + i token gaps: timer lateness does not accumulate. */
    const dueAt = (i: number): number => arrivedAt + ttft + tokenGapMs * i;
    const waitUntil = (at: number): Promise<void> => wait(at - performance.now(), res);

    if (body['stream'] !== true) {
      await waitUntil(dueAt(tokens.length));
      if (closed()) return;
      const content = tokens.join('').trim();
      record.tokensSent = tokens.length + callChunks.length;
      record.completed = true;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: content === '' ? null : content,
                refusal: null,
                ...(reply.calls.length > 0
                  ? {
                      tool_calls: reply.calls.map((c) => ({
                        id: c.id,
                        type: 'function',
                        function: { name: c.name, arguments: c.arguments },
                      })),
                    }
                  : {}),
              },
              finish_reason: finishReason,
              logprobs: null,
            },
          ],
          usage: { prompt_tokens: 0, completion_tokens: tokens.length, total_tokens: tokens.length },
        }),
      );
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
    await waitUntil(dueAt(0));
    if (closed()) return;
    noteFirstToken(dueAt(0), performance.now());
    res.write(chunk({ role: 'assistant', content: tokens.length > 0 ? '' : null }, null));
    const units = tokens.length + callChunks.length;
    for (let i = 0; i < units; i++) {
      if (f?.type === 'stall' && i >= (f.afterTokens ?? 1)) return; // hold the connection open, send nothing
      if (i > 0) await waitUntil(dueAt(i));
      if (closed()) return;
      res.write(
        chunk(
          i < tokens.length ? { content: tokens[i] } : { tool_calls: [callChunks[i - tokens.length]] },
          null,
        ),
      );
      record.tokensSent++;
    }
    res.write(chunk({}, finishReason));
    res.write('data: [DONE]\n\n');
    record.completed = true;
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, `emulator failure: ${String(e)}`, 'server_error', null);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    stats.connections++;
    if (setupCost) readyAt.set(socket, performance.now() + setupCost());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    setFault(next) {
      fault = next ? { ...next, remaining: next.times ?? Number.POSITIVE_INFINITY } : null;
    },
    requests: () => recorded,
    stats: () => ({
      ...stats,
      firstTokenLateMs: [...stats.firstTokenLateMs],
      eventLoopDelayMs: {
        p50: loopMs(loopDelay.percentile(50)),
        p99: loopMs(loopDelay.percentile(99)),
        max: loopMs(loopDelay.max),
      },
    }),
    close: () =>
      new Promise<void>((resolve) => {
        loopDelay.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
