// Streaming chat completions over the `openai` package (any OpenAI-compatible server via the
// base URL). Retries, deadlines and stall detection are ours (the client's maxRetries is 0):
// retries happen only before the first token, so the caller never hears an answer twice.
import OpenAI from 'openai';
import { Agent } from 'undici';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type {
  ChatMessage,
  Responder,
  ResponderEvent,
  RespondRequest,
  RespondWithToolsRequest,
} from './types.ts';
import { ToolCallAssembler, ToolCallAssemblyError, type ToolCallDelta } from './tool-calls.ts';
import { ResponderError, type ResponderErrorKind } from './errors.ts';
import { decideRetry, retryAfterFromHeaders } from './retry-policy.ts';
import { llmFirstToken, llmRequests, llmRetries } from './metrics.ts';
import { DeadlineError, sleep, StreamWatchdog, withDeadline } from './deadline.ts';
import { CompletionBody, END, PENDING } from './completion-body.ts';
import { createDispatchFetch } from './dispatch-fetch.ts';
import { abortQuietly } from './abort.ts';

type ChatCompletionChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

export interface OpenAiResponderOptions {
  readonly apiKey: string;
  /** OpenAI-compatible base URL (…/v1). Empty/undefined: api.openai.com. */
  readonly baseUrl?: string;
  readonly model: string;
  readonly temperature: number;
  readonly maxTokens: number;
  /** Deadline for the first text delta, counted from the request (retries included). */
  readonly firstTokenTimeoutMs: number;
  /** After the first token, the longest gap between deltas. */
  readonly stallTimeoutMs: number;
  /** Retries on 429/5xx/connection errors, only before the first token. */
  readonly retryAttempts: number;
  /** First backoff; doubles per retry, with jitter, capped at backoffMaxMs. Default 200. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly logger?: Logger;
  /** Pre-built client (tests); otherwise one is created from apiKey/baseUrl. */
  readonly client?: OpenAI;
}

/**
 * How long an idle connection to the model is kept for the next request. A server's own
 * `Keep-Alive: timeout` hint still caps it (undici): the warm-up (warm()) is what keeps one open
 * across a caller's utterance when the server closes idle connections sooner.
 */
export const LLM_KEEPALIVE_MS = 60_000;

/** Our message -> the wire's: tool calls and tool results in OpenAI's field names. */
export function toWireMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant' && m.toolCalls !== undefined && m.toolCalls.length > 0)
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  return { role: m.role, content: m.content };
}

/** Maps any failure of the client to a ResponderError kind. */
export function classifyOpenAiError(e: unknown): { kind: ResponderErrorKind; status?: number } {
  if (e instanceof ResponderError)
    return e.status === undefined ? { kind: e.kind } : { kind: e.kind, status: e.status };
  if (e instanceof ToolCallAssemblyError) return { kind: 'malformed' };
  if (e instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (e instanceof OpenAI.APIConnectionError) return { kind: 'network' };
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    const status = e.status;
    if (status === 429) return { kind: 'rate_limited', status };
    if (status >= 500) return { kind: 'server', status };
    if (status === 401 || status === 403) return { kind: 'auth', status };
    return { kind: 'bad_request', status };
  }
  return { kind: 'network' }; // socket reset, truncated SSE, ...
}

/** One request's state across its attempts. */
interface RequestProgress {
  readonly started: number;
  /** The first-token deadline, retries included. */
  readonly deadline: number;
  attempt: number;
  /** Something came from the model (text or a tool-call fragment): no more retries. */
  yielded: boolean;
  /** How the request ended, for the requests metric (undefined: the consumer stopped early). */
  outcome: string | undefined;
  /** The last attempt's response body was read to its end: there is no HTTP request left to close. */
  bodyEnded: boolean;
}

type WireToolParams = ReturnType<typeof wireTools>;

/** The declared tools in the wire's shape (nothing when none are declared). */
function wireTools(tools: RespondWithToolsRequest | undefined) {
  if (tools === undefined || tools.tools.length === 0) return {};
  return {
    tools: tools.tools.map((t) => ({
      type: 'function' as const,
      function: { name: t.name, description: t.description, parameters: { ...t.parameters } },
    })),
    tool_choice: tools.toolChoice ?? 'auto',
  };
}

export class OpenAiResponder implements Responder {
  readonly name = 'openai';
  readonly client: OpenAI;
  private readonly options: OpenAiResponderOptions;
  private readonly logger: Logger;
  /**
   * The pod's connection pool to the model (absent with a pre-built client): every request and
   * warm-up goes through it, so a request finds the connection a warm-up opened (a fresh one
   * costs TCP + TLS set-up, 2-3 round trips to api.openai.com, before the model even starts).
   */
  private readonly dispatcher: Agent | undefined;

