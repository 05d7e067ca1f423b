// Test doubles for tools: a manual clock (fake time, advanced by hand) and a scripted responder
// that plays rounds of text and tool calls.
import type { Responder, ResponderEvent, RespondWithToolsRequest } from '../../../src/llm/types.ts';
import type { ToolClock } from '../../../src/tools/types.ts';

export class ManualClock implements ToolClock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const due = [...this.timers.entries()]
        .filter(([, v]) => v.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export type Round = ResponderEvent[] | ((req: RespondWithToolsRequest) => ResponderEvent[]);

/** Plays one round per request; records every request. */
export class RoundsResponder implements Responder {
  readonly name = 'rounds';
  readonly requests: RespondWithToolsRequest[] = [];
  private readonly rounds: Round[];
  constructor(rounds: Round[]) {
    this.rounds = rounds;
  }
  async *respond(): AsyncIterable<string> {
    yield 'text only';
  }
  async *respondEvents(req: RespondWithToolsRequest): AsyncIterable<ResponderEvent> {
    this.requests.push({ ...req, messages: [...req.messages] });
    const round = this.rounds[this.requests.length - 1] ?? [{ type: 'text', text: 'סוף.' }];
    for (const e of typeof round === 'function' ? round(req) : round) yield e;
  }
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}
