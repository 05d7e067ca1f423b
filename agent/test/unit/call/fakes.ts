// Small fakes of the provider and turn-taking interfaces, so call-session behaviour is tested
// with exact, synthetic timelines and no network.
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { encodeMulaw } from '../../../src/audio/mulaw.ts';
import type { ChatMessage, RespondRequest, Responder } from '../../../src/llm/types.ts';
import type {
  AudioChunk,
  SttListener,
  SttSessionContext,
  SttStream,
  StreamingStt,
} from '../../../src/stt/types.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';
import type {
  Endpointer,
  EndpointerInput,
  EndpointerOutput,
  Vad,
  VadFrame,
} from '../../../src/turn/types.ts';
import type { AudioBatcher, SentenceSplitter, TurnComponents } from '../../../src/call/components.ts';
import { createBargeInDetector } from '../../../src/turn/barge-in.ts';
import type { PhraseSource, SessionDeps } from '../../../src/call/session.ts';
import type { CallClock } from '../../../src/call/clock.ts';
import type { CallContext, CallHandler, MarkOutcome, MediaSink } from '../../../src/call/types.ts';
import { createCallHandlerFactory } from '../../../src/call/session.ts';
import { FakeClock } from './fake-clock.ts';

export const flush = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
};

// ---- sink ----
export type SinkEvent =
  { type: 'media'; bytes: number } | { type: 'mark'; name: string } | { type: 'clear' } | { type: 'hangup' };

export class FakeSink implements MediaSink {
  events: SinkEvent[] = [];
  pendingMarks: string[] = [];
  private n = 0;
  private readonly fake: FakeClock | undefined;
  private manual = 0;
  /** Backed by the call's FakeClock (setting `clock` advances it), else a plain counter. */
  constructor(fake?: FakeClock) {
    this.fake = fake;
  }
  get clock(): number {
    return this.fake ? this.fake.now() : this.manual;
  }
  set clock(ms: number) {
    if (this.fake) this.fake.advance(ms - this.fake.now());
    else this.manual = ms;
  }
  sendMedia(mulaw: Buffer): void {
    this.events.push({ type: 'media', bytes: mulaw.length });
  }
  sendMark(label: string): string {
    const name = `${label}#${++this.n}`;
    this.events.push({ type: 'mark', name });
    this.pendingMarks.push(name);
    return name;
  }
  sendClear(): void {
    this.events.push({ type: 'clear' });
  }
  hangup(): void {
    this.events.push({ type: 'hangup' });
  }
  now(): number {
    return this.clock;
  }
  /** Echoes the oldest pending mark (FIFO, like Twilio) to the handler. */
  echo(handler: CallHandler, outcome: MarkOutcome): string | undefined {
    const name = this.pendingMarks.shift();
    if (name !== undefined) handler.onMark(name, outcome);
    return name;
  }
  echoAll(handler: CallHandler, outcome: MarkOutcome): number {
    let n = 0;
    while (this.echo(handler, outcome) !== undefined) n++;
    return n;
  }
  count(type: SinkEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }
}

// ---- STT ----
export class FakeStt implements StreamingStt {
  readonly name = 'fake-stt';
  listener: SttListener | undefined;
  ctx: SttSessionContext | undefined;
  writes: AudioChunk[] = [];
  utterances: Array<[number, number]> = [];
  opened = 0;
  closed = 0;
  open(ctx: SttSessionContext, listener: SttListener): SttStream {
    this.ctx = ctx;
    this.listener = listener;
    this.opened++;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      write: (chunk) => self.writes.push(chunk),
      markUtterance: (s, e) => self.utterances.push([s, e]),
      close: async () => {
        self.closed++;
      },
      get state() {
        return 'streaming' as const;
      },
    };
  }
}

// ---- LLM ----
export interface ScriptedAnswer {
  deltas?: string[];
  /** Throw this after the deltas. */
  error?: Error;
  /** After the deltas, wait until aborted (simulates a slow stream). */
  hang?: boolean;
  /** Wait this many ms (on the call's clock) before the first delta. */
  delayMs?: number;
}

