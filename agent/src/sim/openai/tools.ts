// Tool calling in the OpenAI emulator: the request checks the real API makes (tool names, the
// pairing of tool calls and tool messages), the scripted model's reply, and how arguments are
// cut into streamed fragments. Pure functions; server.ts puts them on the wire.
import type { ChatMessageIn } from './server.ts';

/** A tool the request declared (`tools[].function`). */
export interface DeclaredTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** What a scripted model says: text, and/or tool calls (arguments as an object or JSON text). */
export interface ScriptedReply {
  readonly text?: string;
  readonly toolCalls?: readonly { readonly name: string; readonly arguments: unknown }[];
}

export interface ScriptInput {
  readonly messages: readonly ChatMessageIn[];
  readonly tools: readonly DeclaredTool[];
  readonly toolChoice: 'auto' | 'none' | 'required';
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The request's tools as the real API validates them; a string is the 400 message. */
export function parseTools(raw: unknown): DeclaredTool[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return "Invalid type for 'tools': expected an array.";
  const tools: DeclaredTool[] = [];
  for (const [i, t] of raw.entries()) {
    const fn = (t as { type?: unknown; function?: unknown }).function as
      { name?: unknown; description?: unknown; parameters?: unknown } | undefined;
    if ((t as { type?: unknown }).type !== 'function' || fn === undefined || typeof fn !== 'object')
      return `Invalid value for 'tools[${i}]': expected {type: 'function', function: {...}}.`;
    if (typeof fn.name !== 'string' || !TOOL_NAME.test(fn.name))
      return `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
    if (fn.parameters !== undefined && (typeof fn.parameters !== 'object' || fn.parameters === null))
      return `Invalid type for 'tools[${i}].function.parameters': expected an object.`;
    tools.push({
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(fn.parameters ? { parameters: fn.parameters as Record<string, unknown> } : {}),
    });
  }
  return tools;
}

/**
 * The tool-call pairing rules the real API enforces: every tool message answers a call of the
 * assistant message before it, and every call of an assistant message is answered before the
 * next non-tool message. Returns the 400 message, or undefined when the order is valid.
 */
export function checkToolMessages(messages: readonly ChatMessageIn[]): string | undefined {
  let open: Set<string> | undefined;
  for (const [i, m] of messages.entries()) {
    if (m.role === 'tool') {
      if (open === undefined || typeof m.tool_call_id !== 'string' || !open.has(m.tool_call_id))
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages[${i}])`;
      open.delete(m.tool_call_id);
      continue;
    }
    if (open !== undefined && open.size > 0)
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    open = undefined;
    if (m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0)
      open = new Set(m.tool_calls.map((c) => c.id));
    else if (m.role !== 'assistant' && typeof m.content !== 'string')
      return `Invalid type for 'messages[${i}].content': expected a string.`;
  }
  if (open !== undefined && open.size > 0)
    return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
  return undefined;
}

/** Cuts a JSON argument string into fragments of a few characters, as a model's tokens would. */
export function argumentFragments(json: string, size = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

/** A tool call ready to send: the id the emulator gave it and its JSON argument text. */
export interface EmittedCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/**
 * The script's reply as the real API could send it: tool calls only for declared tools and
 * never under tool_choice "none" (then the text, or a short Hebrew sentence, is sent instead).
 * A call of an undeclared tool is a bug in the test's script: it throws.
 */
export function resolveReply(
  reply: ScriptedReply,
  input: ScriptInput,
  idPrefix: string,
): { text: string; calls: EmittedCall[] } {
  const wanted = input.toolChoice === 'none' ? [] : (reply.toolCalls ?? []);
  const declared = new Set(input.tools.map((t) => t.name));
  const calls = wanted.map((c, i) => {
    if (!declared.has(c.name))
      throw new Error(`the script called ${c.name}, which the request did not declare`);
    const args = typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {});
    return { id: `${idPrefix}_${i}`, name: c.name, arguments: args };
  });
  const text = reply.text ?? '';
  if (calls.length === 0 && text.trim() === '') return { text: 'בסדר.', calls };
  return { text, calls };
}
