// A fetch Response's body fed chunk by chunk to a listener: a dispatch-fetch.ts response feeds its
// Node body directly; any other Response (a pre-built client's own fetch) through its web reader.
import { DispatchedResponse, type BodyFeed, type BodyListener } from './dispatched-response.ts';

export type { BodyFeed, BodyListener } from './dispatched-response.ts';

/** Starts feeding `response`'s body to `listener` (undefined: the response has no body). */
export function feedBody(response: Response, listener: BodyListener): BodyFeed | undefined {
  if (response instanceof DispatchedResponse) return response.feed(listener);
  const body = response.body;
  if (!body) return undefined;
  return new WebFeed(body.getReader(), listener);
}

/** Reads a web stream ahead while not paused; a read error goes to the listener as it came. */
class WebFeed implements BodyFeed {
  private paused = false;
  private reading = false;
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly listener: BodyListener;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, listener: BodyListener) {
    this.reader = reader;
    this.listener = listener;
    void this.pump();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    void this.pump();
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.reader.cancel().catch(() => undefined);
    this.reader.releaseLock();
  }

  private async pump(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (!this.paused && !this.done) {
        const r = await this.reader.read();
        if (this.done) return;
        if (r.done) {
          this.done = true;
          this.reader.releaseLock();
          this.listener.end();
          return;
        }
        this.listener.data(r.value);
      }
    } catch (e) {
      if (this.done) return;
      this.done = true;
      this.listener.error(e);
    } finally {
      this.reading = false;
    }
  }
}