export class FakeResponder implements Responder {
  readonly name = 'fake-llm';
  /** The timers delays run on: the call's clock (fake in session tests). */
  timers: Pick<CallClock, 'setTimeout' | 'clearTimeout'> = realTimers;
  requests: Array<{ messages: ChatMessage[]; signal: AbortSignal }> = [];
  answers: ScriptedAnswer[] = [];
  fallback: ScriptedAnswer = { deltas: ['בסדר.'] };
  /** Connection warm-ups asked for, with the clock's time (-1 when no timers are fake). */
  warms: number[] = [];
  warm(): Promise<void> {
    this.warms.push('now' in this.timers ? (this.timers as { now(): number }).now() : -1);
    return Promise.resolve();
  }
  respond(request: RespondRequest): AsyncIterable<string> {
    this.requests.push({ messages: [...request.messages], signal: request.signal });
    const answer = this.answers.shift() ?? this.fallback;
    const signal = request.signal;
    const timers = this.timers;
    return (async function* () {
      if (answer.delayMs) await abortableSleep(answer.delayMs, signal, timers);
      for (const d of answer.deltas ?? []) {
        if (signal.aborted) return;
        yield d;
        await new Promise<void>((r) => setImmediate(r));
      }
      if (answer.error) throw answer.error;
      if (answer.hang) await abortableSleep(60_000, signal, timers);
    })();
  }
}

const realTimers: Pick<CallClock, 'setTimeout' | 'clearTimeout'> = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

