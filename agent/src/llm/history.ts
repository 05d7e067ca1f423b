// Per-call conversation history: the system prompt, then user/assistant turns, bounded to the
// last LLM_MAX_HISTORY_TURNS turns. An interrupted answer is recorded only as far as the caller
// heard it, so the model does not believe it said what was cut off by barge-in.
import type { ChatMessage } from './types.ts';

export interface HistoryOptions {
  readonly systemPrompt: string;
  /** A turn is one user message and the answer to it. */
  readonly maxTurns: number;
}

/** Marks a user message that came from keypad presses, not speech. */
export const DTMF_PREFIX = 'המתקשר הקיש במקשי הטלפון:';

/** The part of an answer that was played: the sentences whose marks came back as played. */
export function heardText(sentences: readonly string[], playedCount: number): string {
  return sentences
    .slice(0, Math.max(0, playedCount))
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
}

export class ConversationHistory {
  private readonly systemPrompt: string;
  private readonly maxTurns: number;
  private readonly turns: ChatMessage[] = [];

  constructor(options: HistoryOptions) {
    this.systemPrompt = options.systemPrompt;
    this.maxTurns = Math.max(1, options.maxTurns);
  }

  addUser(text: string): void {
    const t = text.trim();
    if (t === '') return;
    const last = this.turns.at(-1);
    // Two caller utterances without an answer between them (e.g. the answer was cut before any
    // of it played) are one user message to the model.
    if (last?.role === 'user' && !last.content.startsWith(DTMF_PREFIX))
      this.turns[this.turns.length - 1] = { role: 'user', content: `${last.content} ${t}` };
    else this.turns.push({ role: 'user', content: t });
    this.trim();
  }

  /**
   * Withdraws `text`, the end of the last user message: a turn taken back because the caller went
   * on before any answer was heard (the merged turn brings the whole sentence). False when the
   * last message is not that user text (nothing changed).
   */
  retractUser(text: string): boolean {
    const t = text.trim();
    const last = this.turns.at(-1);
    if (t === '' || last?.role !== 'user') return false;
    if (last.content === t) {
      this.turns.pop();
      return true;
    }
    if (!last.content.endsWith(` ${t}`)) return false;
    this.turns[this.turns.length - 1] = { role: 'user', content: last.content.slice(0, -(t.length + 1)) };
    return true;
  }

  /** DTMF digits as text; consecutive presses extend one message. */
  addDtmf(digits: string): void {
    const d = digits.replace(/[^0-9*#A-D]/g, '');
    if (d === '') return;
    const last = this.turns.at(-1);
    if (last?.role === 'user' && last.content.startsWith(DTMF_PREFIX)) {
      this.turns[this.turns.length - 1] = { role: 'user', content: `${last.content}${d}` };
    } else this.turns.push({ role: 'user', content: `${DTMF_PREFIX} ${d}` });
    this.trim();
  }

  /**
   * Records the assistant's answer. For an interrupted answer pass what was heard (see
   * heardText); nothing heard means nothing is recorded.
   */
  addAssistant(text: string): void {
    const t = text.trim();
    if (t === '') return;
    const last = this.turns.at(-1);
    if (last?.role === 'assistant' && last.toolCalls === undefined)
      this.turns[this.turns.length - 1] = { role: 'assistant', content: `${last.content} ${t}` };
    else this.turns.push({ role: 'assistant', content: t });
    this.trim();
  }

  /**
   * Records the tool calls of an answer and their results (tools/loop.ts onExchange), so later
   * turns know what was looked up or booked. The words said around them are not part of it: they
   * are recorded as heard (addAssistant), after it.
   */
  addToolExchange(messages: readonly ChatMessage[]): void {
    for (const m of messages) {
      if (m.role === 'assistant' && m.toolCalls !== undefined && m.toolCalls.length > 0)
        this.turns.push({ role: 'assistant', content: '', toolCalls: m.toolCalls });
      else if (m.role === 'tool') this.turns.push(m);
    }
    this.trim();
  }

  /** Convenience for the session: records the played sentences of an answer. */
  addAssistantHeard(sentences: readonly string[], playedCount: number): string {
    const heard = heardText(sentences, playedCount);
    this.addAssistant(heard);
    return heard;
  }

  /** The prompt: system message first, then the kept turns (always starting with a user message). */
  messages(): ChatMessage[] {
    const out: ChatMessage[] = [];
    if (this.systemPrompt.trim() !== '') out.push({ role: 'system', content: this.systemPrompt });
    return out.concat(this.turns);
  }

  /** The prompt as it would be with one more user message (for a preemptive start). */
  messagesWithUser(text: string): ChatMessage[] {
    const copy = new ConversationHistory({ systemPrompt: this.systemPrompt, maxTurns: this.maxTurns });
    copy.turns.push(...this.turns);
    copy.addUser(text);
    return copy.messages();
  }

  get length(): number {
    return this.turns.length;
  }

  private trim(): void {
    let users = 0;
    let cut = -1;
    for (let i = this.turns.length - 1; i >= 0; i--) {
      if (this.turns[i]!.role === 'user' && ++users > this.maxTurns) {
        cut = i;
        break;
      }
    }
    if (cut >= 0) this.turns.splice(0, cut + 1);
    // Never start with an assistant message or a tool result left over from a dropped turn (a
    // tool message without the call before it is refused by the API).
    while (this.turns[0]?.role === 'assistant' || this.turns[0]?.role === 'tool') this.turns.shift();
  }
}
