// The body of one streamed chat completion (the raw Response the openai SDK made for the request),
// read chunk by chunk into the SDK's chunk objects: the same events, errors and ends as the SDK's
// Stream (core/streaming.mjs, 'legacy' mode), without its generator stack per token. A parsed
// event waits in a small queue and is taken synchronously; the body is read only when none waits.
import OpenAI from 'openai';
import type { StreamWatchdog } from './deadline.ts';
import { completionEvent, SseDecoder, type SseEvent } from './sse.ts';

/** take(): nothing parsed waits, fill() must read. */
export const PENDING: unique symbol = Symbol('pending');
/** take(): the answer is over ([DONE], the end of the body, or the request aborted). */
export const END: unique symbol = Symbol('end');

function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

export class CompletionBody {
  private readonly response: Response;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly ctrl: AbortController;
  private readonly decoder = new SseDecoder();
  private readonly events: SseEvent[] = [];
  private next = 0;
  /** The body was read to its end: nothing is left to close. */
  ended = false;
  private released = false;
  /** No more events: [DONE], the end of the body, or an abort. */
  private over = false;

  constructor(response: Response, ctrl: AbortController) {
    if (!response.body) {
      ctrl.abort();
      throw new OpenAI.OpenAIError('Attempted to iterate over a response with no body');
    }
    this.response = response;
    this.ctrl = ctrl;
    this.reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  }

  /** The next chunk object, END, or PENDING when fill() must read first. */
  take(): unknown {
    // As the SDK: once the request is aborted, whatever was buffered is dropped.
    if (this.over || this.ctrl.signal.aborted) return this.finish();
    if (this.next < this.events.length) {
      const e = completionEvent(this.events[this.next++]!);
      switch (e.kind) {
        case 'chunk':
          return e.chunk;
        case 'done':
          return this.finish();
        case 'error':
          throw new OpenAI.APIError(undefined, e.error as never, undefined, this.response.headers as never);
        case 'malformed':
          throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
      }
    }
    if (this.ended) return this.finish();
    this.events.length = 0;
    this.next = 0;
    return PENDING;
  }

  /**
   * Reads until an event is complete or the body ends. Under a deadline (the watchdog armed by
   * the caller) a read that the watchdog aborted throws its DeadlineError; an abort by anyone
   * else ends the answer quietly, as the SDK's stream does.
   */
  async fill(watchdog: StreamWatchdog): Promise<void> {
    while (this.events.length === 0 && !this.ended) {
      let r: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
      try {
        r = await this.reader.read();
      } catch (e) {
        if (watchdog.fired) throw watchdog.fired;
        if (isAbortError(e) || (this.ctrl.signal.aborted && e === this.ctrl.signal.reason)) {
          this.over = true;
          return;
        }
        throw e;
      }
      if (r.done) {
        this.ended = true;
        this.decoder.end(this.events);
      } else this.decoder.push(r.value, this.events);
    }
  }

  /** The answer is over; a body not read to its end is cancelled (closes the HTTP request). */
  private finish(): typeof END {
    this.over = true;
    this.release();
    return END;
  }

  /** Lets go of the body: cancels it when it was not read to the end. Safe to call again. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (!this.ended) this.reader.cancel().catch(() => undefined);
    this.reader.releaseLock();
  }
}
