// The body of one streamed chat completion (the raw Response the openai SDK made for the request),
// read chunk by chunk into the SDK's chunk objects: the same events, errors and ends as the SDK's
// Stream (core/streaming.mjs, 'legacy' mode), without its generator stack per token. The body is
// fed as it arrives (body-feed.ts): each chunk is decoded into a small queue of events, taken
// synchronously; fill() waits only when none is queued.
import OpenAI from 'openai';
import { abortQuietly } from './abort.ts';
import type { StreamWatchdog } from './deadline.ts';
import { feedBody, type BodyFeed, type BodyListener } from './body-feed.ts';
import { completionEvent, SseDecoder, type SseEvent } from './sse.ts';

/** take(): nothing parsed waits, fill() must read. */
export const PENDING: unique symbol = Symbol('pending');
/** take(): the answer is over ([DONE], the end of the body, or the request aborted). */
export const END: unique symbol = Symbol('end');

/** Events queued past this pause the body until the consumer catches up (a bound on memory). */
const MAX_QUEUED_EVENTS = 256;

function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

export class CompletionBody implements BodyListener {
  private readonly response: Response;
  private readonly feed: BodyFeed;
  private readonly ctrl: AbortController;
  private readonly decoder = new SseDecoder();
  private readonly events: SseEvent[] = [];
  private next = 0;
  /** The body was read to its end: nothing is left to close. */
  ended = false;
  private released = false;
  /** No more events: [DONE], the end of the body, or an abort. */
  private over = false;
  private paused = false;
  /** The body failed (thrown by fill() once the events before the failure are taken). */
  private failure: { readonly error: unknown } | undefined;
  /** fill() waiting for the next chunk, the end or a failure. */
  private wake: (() => void) | undefined;

  constructor(response: Response, ctrl: AbortController) {
    this.response = response;
    this.ctrl = ctrl;
    const feed = feedBody(response, this);
    if (!feed) {
      abortQuietly(ctrl);
      throw new OpenAI.OpenAIError('Attempted to iterate over a response with no body');
    }
    this.feed = feed;
  }

  data(chunk: Uint8Array): void {
    this.decoder.push(chunk, this.events);
    if (this.events.length - this.next > MAX_QUEUED_EVENTS) {
      this.paused = true;
      this.feed.pause();
    }
    this.wakeUp();
  }

  end(): void {
    this.ended = true;
    this.decoder.end(this.events);
    this.wakeUp();
  }

  error(e: unknown): void {
    this.failure ??= { error: e };
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The next chunk object, END, or PENDING when fill() must wait first. */
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
    if (this.paused) {
      this.paused = false;
      this.feed.resume();
    }
    return PENDING;
  }

  /**
   * Waits until an event is complete, the body ends or fails. Under a deadline (the watchdog
   * armed by the caller) a wait that the watchdog aborted throws its DeadlineError; an abort by
   * anyone else ends the answer quietly, as the SDK's stream does.
   */
  async fill(watchdog: StreamWatchdog): Promise<void> {
    while (this.events.length === 0 && !this.ended) {
      const failure = this.failure;
      if (failure !== undefined) {
        const e = failure.error;
        if (watchdog.fired) throw watchdog.fired;
        if (isAbortError(e) || (this.ctrl.signal.aborted && e === this.ctrl.signal.reason)) {
          this.over = true;
          return;
        }
        throw e;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
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
    this.wakeUp();
    this.feed.cancel();
  }
}
