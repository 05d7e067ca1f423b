// The plumbing-floor agent's call (agent/bench/floor/call.ts) against fake providers: no network,
// no timers; every step is driven by the test and awaited as promises.
import { describe, expect, it } from 'vitest';
import { FloorCall, type ChatTurn, type FloorProviders } from '../../../bench/floor/call.ts';
import { FloorCounts } from '../../../bench/floor/plumbing.ts';
import type { RawStream, RawStreamEvents, RawStreamingProvider } from '../../../src/stt/raw.ts';

const flush = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

class FakeStt implements RawStreamingProvider {
  readonly name = 'fake';
  readonly opened: Array<{ callId: string; baseMs: number | undefined; events: RawStreamEvents }> = [];
  readonly writes: Buffer[] = [];
  cancelled = 0;
  open(callId: string, events: RawStreamEvents, options?: { baseMs?: number }): RawStream {
    this.opened.push({ callId, baseMs: options?.baseMs, events });
    return {
      write: (b) => void this.writes.push(Buffer.from(b)),
      end: () => undefined,
      cancel: () => void this.cancelled++,
    };
  }
  get events(): RawStreamEvents {
    return this.opened[this.opened.length - 1]!.events;
  }
  final(text: string): void {
    this.events.onResult({ text, isFinal: true, stability: 0, confidence: 0.9, endOffsetMs: undefined });
  }
  async close(): Promise<void> {}
}

/** An LLM whose deltas the test releases one by one; it stops at abort like the SDK's stream. */
class FakeLlm {
  readonly requests: Array<{ history: ChatTurn[]; signal: AbortSignal }> = [];
  private queue: Array<Deferred<string | undefined>> = [];
  async *answer(history: readonly ChatTurn[], signal: AbortSignal): AsyncIterable<string> {
    this.requests.push({ history: [...history], signal });
    for (;;) {
      const d = deferred<string | undefined>();
      this.queue.push(d);
      const onAbort = (): void => d.resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      const delta = await d.promise;
      signal.removeEventListener('abort', onAbort);
      if (delta === undefined || signal.aborted) return;
      yield delta;
    }
  }
  /** Sends a delta (or ends the answer with undefined) once the call waits for one. */
  async emit(delta: string | undefined): Promise<void> {
    await flush();
    this.queue.shift()!.resolve(delta);
    await flush();
  }
}

/** `null`: the call has no greeting. */
function setup(greeting: Buffer | null = Buffer.alloc(100, 1)) {
  const stt = new FakeStt();
  const llm = new FakeLlm();
  const tts: Array<{ text: string; reply: Deferred<Buffer | undefined>; signal: AbortSignal }> = [];
  const sent: string[] = [];
  let closed: number | undefined;
  const errors: string[] = [];
  const counts = new FloorCounts();
  const providers: FloorProviders = {
    stt,
    answer: (h, s) => llm.answer(h, s),
    speak: (text, signal) => {
      const reply = deferred<Buffer | undefined>();
      tts.push({ text, reply, signal });
      return reply.promise;
    },
    greeting: () => Promise.resolve(greeting ?? undefined),
  };
  const call = new FloorCall({
    socket: { send: (t) => void sent.push(t), close: (c) => void (closed = c) },
    providers,
    counts,
    batchMs: 80,
    onError: (what) => void errors.push(what),
  });
  const send = (text: string): void => call.onMessage(Buffer.from(text));
  const events = () => sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  const kinds = () => events().map((e) => e['event']);
  const start = async (): Promise<void> => {
    send(JSON.stringify({ event: 'connected' }));
    send(JSON.stringify({ event: 'start', start: { streamSid: 'MZ1', callSid: 'CA1' } }));
    await flush();
  };
  let chunk = 0;
  /** A media frame as Twilio sends it (the fast parser's form); `plain: false` adds a number field it declines. */
  const media = (fill: number, plain = true): void => {
    chunk++;
    send(
      JSON.stringify({
        event: 'media',
        sequenceNumber: String(chunk + 1),
        streamSid: 'MZ1',
        media: {
          track: 'inbound',
          chunk: String(chunk),
          timestamp: String(chunk * 20),
          payload: Buffer.alloc(160, fill).toString('base64'),
        },
        ...(plain ? {} : { extra: 1 }),
      }),
    );
  };
  const echo = (name: string): void => send(JSON.stringify({ event: 'mark', mark: { name } }));
  return {
    stt,
    llm,
    tts,
    sent,
    events,
    kinds,
    errors,
    counts,
    call,
    send,
    start,
    media,
    echo,
    closed: () => closed,
  };
}

