// One HTTP tool call: arguments validated against the tool's schema, a signed JSON POST to the
// business backend, the deadline on the call's clock, and every failure turned into an outcome
// the model (and, when the caller should know, the caller) is told about. Never throws.
import type { ToolCall } from '../llm/types.ts';
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.ts';
import type { ArgumentCheck } from './validate.ts';
import type { HttpToolSpec, ToolClock, ToolContext, ToolOutcome } from './types.ts';

/** A backend answer longer than this is cut before it reaches the prompt. */
export const MAX_RESULT_CHARS = 4000;

export interface HttpToolDeps {
  readonly clock: ToolClock;
  /** Unix seconds for the signature timestamp (wall clock; injectable for tests). */
  readonly epochSeconds?: () => number;
  readonly fetch?: typeof fetch;
}

/** The request body a backend receives (docs/tools.md). */
export interface ToolRequestBody {
  readonly tool: string;
  readonly callSid: string;
  readonly toolCallId: string;
  readonly arguments: unknown;
}

export async function runHttpTool(
  spec: HttpToolSpec,
  check: ArgumentCheck,
  call: ToolCall,
  ctx: ToolContext,
  deps: HttpToolDeps,
): Promise<ToolOutcome> {
  const args = check(call.arguments);
  if (!args.ok)
    return {
      kind: 'error',
      reason: 'invalid_arguments',
      content: `error: ${args.message}`,
      tellCaller: false,
    };

  const body: ToolRequestBody = {
    tool: spec.name,
    callSid: ctx.callSid,
    toolCallId: call.id,
    arguments: args.value,
  };
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (spec.secret !== '') {
    const ts = Math.floor((deps.epochSeconds ?? (() => Date.now() / 1000))());
    headers[TIMESTAMP_HEADER] = String(ts);
    headers[SIGNATURE_HEADER] = signBody(spec.secret, ts, text);
  }
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = deps.clock.setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, spec.timeoutMs);
  const onAbort = (): void => ctrl.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const fail = (
    reason: 'timeout' | 'http_error' | 'network' | 'bad_response',
    detail: string,
  ): ToolOutcome => ({
    kind: 'error',
    reason,
    content: `error: the ${spec.name} service ${detail}. The caller has already been told that this could not be done right now: do not repeat the apology, do not invent a result; offer another way briefly.`,
    tellCaller: true,
  });
  try {
    const res = await (deps.fetch ?? fetch)(spec.url, {
      method: 'POST',
      headers,
      body: text,
      signal: ctrl.signal,
    });
    const answer = await res.text();
    if (!res.ok) return fail('http_error', `answered HTTP ${res.status}`);
    return {
      kind: 'result',
      content: answer.length > MAX_RESULT_CHARS ? answer.slice(0, MAX_RESULT_CHARS) : answer,
    };
  } catch (e) {
    if (timedOut) return fail('timeout', `did not answer within ${spec.timeoutMs} ms`);
    return fail('network', `could not be reached (${(e as Error).message})`);
  } finally {
    deps.clock.clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
