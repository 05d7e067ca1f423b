// An OpenAI-compatible chat.completions server for tests, benchmarks and the offline demo: SSE
// streaming (and plain JSON), a latency profile (log-normal time to first token, tokens per
// second), deterministic Hebrew answers, and faults on demand (429 + Retry-After, 5xx, a stall
// mid-stream, a slow first token), and tool calls streamed the way OpenAI streams them (id and
// name first, the JSON arguments in fragments, finish_reason tool_calls), scripted by rules on the
// conversation. It speaks the real wire protocol so the real `openai` client runs.
// This module routes and validates requests; the answer's wire shapes are in completion.ts, the
// faults in faults.ts, the emulator's self-measurement and connection cost in stats.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadReferenceProfile, logNormalSampler, seededRandom } from '../profile.ts';
import { planCompletion, sendCompletionJson, streamCompletion, type CompletionTiming } from './completion.ts';
import { FaultQueue, sendFaultResponse } from './faults.ts';
import { BodyTooLargeError, readBody, refuseTooLarge, sendError, sendJson, wait } from './http.ts';
import { EmulatorStats } from './stats.ts';
import { checkToolMessages, parseTools, resolveReply, type EmittedCall, type ScriptInput } from './tools.ts';

export type { DeclaredTool, ScriptInput, ScriptedReply } from './tools.ts';
export * from './types.ts';
import {
  defaultAnswer,
  type ChatMessageIn,
  type OpenAiEmulator,
  type OpenAiEmulatorOptions,
  type OpenAiFault,
  type OpenAiLatency,
  type RecordedRequest,
} from './types.ts';

/** What every request of one emulator shares. */
interface Emulator {
  readonly options: OpenAiEmulatorOptions;
  readonly firstToken: () => number;
  readonly tokenGapMs: number;
  readonly answer: (messages: readonly ChatMessageIn[]) => string;
  readonly recorded: RecordedRequest[];
  readonly faults: FaultQueue;
  readonly stats: EmulatorStats;
  readonly nextId: () => string;
}

function latencyOf(options: OpenAiEmulatorOptions): OpenAiLatency {
  if (options.latency === 'none') return { timeToFirstTokenMs: { p50: 0, p95: 0 }, tokensPerSecond: 0 };
  if (options.latency === undefined || options.latency === 'reference') return loadReferenceProfile().llm;
  return options.latency;
}

export async function startOpenAiEmulator(options: OpenAiEmulatorOptions = {}): Promise<OpenAiEmulator> {
  const random = seededRandom(options.seed ?? 1);
  const latency = latencyOf(options);
  let counter = 0;
  const emulator: Emulator = {
    options,
    firstToken: logNormalSampler(latency.timeToFirstTokenMs, random),
    tokenGapMs: latency.tokensPerSecond > 0 ? 1000 / latency.tokensPerSecond : 0,
    answer: options.answer ?? defaultAnswer,
    recorded: [],
    faults: new FaultQueue(),
    stats: new EmulatorStats(latency, random),
    nextId: () => `chatcmpl-emu${++counter}`,
  };
  const server = createServer((req, res) => {
    handleRequest(emulator, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, `emulator failure: ${String(e)}`, 'server_error', null);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => emulator.stats.onConnection(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    setFault: (next) => emulator.faults.set(next),
    requests: () => emulator.recorded,
    stats: () => emulator.stats.snapshot(),
    close: () =>
      new Promise<void>((resolve) => {
        emulator.stats.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handleRequest(emulator: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await emulator.stats.awaitHandshake(req, res);
  // Delays count from the request's arrival, so body parsing is not added to the profile.
  const arrivedAt = performance.now();
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && answerModels(emulator.stats, url, res)) return;
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
  } catch (err) {
    if (err instanceof BodyTooLargeError) return refuseTooLarge(req, res, err);
    return sendError(
      res,
      400,
      'We could not parse the JSON body of your request.',
      'invalid_request_error',
      null,
    );
  }
  await handleChat(emulator, body, arrivedAt, res);
}

/** GET /v1/models and /v1/models/{id} (boot checks, connection warm-ups); false for other paths. */
function answerModels(stats: EmulatorStats, url: URL, res: ServerResponse): boolean {
  const modelId = /^\/v1\/models\/([^/]+)$/u.exec(url.pathname)?.[1];
  if (modelId !== undefined) {
    stats.counts.modelRequests++;
    sendJson(res, { id: decodeURIComponent(modelId), object: 'model', created: 0, owned_by: 'hva' });
    return true;
  }
  if (url.pathname === '/v1/models') {
    stats.counts.modelRequests++;
    sendJson(res, {
      object: 'list',
      data: [{ id: 'emulator', object: 'model', created: 0, owned_by: 'hva' }],
    });
    return true;
  }
  return false;
}

async function handleChat(
  emulator: Emulator,
  body: Record<string, unknown>,
  arrivedAt: number,
  res: ServerResponse,
): Promise<void> {
  const { options } = emulator;
  const id = emulator.nextId();
  const record = recordRequest(emulator, id, body, res);
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
  const conversation = messages as ChatMessageIn[];
  const fault: OpenAiFault | null =
    emulator.faults.take(conversation) ?? options.faultHook?.request() ?? null;
  const arrivedAtEpoch = options.faultHook?.now() ?? 0;
  res.on('finish', () => {
    if (record.completed) options.faultHook?.completed(arrivedAtEpoch);
  });
  if (sendFaultResponse(res, fault, record)) return;
  const reply = replyTo(emulator, id, body, conversation);
  if (typeof reply === 'string') {
    record.status = 400;
    return sendError(res, 400, reply, 'invalid_request_error', null);
  }
  const ttft = fault?.type === 'slow_first_token' ? fault.delayMs : emulator.firstToken();
  const completion = planCompletion(id, body['model'], reply, Math.floor(Date.now() / 1000));
  const timing: CompletionTiming = {
    dueAt: (i) => arrivedAt + ttft + emulator.tokenGapMs * i,
    waitUntil: (at) => wait(at - performance.now(), res),
    closed: () => record.clientClosed || res.destroyed,
  };
  if (body['stream'] !== true) return sendCompletionJson(res, completion, timing, record);
  return streamCompletion(res, completion, timing, record, fault, (due, sentAt) =>
    emulator.stats.noteFirstToken(due, sentAt),
  );
}

/** Every parsed chat request is recorded, with whether the client left before the answer ended. */
function recordRequest(
  emulator: Emulator,
  id: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): RecordedRequest {
  const record: RecordedRequest = {
    id,
    body,
    receivedAt: Date.now(),
    status: 200,
    tokensSent: 0,
    completed: false,
    clientClosed: false,
  };
  emulator.recorded.push(record);
  res.on('close', () => {
    if (!record.completed) record.clientClosed = true;
  });
  return record;
}

/** The answer (scripted, with tool calls, or the default text), or the 400 message of bad tools. */
function replyTo(
  emulator: Emulator,
  id: string,
  body: Record<string, unknown>,
  messages: ChatMessageIn[],
): { text: string; calls: EmittedCall[] } | string {
  const tools = parseTools(body['tools']);
  if (typeof tools === 'string') return tools;
  const pairing = checkToolMessages(messages);
  if (pairing !== undefined) return pairing;
  const choice = body['tool_choice'];
  const input: ScriptInput = {
    messages,
    tools,
    toolChoice: choice === 'none' || choice === 'required' ? choice : 'auto',
  };
  const script = emulator.options.script;
  if (script) return resolveReply(script(input), input, `call_${id.slice('chatcmpl-'.length)}`);
  return { text: emulator.answer(messages), calls: [] };
}