  constructor(options: OpenAiResponderOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    if (options.client) {
      this.client = options.client;
      return;
    }
    this.dispatcher = new Agent({
      keepAliveTimeout: LLM_KEEPALIVE_MS,
      keepAliveMaxTimeout: LLM_KEEPALIVE_MS,
    });
    this.client = new OpenAI({
      // Compatible servers often need no key, but the client insists on one.
      apiKey: options.apiKey || 'not-needed',
      baseURL: options.baseUrl || undefined,
      maxRetries: 0,
      timeout: Math.max(options.firstTokenTimeoutMs * 4, 30_000),
      // Our own pool (the pool of Node's global fetch is not ours to tune), reached through
      // undici's dispatcher API rather than its WHATWG fetch (dispatch-fetch.ts: same requests,
      // same errors, a fraction of the CPU per request and per chunk).
      fetch: createDispatchFetch(this.dispatcher),
      fetchOptions: { dispatcher: this.dispatcher } as never,
    });
  }

  /**
   * Opens (or keeps open) a connection for the next request: a GET of the model's description
   * (a few hundred bytes, no tokens; a HEAD left Node servers' connections unusable for reuse). Each caller's warm-up is its own request, so callers speaking at once leave as many
   * idle connections for their answers; failures are only logged (the request itself reports a
   * real outage). Resolves when done, never rejects.
   */
  async warm(): Promise<void> {
    const dispatcher = this.dispatcher;
    if (!dispatcher) return;
    try {
      const base = this.client.baseURL.replace(/\/$/u, '');
      const url = new URL(`${base}/models/${encodeURIComponent(this.options.model)}`);
      const res = await dispatcher.request({
        origin: url.origin,
        path: url.pathname,
        method: 'GET',
        headers: { authorization: `Bearer ${this.options.apiKey || 'not-needed'}` },
        headersTimeout: 5000,
      });
      await res.body.dump();
    } catch (err) {
      this.logger.debug({ err }, 'LLM connection warm-up failed');
    }
  }

  /** Closes the pool (the pod is shutting down; no call is left to answer). */
  async close(): Promise<void> {
    await this.dispatcher?.destroy();
  }

  /** Lists the models: proves the endpoint is reachable and takes the API key, at no token cost. */
  async ready(): Promise<void> {
    try {
      await this.client.models.list({ timeout: 5000, maxRetries: 0 });
    } catch (e) {
      const { kind, status } = classifyOpenAiError(e);
      const detail = e instanceof Error ? e.message : String(e);
      throw new Error(`${kind}${status !== undefined ? ` (HTTP ${status})` : ''}: ${detail}`, { cause: e });
    }
  }

  /** Text only: the path for callers that declare no tools (preemptive guesses, greetings, ...). */
  async *respond(request: RespondRequest): AsyncIterable<string> {
    for await (const event of this.stream(request, undefined)) if (event.type === 'text') yield event.text;
  }

  /** One round with tools declared: text deltas, then the assembled tool calls if any. */
  respondEvents(request: RespondWithToolsRequest): AsyncIterable<ResponderEvent> {
    return this.stream(request, request);
  }

  private async *stream(
    request: RespondRequest,
    tools: RespondWithToolsRequest | undefined,
  ): AsyncIterable<ResponderEvent> {
    const log = this.logger.child({ callId: request.callId, llm: this.name });
    const started = performance.now();
    const progress: RequestProgress = {
      started,
      deadline: started + this.options.firstTokenTimeoutMs,
      attempt: 0,
      yielded: false,
      outcome: undefined,
      bodyEnded: false,
    };
    const toolParams = wireTools(tools);
    try {
      for (;;) {
        if (request.signal.aborted) {
          progress.outcome = 'aborted';
          return;
        }
        const ctrl = new AbortController();
        const onAbort = (): void => abortQuietly(ctrl);
        request.signal.addEventListener('abort', onAbort, { once: true });
        try {
          yield* this.attemptOnce(request, toolParams, ctrl, progress);
          return;
        } catch (e) {
          abortQuietly(ctrl);
          if (request.signal.aborted) {
            progress.outcome = 'aborted';
            return;
          }
          await sleep(this.retryWaitOrThrow(e, progress, log), request.signal);
          progress.attempt++;
        } finally {
          request.signal.removeEventListener('abort', onAbort);
          // Also when the consumer stops iterating early: closes the HTTP stream. A body read to
          // its end has nothing left to close.
          if (!progress.bodyEnded) abortQuietly(ctrl);
          progress.bodyEnded = false;
        }
      }
    } finally {
      const { outcome, yielded, attempt } = progress;
      llmRequests.inc({ provider: this.name, outcome: outcome ?? 'aborted' });
      if (outcome !== 'ok' && outcome !== 'aborted' && outcome !== undefined) {
        log.warn({ outcome, afterFirstToken: yielded, attempts: attempt + 1 }, 'LLM request failed');
      }
    }
  }

