// Server-sent events of a streamed chat completion, decoded the way the openai SDK decodes them
// (its core/streaming.mjs and internal/decoders/line.mjs: lines end in \n, \r\n or \r, also
// across chunks; a blank line ends an event that has an event name or data; ':' lines are
// comments; one space after the colon is dropped; data lines join with \n; at the end of the
// body an unterminated line and a pending event still count), in one pass over each chunk of
// text. The SDK's reader stacks four async generators and a per-event object copy on every
// token; at 80 tokens a second per answer that was most of the client's CPU per answer.
// agent/test/unit/llm/sse.test.ts holds this decoder to the SDK's own on split chunks.

export interface SseEvent {
  readonly event: string | null;
  readonly data: string;
}

const LF = 10;
const CR = 13;

export class SseDecoder {
  private readonly text = new TextDecoder();
  /** The start of a line whose end has not arrived yet. */
  private rest = '';
  /** The last chunk ended in \r: a \n starting the next one belongs to that line end. */
  private skipLF = false;
  private event: string | null = null;
  /** The event's data lines joined with \n; null before its first data line. */
  private data: string | null = null;

  /** One chunk of the body; the events it completes are appended to `out`. */
  push(bytes: Uint8Array, out: SseEvent[]): void {
    this.pushText(this.text.decode(bytes, { stream: true }), out);
  }

  /** The body ended: an unterminated last line and a pending event are delivered too. */
  end(out: SseEvent[]): void {
    this.pushText(this.text.decode(), out);
    this.skipLF = false;
    if (this.rest !== '') {
      const line = this.rest;
      this.rest = '';
      this.line(line, out);
    }
    this.line('', out);
  }

  private pushText(s: string, out: SseEvent[]): void {
    if (s.length === 0) return;
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (s.charCodeAt(0) === LF) start = 1;
    }
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const piece = s.slice(start, i);
      const line = this.rest === '' ? piece : this.rest + piece;
      this.rest = '';
      this.line(line, out);
      if (c === CR) {
        if (i + 1 < s.length) {
          if (s.charCodeAt(i + 1) === LF) i++;
        } else this.skipLF = true;
      }
      start = i + 1;
    }
    if (start < s.length) this.rest += s.slice(start);
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (!this.event && this.data === null) return;
      out.push({ event: this.event, data: this.data ?? '' });
      this.event = null;
      this.data = null;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data = this.data === null ? value : `${this.data}\n${value}`;
  }
}

/** What one event means to a chat completion stream, as the SDK reads it ('legacy' mode). */
export type CompletionEvent =
  | { readonly kind: 'done' }
  /** A chunk object; for Assistants' `thread.*` events the SDK's `{ event, data }` wrapper. */
  | { readonly kind: 'chunk'; readonly chunk: unknown }
  /** The API reported an error inside the stream: the SDK throws it as an APIError without status. */
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'malformed' };

export function completionEvent(e: SseEvent): CompletionEvent {
  if (e.data === '[DONE]') return { kind: 'done' };
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    return { kind: 'malformed' };
  }
  if (e.event?.startsWith('thread.')) return { kind: 'chunk', chunk: { event: e.event, data } };
  const error = (data as { error?: unknown } | null)?.error;
  if (e.event === 'error') return { kind: 'error', error: error ?? data };
  if (data && error) return { kind: 'error', error };
  return { kind: 'chunk', chunk: data };
}