describe('floor call', () => {
  it('opens one Speech stream for the call sid at start and plays the greeting with a mark', async () => {
    const t = setup();
    await t.start();
    expect(t.stt.opened.map((o) => [o.callId, o.baseMs])).toEqual([['CA1', 0]]);
    expect(t.kinds()).toEqual(['media', 'mark']);
    expect(t.events()[0]).toMatchObject({
      streamSid: 'MZ1',
      media: { payload: Buffer.alloc(100, 1).toString('base64') },
    });
    expect(t.call.speaking).toBe(true);
    t.echo('f1');
    expect(t.call.speaking).toBe(false);
  });

  it("forwards the caller's audio to Speech in 80 ms messages", async () => {
    const t = setup(null);
    await t.start();
    for (let i = 0; i < 9; i++) t.media(i);
    expect(t.stt.writes).toHaveLength(2);
    expect(t.stt.writes[1]).toEqual(Buffer.concat([4, 5, 6, 7].map((i) => Buffer.alloc(160, i))));
    expect(t.counts.framesIn).toBe(9);
    expect(t.counts.sttWrites).toBe(2);
  });

  it('reads media frames the fast parser declines with JSON.parse, to the same audio', async () => {
    const t = setup(null);
    await t.start();
    for (let i = 0; i < 4; i++) t.media(i, i % 2 === 0);
    expect(t.stt.writes).toEqual([Buffer.concat([0, 1, 2, 3].map((i) => Buffer.alloc(160, i)))]);
    expect(t.errors).toEqual([]);
  });

  it('answers a final: the LLM with the conversation, each sentence synthesised and sent in order', async () => {
    const t = setup(null);
    await t.start();
    t.stt.events.onResult({
      text: 'של',
      isFinal: false,
      stability: 0,
      confidence: 0,
      endOffsetMs: undefined,
    });
    expect(t.llm.requests).toHaveLength(0);
    t.stt.final('שלום');
    await t.llm.emit('אהלן. ');
    await t.llm.emit('מה ');
    await t.llm.emit('נשמע?');
    await t.llm.emit(undefined);
    expect(t.llm.requests[0]!.history).toEqual([{ role: 'user', content: 'שלום' }]);
    expect(t.tts.map((r) => r.text)).toEqual(['אהלן.', 'מה נשמע?']);
    // The second sentence's audio comes first: it still goes out after the first.
    t.tts[1]!.reply.resolve(Buffer.alloc(10, 2));
    await flush();
    expect(t.sent).toEqual([]);
    t.tts[0]!.reply.resolve(Buffer.alloc(2000, 1));
    await flush();
    const ev = t.events();
    expect(ev.map((e) => e['event'])).toEqual(['media', 'media', 'mark', 'media', 'mark']);
    expect(ev[3]).toMatchObject({ media: { payload: Buffer.alloc(10, 2).toString('base64') } });
    // The next request carries the answer as the assistant's turn.
    t.stt.final('תודה');
    await flush();
    expect(t.llm.requests[1]!.history).toEqual([
      { role: 'user', content: 'שלום' },
      { role: 'assistant', content: 'אהלן. מה נשמע?' },
      { role: 'user', content: 'תודה' },
    ]);
  });

  it("clears on Speech's speech start while the answer plays, and drops the rest of the answer", async () => {
    const t = setup(null);
    await t.start();
    t.stt.final('שאלה');
    await t.llm.emit('משפט ראשון. ');
    t.tts[0]!.reply.resolve(Buffer.alloc(800, 3));
    await flush();
    expect(t.call.speaking).toBe(true);
    t.stt.events.onSpeechEvent('begin', 1000);
    expect(t.kinds()).toEqual(['media', 'mark', 'clear']);
    expect(t.llm.requests[0]!.signal.aborted).toBe(true);
    expect(t.counts.clears).toBe(1);
    // Nothing more of this answer goes out, even a sentence already being synthesised.
    await flush();
    expect(t.kinds()).toEqual(['media', 'mark', 'clear']);
  });

  it('does not clear when the caller starts speaking while nothing plays', async () => {
    const t = setup(null);
    await t.start();
    t.stt.events.onSpeechEvent('begin', 500);
    t.stt.final('שאלה');
    await t.llm.emit('תשובה. ');
    t.stt.events.onSpeechEvent('begin', 900);
    expect(t.kinds()).toEqual([]);
    expect(t.llm.requests[0]!.signal.aborted).toBe(false);
  });

  it('reopens a stream the server ended, placed at the audio time reached', async () => {
    const t = setup(null);
    await t.start();
    for (let i = 0; i < 10; i++) t.media(0);
    t.stt.events.onEnd();
    expect(t.stt.opened.map((o) => o.baseMs)).toEqual([0, 200]);
  });

  it('ends at stop: the stream cancelled, the answer aborted, the socket closed', async () => {
    const t = setup(null);
    await t.start();
    t.stt.final('שאלה');
    await flush();
    t.send(JSON.stringify({ event: 'stop' }));
    expect(t.stt.cancelled).toBe(1);
    expect(t.llm.requests[0]!.signal.aborted).toBe(true);
    expect(t.closed()).toBe(1000);
    expect(t.counts.activeCalls).toBe(0);
  });

  it('reports a failed synthesis and still speaks the next sentence', async () => {
    const t = setup(null);
    await t.start();
    const providers = (t.call as unknown as { o: { providers: FloorProviders } }).o.providers;
    let n = 0;
    const speak = providers.speak;
    (providers as { speak: FloorProviders['speak'] }).speak = (text, signal) =>
      ++n === 1 ? Promise.reject(new Error('tts down')) : speak(text, signal);
    t.stt.final('שאלה');
    await t.llm.emit('אחת. שתיים.');
    await t.llm.emit(undefined);
    t.tts[0]!.reply.resolve(Buffer.alloc(10, 5));
    await flush();
    expect(t.errors).toEqual(['tts']);
    expect(t.kinds()).toEqual(['media', 'mark']);
  });
});
