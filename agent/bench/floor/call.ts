// One call of the plumbing-floor agent: what a Twilio call needs of the libraries and nothing
// more. The caller's audio goes to one Speech stream in fixed batches; on each final the LLM is
// asked (streaming) with the conversation so far; each sentence of the answer is synthesised and
// sent back as Twilio media with a mark after it; Speech's speech-start while marks are still
// unplayed clears Twilio's buffer and drops the answer. No VAD, endpointer, prosody, preemptive
// guess, metrics, tracing or turn records: the real agent's call/ does all of that on top.
import type { RawStream, RawStreamingProvider, RawResult } from '../../src/stt/raw.ts';
import { parseMediaFast } from '../../src/twilio/media-fast.ts';
import {
  AudioBatcher,
  SentenceSplitter,
  clearMessage,
  markMessage,
  mediaMessages,
  type FloorCounts,
} from './plumbing.ts';

export interface ChatTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** What a call uses; the server wires the real clients, tests wire fakes. */
export interface FloorProviders {
  readonly stt: RawStreamingProvider;
  /** The LLM's text deltas for the conversation so far (streaming); ends quietly when aborted. */
  answer(history: readonly ChatTurn[], signal: AbortSignal): AsyncIterable<string>;
  /** One sentence as mu-law 8 kHz (no header); resolves undefined when aborted. */
  speak(text: string, signal: AbortSignal): Promise<Buffer | undefined>;
  /** The greeting's audio (synthesised once per process), or undefined for no greeting. */
  greeting(): Promise<Buffer | undefined>;
}

/** The WebSocket as the call sees it. */
export interface FloorSocket {
  send(text: string): void;
  close(code?: number): void;
}

export interface FloorCallOptions {
  readonly socket: FloorSocket;
  readonly providers: FloorProviders;
  readonly counts: FloorCounts;
  /** Audio per Speech message (the real agent's STT_BATCH_MS). */
  readonly batchMs: number;
  readonly onError: (what: string, err: unknown) => void;
}

interface TwilioEvent {
  readonly event?: string;
  readonly streamSid?: string;
  readonly start?: { readonly callSid?: string; readonly streamSid?: string };
  readonly media?: { readonly payload?: string };
  readonly mark?: { readonly name?: string };
}

export class FloorCall {
  private readonly o: FloorCallOptions;
  private readonly batcher: AudioBatcher;
  private readonly history: ChatTurn[] = [];
  private streamSid = '';
  private callSid = '';
  private stt: RawStream | undefined;
  private audioMs = 0;
  private answering: AbortController | undefined;
  private readonly unplayed = new Set<string>();
  private markSeq = 0;
  private ended = false;

  constructor(o: FloorCallOptions) {
    this.o = o;
    this.batcher = new AudioBatcher(o.batchMs);
  }

  /** Marks sent whose audio Twilio has not played yet: the agent is speaking. */
  get speaking(): boolean {
    return this.unplayed.size > 0;
  }