  /** One HTTP request: its text deltas as they come, then the assembled tool calls if any. */
  private async *attemptOnce(
    request: RespondRequest,
    toolParams: WireToolParams,
    ctrl: AbortController,
    progress: RequestProgress,
  ): AsyncIterable<ResponderEvent> {
    const o = this.options;
    const assembler = new ToolCallAssembler();
    const create = this.client.chat.completions.create(
      {
        model: o.model,
        // The client's message union is stricter than our wire objects; the shapes match.
        messages: request.messages.map(toWireMessage) as never,
        temperature: o.temperature,
        max_tokens: o.maxTokens,
        stream: true,
        ...toolParams,
      },
      { signal: ctrl.signal, maxRetries: 0 },
    );
    // The raw response: the SDK sent the request and checked its status; the body is read here
    // (completion-body.ts), the same events as the SDK's stream at a fraction of its cost per token.
    const response = await withDeadline(
      create.asResponse(),
      progress.deadline - performance.now(),
      ctrl,
      'timeout',
    );
    const body = new CompletionBody(response, ctrl);
    const watchdog = new StreamWatchdog(ctrl, o.stallTimeoutMs);
    let texted = false;
    try {
      for (;;) {
        let chunk = body.take();
        if (chunk === PENDING) {
          // Before the first token the whole request's deadline applies, after it the stall gap.
          if (progress.yielded) watchdog.arm(performance.now() + o.stallTimeoutMs, 'stalled');
          else watchdog.arm(progress.deadline, 'timeout');
          await body.fill(watchdog);
          watchdog.disarm();
          chunk = body.take();
        }
        if (chunk === END) break;
        const delta = (chunk as ChatCompletionChunk).choices[0]?.delta;
        const calls = delta?.tool_calls as readonly ToolCallDelta[] | undefined;
        if (calls !== undefined && calls.length > 0) {
          this.noteSomethingCame(progress);
          assembler.add(calls);
        }
        const text = delta?.content;
        if (text) {
          this.noteSomethingCame(progress);
          texted = true;
          yield { type: 'text', text };
        }
      }
    } finally {
      watchdog.stop();
      body.release();
      progress.bodyEnded = body.ended;
    }
    if (assembler.size > 0) {
      const assembled = assembler.finish();
      progress.outcome = 'ok';
      yield { type: 'tool_calls', calls: assembled };
      return;
    }
    if (!texted)
      throw new ResponderError('empty', 'the model returned no text', { attempts: progress.attempt + 1 });
    progress.outcome = 'ok';
  }

  /** Text or a tool-call fragment came: the first one is the time to first token; no retries from now. */
  private noteSomethingCame(progress: RequestProgress): void {
    if (!progress.yielded)
      llmFirstToken.observe({ provider: this.name }, (performance.now() - progress.started) / 1000);
    progress.yielded = true;
  }

  /** After a failed attempt: how long to wait before the next, or the ResponderError to fail with. */
  private retryWaitOrThrow(e: unknown, progress: RequestProgress, log: Logger): number {
    const o = this.options;
    const { attempt, yielded } = progress;
    const { kind, status } =
      e instanceof DeadlineError ? { kind: e.kind, status: undefined } : classifyOpenAiError(e);
    const message = e instanceof Error ? e.message : String(e);
    const decision = decideRetry(
      {
        kind,
        attempt,
        afterFirstToken: yielded,
        remainingMs: progress.deadline - performance.now(),
        retryAfterMs: retryAfterFromHeaders((e as { headers?: unknown }).headers),
      },
      {
        retryAttempts: o.retryAttempts,
        backoffBaseMs: o.backoffBaseMs ?? 200,
        backoffMaxMs: o.backoffMaxMs ?? 2000,
      },
    );
    if (decision.retry) {
      llmRetries.inc({ provider: this.name, reason: kind });
      log.warn(
        { kind, status, attempt: attempt + 1, waitMs: decision.waitMs, err: message },
        'LLM request failed before the first token; retrying',
      );
      return decision.waitMs;
    }
    if (decision.reason === 'budget')
      log.warn(
        { kind, status, attempt: attempt + 1, err: message },
        'LLM retry would not fit before the first-token deadline (Retry-After honoured): failing now',
      );
    progress.outcome = kind;
    throw new ResponderError(kind, `LLM ${kind}${status ? ` (HTTP ${status})` : ''}: ${message}`, {
      ...(status === undefined ? {} : { status }),
      afterFirstToken: yielded,
      attempts: attempt + 1,
      cause: e,
    });
  }
}
