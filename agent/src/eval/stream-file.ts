// One recording through a StreamingStt exactly as a call streams it: 20 ms mu-law frames on
// the call clock, batched by STT_BATCH_MS (audio/batcher.ts), the local VAD marking utterances
// (markUtterance), then caller silence until every utterance has its final (or a deadline).
// Time comes from an injected clock; pacing is real time or, with `fast`, as fast as the
// recogniser takes it (the emulator does; Google expects close to real time).
import { createBatcher, type AudioBatcher } from '../audio/batcher.ts';
import { decodeMulaw, MULAW_FRAME_BYTES, MULAW_SILENCE } from '../audio/mulaw.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { Vad } from '../turn/types.ts';
import { createVad } from '../turn/vad.ts';
import type { StreamingStt, SttFinal, SttStream } from '../stt/types.ts';

const FRAME_MS = 20;

export interface EvalClock {
  /** Monotonic ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: EvalClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface StreamFileOptions {
  readonly stt: StreamingStt;
  readonly config: Pick<Config, 'sttBatchMs' | 'vadHangoverMs'>;
  readonly callId: string;
  readonly mulaw: Buffer;
  readonly clock?: EvalClock;
  /** Send the recording as fast as the recogniser takes it (the tail is always real time). */
  readonly fast?: boolean;
  /** Caller silence streamed after the recording (ms). Default 1000. */
  readonly tailMs?: number;
  /** Longest wait after the recording for outstanding finals (ms). Default 8000. */
  readonly settleMs?: number;
  readonly logger?: Logger;
}

export interface StreamFileResult {
  /** The finals, joined: what a call would have acted on. */
  readonly hypothesis: string;
  readonly finals: readonly string[];
  /** Utterances the local VAD heard. */
  readonly utterances: number;
  /** First partial's arrival after the first speech frame was sent (ms); undefined without a partial. */
  readonly firstPartialMs: number | undefined;
  /** Last final's arrival after the last speech frame was sent (ms); undefined without a final. */
  readonly finalMs: number | undefined;
  readonly audioMs: number;
  /** STT errors reported during the file (code: message). */
  readonly errors: readonly string[];
}

/** What one streamed recording produced, as it happens: the recogniser's events and the VAD's. */
class FileFeed {
  readonly stream: SttStream;
  private readonly batcher: AudioBatcher;
  private readonly vad: Vad;
  private readonly now: () => number;
  private readonly finals: SttFinal[] = [];
  private readonly errors: string[] = [];
  private readonly sentAt: number[] = []; // call-clock time each frame was written, by frame index
  private firstPartialAt: number | undefined;
  private lastPartialAt: number | undefined;
  private lastFinalAt: number | undefined;
  private utterances = 0;
  private speechStartMs: number | undefined;
  private firstSpeechSentAt: number | undefined;
  private lastSpeechEndSentAt: number | undefined;

  constructor(options: StreamFileOptions, now: () => number) {
    this.now = now;
    this.stream = options.stt.open(
      { callId: options.callId, logger: options.logger ?? silentLogger, now },
      {
        onPartial: (p) => {
          if (p.text.trim() === '') return;
          this.firstPartialAt ??= now();
          this.lastPartialAt = now();
          this.batcher.noteRecognizing(true);
        },
        onFinal: (f) => {
          if (f.text.trim() !== '') this.finals.push(f);
          this.lastFinalAt = now();
          this.batcher.noteRecognizing(false);
        },
        onState: () => undefined,
        onError: (e) => this.errors.push(`${e.code}: ${e.message}`),
      },
    );
    this.batcher = createBatcher(options.config, (chunk) => this.stream.write(chunk));
    this.vad = createVad({ vadHangoverMs: options.config.vadHangoverMs });
  }

  /** One 20 ms frame, as the session handles caller audio: to the batcher and the VAD. */
  send(frame: Buffer, audioMs: number): void {
    this.sentAt.push(this.now());
    this.batcher.push({ mulaw: frame, audioTimeMs: audioMs });
    const v = this.vad.process(decodeMulaw(frame), audioMs);
    this.batcher.noteVoice(v.voiced, audioMs);
    if (v.event === 'speechStart') {
      this.utterances++;
      this.speechStartMs = v.eventTimeMs ?? audioMs;
      this.firstSpeechSentAt ??= this.sentAt[Math.floor(this.speechStartMs / FRAME_MS)] ?? this.now();
    } else if (v.event === 'speechEnd') {
      const endMs = v.eventTimeMs ?? audioMs;
      // Like the session: the recogniser is told where the VAD cut the utterance.
      this.stream.markUtterance?.(this.speechStartMs ?? 0, endMs);
      this.lastSpeechEndSentAt = this.sentAt[Math.max(0, Math.ceil(endMs / FRAME_MS) - 1)] ?? this.now();
    }
  }

  /**
   * A final came after the last speech was sent and no partial is waiting for one (the
   * recogniser may join or split the VAD's utterances, so counts are not compared).
   */
  settled(): boolean {
    return (
      this.utterances === 0 ||
      (this.lastFinalAt !== undefined &&
        this.lastFinalAt >= (this.lastSpeechEndSentAt ?? 0) &&
        (this.lastPartialAt === undefined || this.lastPartialAt <= this.lastFinalAt))
    );
  }

  result(audioMs: number): StreamFileResult {
    this.batcher.flush();
    const since = (at: number | undefined, from: number | undefined): number | undefined =>
      at !== undefined && from !== undefined ? Math.max(0, at - from) : undefined;
    return {
      hypothesis: this.finals.map((f) => f.text.trim()).join(' '),
      finals: this.finals.map((f) => f.text),
      utterances: this.utterances,
      firstPartialMs: since(this.firstPartialAt, this.firstSpeechSentAt),
      finalMs: since(this.lastFinalAt, this.lastSpeechEndSentAt),
      audioMs,
      errors: [...this.errors],
    };
  }
}

export async function streamFile(options: StreamFileOptions): Promise<StreamFileResult> {
  const clock = options.clock ?? realClock;
  const t0 = clock.now();
  const now = (): number => clock.now() - t0;
  const feed = new FileFeed(options, now);
  const silence = Buffer.alloc(MULAW_FRAME_BYTES, MULAW_SILENCE);
  let audioMs = 0;
  try {
    for (let off = 0; off < options.mulaw.length; off += MULAW_FRAME_BYTES) {
      let frame = options.mulaw.subarray(off, off + MULAW_FRAME_BYTES);
      if (frame.length < MULAW_FRAME_BYTES)
        frame = Buffer.concat([frame, silence.subarray(0, MULAW_FRAME_BYTES - frame.length)]);
      feed.send(frame, audioMs);
      audioMs += FRAME_MS;
      if (!options.fast) {
        const due = audioMs - now();
        if (due > 0) await clock.sleep(due);
      } else if ((audioMs / FRAME_MS) % 50 === 0) await clock.sleep(0); // let the transport breathe
    }
    const recordingMs = audioMs;
    // Caller silence after the recording, always in real time (fast mode ran ahead of the clock).
    const offset = now() - audioMs;
    const tailEnd = recordingMs + (options.tailMs ?? 1000);
    const settleEnd = now() + (options.tailMs ?? 1000) + (options.settleMs ?? 8000);
    while (!(audioMs >= tailEnd && feed.settled()) && now() < settleEnd) {
      feed.send(silence, audioMs);
      audioMs += FRAME_MS;
      const due = audioMs + offset - now();
      if (due > 0) await clock.sleep(due);
    }
    return feed.result(recordingMs);
  } finally {
    await feed.stream.close();
  }
}