  /**
   * One text message from Twilio, as its UTF-8 bytes. Media frames (50 a second) are read with the
   * real agent's media codec (twilio/media-fast.ts: the fields and the base64 payload in one pass
   * over the bytes, no JSON object tree); anything else with JSON.parse.
   */
  onMessage(bytes: Uint8Array): void {
    const media = parseMediaFast(bytes, this.streamSid);
    if (media !== undefined) {
      this.onMedia(media.media.payload);
      return;
    }
    let e: TwilioEvent;
    try {
      e = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()) as TwilioEvent;
    } catch (err) {
      this.o.onError('malformed frame', err);
      return;
    }
    switch (e.event) {
      case 'media':
        this.onMedia(Buffer.from(e.media?.payload ?? '', 'base64'));
        return;
      case 'mark':
        this.o.counts.marksIn++;
        this.unplayed.delete(e.mark?.name ?? '');
        return;
      case 'start':
        this.onStart(e);
        return;
      case 'stop':
        this.end();
        return;
    }
  }

  /** The socket closed (after stop, or without it). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.answering?.abort();
    this.stt?.cancel();
    this.stt = undefined;
    this.o.counts.callsEnded++;
    this.o.counts.activeCalls--;
    this.o.socket.close(1000);
  }

  private onStart(e: TwilioEvent): void {
    if (this.streamSid !== '') return;
    this.streamSid = e.start?.streamSid ?? e.streamSid ?? '';
    this.callSid = e.start?.callSid ?? '';
    this.o.counts.callsStarted++;
    this.o.counts.activeCalls++;
    this.openStt();
    this.o.providers.greeting().then(
      (audio) => {
        if (audio !== undefined && !this.ended) this.play(audio);
      },
      (err: unknown) => this.o.onError('greeting', err),
    );
  }

  private onMedia(mulaw: Uint8Array): void {
    if (this.ended || this.streamSid === '') return;
    this.o.counts.framesIn++;
    this.audioMs += 20;
    const batch = this.batcher.push(mulaw);
    if (batch === undefined || this.stt === undefined) return;
    this.o.counts.sttWrites++;
    this.stt.write(batch);
  }

  /** One stream for the call; a stream the server ends (Google's 5-minute limit) is replaced. */
  private openStt(): void {
    this.o.counts.sttStreams++;
    const reopen = (why: string, err?: unknown): void => {
      if (err !== undefined) this.o.onError(`stt stream ${why}`, err);
      this.stt = undefined;
      if (!this.ended) this.openStt();
    };
    this.stt = this.o.providers.stt.open(
      this.callSid,
      {
        onOpen: () => undefined,
        onResult: (r) => this.onResult(r),
        onSpeechEvent: (kind) => this.onSpeechEvent(kind),
        onError: (err) => reopen('error', err),
        onEnd: () => reopen('end'),
      },
      { baseMs: this.audioMs },
    );
  }

  private onResult(r: RawResult): void {
    this.o.counts.sttResults++;
    if (!r.isFinal || this.ended) return;
    const text = r.text.trim();
    if (text !== '') void this.respond(text);
  }

  private onSpeechEvent(kind: 'begin' | 'end'): void {
    this.o.counts.sttSpeechEvents++;
    if (kind !== 'begin' || !this.speaking || this.ended) return;
    // Barge-in: Twilio drops what it has not played and echoes every pending mark.
    this.o.counts.clears++;
    this.o.socket.send(clearMessage(this.streamSid));
    this.answering?.abort();
  }

  /** One answer: LLM deltas -> sentences -> TTS (in parallel) -> media in order. */
  private async respond(userText: string): Promise<void> {
    this.answering?.abort();
    const ctrl = new AbortController();
    this.answering = ctrl;
    this.history.push({ role: 'user', content: userText });
    const splitter = new SentenceSplitter();
    let spoken = '';
    let sending: Promise<void> = Promise.resolve();
    const say = (sentence: string): void => {
      spoken += spoken === '' ? sentence : ` ${sentence}`;
      // Never rejects: a failed sentence is reported and skipped (the chain must not reject
      // while nobody awaits it).
      const audio = this.o.providers.speak(sentence, ctrl.signal).catch((err: unknown) => {
        if (!ctrl.signal.aborted) this.o.onError('tts', err);
        return undefined;
      });
      sending = sending.then(async () => {
        const a = await audio;
        if (a !== undefined && !ctrl.signal.aborted && !this.ended) this.play(a);
      });
    };
    try {
      for await (const delta of this.o.providers.answer(this.history, ctrl.signal)) {
        if (ctrl.signal.aborted) break;
        for (const s of splitter.push(delta)) say(s);
      }
      const rest = splitter.flush();
      if (rest !== undefined && !ctrl.signal.aborted) say(rest);
      await sending;
    } catch (err) {
      if (!ctrl.signal.aborted) this.o.onError('answer', err);
    } finally {
      if (this.answering === ctrl) this.answering = undefined;
      if (spoken !== '') this.history.push({ role: 'assistant', content: spoken });
    }
  }

  /** A sentence's audio to Twilio, then a mark that comes back once it has played. */
  private play(mulaw: Buffer): void {
    for (const m of mediaMessages(this.streamSid, mulaw)) {
      this.o.counts.mediaOut++;
      this.o.socket.send(m);
    }
    const name = `f${++this.markSeq}`;
    this.unplayed.add(name);
    this.o.counts.marksOut++;
    this.o.socket.send(markMessage(this.streamSid, name));
  }
}
