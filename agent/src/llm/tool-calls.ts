// Streamed tool calls, put back together. OpenAI sends each call in pieces: the first delta of a
// call carries its index, id and function name, later ones only the index and a fragment of the
// JSON arguments; several calls interleave by index; finish_reason "tool_calls" closes the round.
// Pure: no I/O.
import type { ToolCall } from './types.ts';

/** One element of `choices[0].delta.tool_calls` as the wire sends it. */
export interface ToolCallDelta {
  readonly index: number;
  readonly id?: string | null;
  readonly type?: string | null;
  readonly function?: { readonly name?: string | null; readonly arguments?: string | null } | null;
}

interface Partial {
  id: string;
  name: string;
  args: string[];
}

export class ToolCallAssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolCallAssemblyError';
  }
}

export class ToolCallAssembler {
  private readonly calls = new Map<number, Partial>();

  get size(): number {
    return this.calls.size;
  }

  /** Adds the tool-call deltas of one chunk. Throws on a delta without a usable index. */
  add(deltas: readonly ToolCallDelta[]): void {
    for (const d of deltas) {
      if (!Number.isInteger(d.index) || d.index < 0)
        throw new ToolCallAssemblyError(`tool call delta without a valid index: ${JSON.stringify(d)}`);
      let call = this.calls.get(d.index);
      if (call === undefined) {
        call = { id: '', name: '', args: [] };
        this.calls.set(d.index, call);
      }
      if (d.id) call.id = d.id;
      // Servers send the whole name once; some compatible ones split it: append either way.
      if (d.function?.name) call.name += d.function.name;
      if (d.function?.arguments) call.args.push(d.function.arguments);
    }
  }

  /** The complete calls in index order. Throws when one never got an id or a name. */
  finish(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => {
        if (c.id === '' || c.name === '')
          throw new ToolCallAssemblyError(`tool call ${index} ended without an id or a function name`);
        // An empty argument string means "no arguments": the object form is what schemas expect.
        return { id: c.id, name: c.name, arguments: c.args.join('') || '{}' };
      });
  }
}
