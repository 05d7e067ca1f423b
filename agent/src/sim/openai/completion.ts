// How the OpenAI emulator sends one answer: the words as tokens, then the tool calls the way
// OpenAI streams them (per call its id and name first, then the JSON arguments in fragments,
// finish_reason tool_calls), either as SSE chunks on the profile's timing or as one JSON body.
import type { ServerResponse } from 'node:http';
import { argumentFragments, type EmittedCall } from './tools.ts';
import { tokenize, type OpenAiFault, type RecordedRequest } from './types.ts';

export interface Completion {
  readonly id: string;
  readonly model: unknown;
  readonly created: number;
  readonly tokens: readonly string[];
  readonly calls: readonly EmittedCall[];
  /** What is streamed after the text: per call, its head (id, name), then argument fragments. */
  readonly callChunks: readonly Record<string, unknown>[];
  readonly finishReason: 'tool_calls' | 'stop';
}

export function planCompletion(
  id: string,
  model: unknown,
  reply: { readonly text: string; readonly calls: readonly EmittedCall[] },
  created: number,
): Completion {
  const callChunks = reply.calls.flatMap((c, index) => [
    { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } },
    ...argumentFragments(c.arguments).map((arguments_) => ({ index, function: { arguments: arguments_ } })),
  ]);
  return {
    id,
    model,
    created,
    tokens: tokenize(reply.text),
    calls: reply.calls,
    callChunks,
    finishReason: reply.calls.length > 0 ? 'tool_calls' : 'stop',
  };
}

/** When each unit (token or tool-call chunk) is due, and whether the client is still there. */
export interface CompletionTiming {
  /** Unit i is due at arrival + TTFT + i token gaps: timer lateness does not accumulate. */
  readonly dueAt: (i: number) => number;
  readonly waitUntil: (at: number) => Promise<void>;
  readonly closed: () => boolean;
}

/** The whole answer as one chat.completion body, once its last token is due. */
export async function sendCompletionJson(
  res: ServerResponse,
  c: Completion,
  timing: CompletionTiming,
  record: RecordedRequest,
): Promise<void> {
  await timing.waitUntil(timing.dueAt(c.tokens.length));
  if (timing.closed()) return;
  const content = c.tokens.join('').trim();
  record.tokensSent = c.tokens.length + c.callChunks.length;
  record.completed = true;
  const toolCalls = c.calls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: c.id,
      object: 'chat.completion',
      created: c.created,
      model: c.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: content === '' ? null : content,
            refusal: null,
            ...(c.calls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: c.finishReason,
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 0, completion_tokens: c.tokens.length, total_tokens: c.tokens.length },
    }),
  );
}

/**
 * One SSE event of the answer: `data: ` + the chat.completion.chunk JSON (id, object, created,
 * model, choices[0] = index, delta, finish_reason, logprobs) + a blank line. The parts that do not
 * change within an answer are serialised once; the bytes are JSON.stringify's of the whole object.
 */
export function sseChunk(c: Pick<Completion, 'id' | 'created' | 'model'>) {
  const head = JSON.stringify({
    id: c.id,
    object: 'chat.completion.chunk',
    created: c.created,
    model: c.model,
  });
  const open = `data: ${head.slice(0, -1)},"choices":[{"index":0,"delta":`;
  const stop = (finish: string | null): string =>
    `,"finish_reason":${JSON.stringify(finish)},"logprobs":null}]}\n\n`;
  const tokenTail = stop(null);
  return (delta: Record<string, unknown>, finish: string | null): string =>
    open + JSON.stringify(delta) + (finish === null ? tokenTail : stop(finish));
}

/**
 * The answer as SSE chat.completion.chunk events, each unit at its due time; a stall fault stops
 * sending after `afterTokens` units and holds the connection open.
 */
export async function streamCompletion(
  res: ServerResponse,
  c: Completion,
  timing: CompletionTiming,
  record: RecordedRequest,
  fault: OpenAiFault | null,
  onFirstToken: (due: number, sentAt: number) => void,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  const chunk = sseChunk(c);
  const { tokens, callChunks } = c;
  await timing.waitUntil(timing.dueAt(0));
  if (timing.closed()) return;
  onFirstToken(timing.dueAt(0), performance.now());
  res.write(chunk({ role: 'assistant', content: tokens.length > 0 ? '' : null }, null));
  const units = tokens.length + callChunks.length;
  for (let i = 0; i < units; i++) {
    if (fault?.type === 'stall' && i >= (fault.afterTokens ?? 1)) return; // hold the connection open, send nothing
    if (i > 0) await timing.waitUntil(timing.dueAt(i));
    if (timing.closed()) return;
    res.write(
      chunk(
        i < tokens.length ? { content: tokens[i] } : { tool_calls: [callChunks[i - tokens.length]] },
        null,
      ),
    );
    record.tokensSent++;
  }
  res.write(chunk({}, c.finishReason));
  res.write('data: [DONE]\n\n');
  record.completed = true;
  res.end();
}
