// One recording through a StreamingStt exactly as a call streams it: 20 ms mu-law frames on
// the call clock, batched by STT_BATCH_MS (audio/batcher.ts), the local VAD marking utterances
// (markUtterance), then caller silence until every utterance has its final (or a deadline).
// Time comes from an injected clock; pacing is real time or, with `fast`, as fast as the
// recogniser takes it (the emulator does; Google expects close to real time).
import { createBatcher } from '../audio/batcher.ts';
import { decodeMulaw, MULAW_FRAME_BYTES, MULAW_SILENCE } from '../audio/mulaw.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import { createVad } from '../turn/vad.ts';
import type { StreamingStt, SttFinal } from '../stt/types.ts';

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

export async function streamFile(options: StreamFileOptions): Promise<StreamFileResult> {
  const clock = options.clock ?? realClock;
  const t0 = clock.now();
  const now = (): number => clock.now() - t0;
  const finals: SttFinal[] = [];
  const errors: string[] = [];
  let firstPartialAt: number | undefined;
  let lastPartialAt: number | undefined;
  let lastFinalAt: number | undefined;
  const stream = options.stt.open(
    { callId: options.callId, logger: options.logger ?? silentLogger, now },
    {
      onPartial: (p) => {
        if (p.text.trim() === '') return;
        firstPartialAt ??= now();
        lastPartialAt = now();
      },
      onFinal: (f) => {
        if (f.text.trim() !== '') finals.push(f);
        lastFinalAt = now();
      },
      onState: () => undefined,
      onError: (e) => errors.push(`${e.code}: ${e.message}`),
    },
  );
  const batcher = createBatcher(options.config, (chunk) => stream.write(chunk));
  const vad = createVad({ vadHangoverMs: options.config.vadHangoverMs });
  let utterances = 0;
  let speechStartMs: number | undefined;
  let firstSpeechSentAt: number | undefined;
  let lastSpeechEndSentAt: number | undefined;
  const sentAt: number[] = []; // call-clock time each frame was written, by frame index

  const sendFrame = (frame: Buffer, audioMs: number): void => {
    sentAt.push(now());
    batcher.push({ mulaw: frame, audioTimeMs: audioMs });
    const v = vad.process(decodeMulaw(frame), audioMs);
    if (v.event === 'speechStart') {
      utterances++;
      speechStartMs = v.eventTimeMs ?? audioMs;
      firstSpeechSentAt ??= sentAt[Math.floor(speechStartMs / FRAME_MS)] ?? now();
    } else if (v.event === 'speechEnd') {
      const endMs = v.eventTimeMs ?? audioMs;
      // Like the session: the recogniser is told where the VAD cut the utterance.
      stream.markUtterance?.(speechStartMs ?? 0, endMs);
      lastSpeechEndSentAt = sentAt[Math.max(0, Math.ceil(endMs / FRAME_MS) - 1)] ?? now();
    }
  };

  const silence = Buffer.alloc(MULAW_FRAME_BYTES, MULAW_SILENCE);
  let audioMs = 0;
  const pace = async (realTime: boolean): Promise<void> => {
    if (realTime) {
      const due = audioMs - now();
      if (due > 0) await clock.sleep(due);
    } else if ((audioMs / FRAME_MS) % 50 === 0) await clock.sleep(0); // let the transport breathe
  };
  try {
    for (let off = 0; off < options.mulaw.length; off += MULAW_FRAME_BYTES) {
      let frame = options.mulaw.subarray(off, off + MULAW_FRAME_BYTES);
      if (frame.length < MULAW_FRAME_BYTES)
        frame = Buffer.concat([frame, silence.subarray(0, MULAW_FRAME_BYTES - frame.length)]);
      sendFrame(frame, audioMs);
      audioMs += FRAME_MS;
      await pace(!options.fast);
    }
    const recordingMs = audioMs;
    // Fast mode ran ahead of the clock: the tail is paced in real time from here.
    const offset = now() - audioMs;
    const tailEnd = recordingMs + (options.tailMs ?? 1000);
    const settleEnd = now() + (options.tailMs ?? 1000) + (options.settleMs ?? 8000);
    // Settled: a final came after the last speech was sent and no partial is waiting for one
    // (the recogniser may join or split the VAD's utterances, so counts are not compared).
    const settled = (): boolean =>
      utterances === 0 ||
      (lastFinalAt !== undefined &&
        lastFinalAt >= (lastSpeechEndSentAt ?? 0) &&
        (lastPartialAt === undefined || lastPartialAt <= lastFinalAt));
    for (;;) {
      if (audioMs >= tailEnd && settled()) break;
      if (now() >= settleEnd) break;
      sendFrame(silence, audioMs);
      audioMs += FRAME_MS;
      const due = audioMs + offset - now();
      if (due > 0) await clock.sleep(due);
    }
    batcher.flush();
    return {
      hypothesis: finals.map((f) => f.text.trim()).join(' '),
      finals: finals.map((f) => f.text),
      utterances,
      firstPartialMs:
        firstPartialAt !== undefined && firstSpeechSentAt !== undefined
          ? Math.max(0, firstPartialAt - firstSpeechSentAt)
          : undefined,
      finalMs:
        lastFinalAt !== undefined && lastSpeechEndSentAt !== undefined
          ? Math.max(0, lastFinalAt - lastSpeechEndSentAt)
          : undefined,
      audioMs: recordingMs,
      errors,
    };
  } finally {
    await stream.close();
  }
}