function abortableSleep(
  ms: number,
  signal: AbortSignal,
  timers: Pick<CallClock, 'setTimeout' | 'clearTimeout'>,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = timers.setTimeout(done, ms);
    function done(): void {
      timers.clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

// ---- TTS ----
/** 10 ms of audio (80 bytes) per character, in two chunks. */
export class FakeSynthesizer implements Synthesizer {
  readonly name = 'fake-tts';
  requests: Array<{ text: string; signal: AbortSignal }> = [];
  failWhen: ((text: string) => boolean) | undefined;
  /** Refuses a request before any audio with this error (e.g. the outage's UNAVAILABLE). */
  refuseWhen: ((text: string) => Error | undefined) | undefined;
  /** Time to first audio, on `timers` (the call's clock in session tests); 0: at once. */
  delayMs = 0;
  timers: Pick<CallClock, 'setTimeout' | 'clearTimeout'> = realTimers;
  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    this.requests.push({ text: request.text, signal: request.signal });
    const fail = this.failWhen?.(request.text) ?? false;
    const refusal = this.refuseWhen?.(request.text);
    const { delayMs, timers } = this;
    return (async function* () {
      if (delayMs > 0) {
        await abortableSleep(delayMs, request.signal, timers);
        if (request.signal.aborted) return;
      }
      await Promise.resolve();
      if (refusal) throw refusal;
      const total = Math.max(160, request.text.length * 80);
      yield Buffer.alloc(Math.floor(total / 2), 0xff);
      await new Promise<void>((r) => setImmediate(r));
      if (fail) throw new Error('synthetic TTS failure');
      yield Buffer.alloc(total - Math.floor(total / 2), 0xff);
    })();
  }
}

export class FakePhrases implements PhraseSource {
  gets: string[] = [];
  async get(text: string): Promise<Buffer> {
    this.gets.push(text);
    return Buffer.alloc(800, 0xff);
  }
}

// ---- turn-taking ----
/** Voiced when the frame's mean absolute amplitude is high; smoothed speech ends 3 frames after the last voiced one. */
export class FakeVad implements Vad {
  private inSpeech = false;
  private silentFrames = 0;
  private lastVoicedEnd = 0;
  process(pcm: Int16Array, audioTimeMs: number): VadFrame {
    let sum = 0;
    for (const s of pcm) sum += Math.abs(s);
    const voiced = sum / pcm.length > 1000;
    if (voiced) {
      this.silentFrames = 0;
      this.lastVoicedEnd = audioTimeMs + 20;
      if (!this.inSpeech) {
        this.inSpeech = true;
        return { voiced, speech: true, event: 'speechStart', eventTimeMs: audioTimeMs };
      }
      return { voiced, speech: true };
    }
    if (this.inSpeech && ++this.silentFrames > 3) {
      this.inSpeech = false;
      return { voiced, speech: false, event: 'speechEnd', eventTimeMs: this.lastVoicedEnd };
    }
    return { voiced, speech: this.inSpeech };
  }
  reset(): void {
    this.inSpeech = false;
  }
}

/** Passes outputs queued by the test out on the next input; records every input. */
export class FakeEndpointer implements Endpointer {
  inputs: EndpointerInput[] = [];
  queued: EndpointerOutput[] = [];
  handle(input: EndpointerInput): EndpointerOutput[] {
    this.inputs.push(input);
    const out = this.queued;
    this.queued = [];
    return out;
  }
  reset(): void {
    this.queued = [];
  }
}

export class SentenceSplitterFake implements SentenceSplitter {
  private buf = '';
  push(delta: string): string[] {
    this.buf += delta;
    const out: string[] = [];
    let m: RegExpExecArray | null;
    while ((m = /^(.*?[.?!])\s*/s.exec(this.buf)) !== null && m[1] !== undefined) {
      out.push(m[1]);
      this.buf = this.buf.slice(m[0].length);
    }
    return out;
  }
  flush(): string[] {
    const rest = this.buf.trim();
    this.buf = '';
    return rest === '' ? [] : [rest];
  }
}

// ---- audio ----
const TONE = (() => {
  const pcm = new Int16Array(160);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return encodeMulaw(pcm);
})();
const SILENCE = Buffer.alloc(160, 0xff);

// ---- harness ----
export interface Harness {
  sink: FakeSink;
  stt: FakeStt;
  responder: FakeResponder;
  synthesizer: FakeSynthesizer;
  phrases: FakePhrases;
  endpointer: FakeEndpointer;
  /** The call's clock: fake unless the test injected another (then `clock` is not advanced). */
  clock: FakeClock;
  handler: CallHandler;
  config: Config;
  records: unknown[];
  /** Sends `ms` of caller audio (tone or silence) in 20 ms frames, advancing the clock 20 ms per frame. */
  audio(kind: 'speech' | 'silence', ms: number): void;
  /** Queues endpointer outputs and delivers them with a tick. */
  emit(...outputs: EndpointerOutput[]): void;
  turnEnded(
    utteranceId: number,
    transcript: string,
    rule?: 'silence' | 'sttFinal' | 'earlyFinal' | 'noVoiceTimeout',
  ): void;
}

export function createHarness(overrides: Partial<Config> = {}, deps: Partial<SessionDeps> = {}): Harness {
  const config = defaultConfig({ greetingText: '', llmSystemPrompt: '', llmPreemptive: false, ...overrides });
  const clock = new FakeClock();
  // A test may inject a real clock (deps.clock); then the sink keeps its own counter.
  const sink = new FakeSink(deps.clock ? undefined : clock);
  const stt = new FakeStt();
  const responder = new FakeResponder();
  const synthesizer = new FakeSynthesizer();
  const phrases = new FakePhrases();
  const endpointer = new FakeEndpointer();
  const records: unknown[] = [];
  const components: TurnComponents = {
    createVad: () => new FakeVad(),
    createEndpointer: () => endpointer,
    createSplitter: () => new SentenceSplitterFake(),
    createBatcher: (_config, out): AudioBatcher => ({ push: (c) => out(c), flush: () => undefined }),
    createBargeInDetector: (c) => createBargeInDetector(c),
  };
  const factory = createCallHandlerFactory({
    config,
    stt,
    responder,
    synthesizer,
    phrases,
    logger: silentLogger,
    components,
    clock: () => clock,
    onTurn: (r) => records.push(structuredClone(r)),
    ...deps,
  });
  if (!deps.clock) responder.timers = synthesizer.timers = clock;
  const ctx: CallContext = {
    info: {
      callSid: 'CA-test',
      streamSid: 'MZ-test',
      accountSid: 'AC-test',
      customParameters: {},
      startedAtMs: 0,
    },
    sink,
    logger: silentLogger,
  };
  const handler = factory(ctx);
  const h: Harness = {
    sink,
    stt,
    responder,
    synthesizer,
    phrases,
    endpointer,
    clock,
    handler,
    config,
    records,
    audio(kind, ms) {
      for (let t = 0; t < ms; t += 20) {
        handler.onAudio({ mulaw: kind === 'speech' ? TONE : SILENCE, audioTimeMs: sink.clock });
        sink.clock += 20;
      }
    },
    emit(...outputs) {
      endpointer.queued.push(...outputs);
      // With an injected (real) clock, deliver through one silent frame instead of a tick.
      if (deps.clock) handler.onAudio({ mulaw: SILENCE, audioTimeMs: sink.clock });
      else clock.tick();
    },
    turnEnded(utteranceId, transcript, rule = 'sttFinal') {
      h.emit({
        type: 'turnEnded',
        turn: {
          utteranceId,
          transcript,
          rule,
          speechStartMs: Math.max(0, sink.clock - 1000),
          speechEndMs: Math.max(0, sink.clock - 200),
          firstPartialMs: Math.max(0, sink.clock - 500),
          endedAtMs: sink.clock,
        },
      });
    },
  };
  return h;
}
