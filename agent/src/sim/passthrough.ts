// A call handler for the edge benchmark: decodes every inbound frame to PCM16 (so the codec runs
// on the hot path like in a real call, where STT gets PCM), and echoes the audio back the way a
// real agent sends TTS audio: encoded to mu-law in 100 ms batches (one media message each, as a
// TTS stream hands over chunks), not one message per inbound 20 ms frame, with a mark after each
// second of echoed audio. No providers, no timers: a batch goes out when its 100 ms of inbound
// audio is complete; less than 100 ms left at the end of the call is not echoed.
import { MULAW_DECODE_TABLE, encodeMulaw } from '../audio/mulaw.ts';
import type { CallHandler, CallHandlerFactory, MarkOutcome } from '../call/types.ts';

/** 1 s of mu-law 8 kHz. */
const MARK_EVERY_BYTES = 8000;
/** Default echo batch: 100 ms of audio per outbound media message. */
export const DEFAULT_ECHO_BATCH_MS = 100;

export interface PassthroughOptions {
  /**
   * Audio per echoed media message, in ms (20..1000; 20 echoes every 20 ms frame at once, which
   * tests use to see a single frame come back). Default DEFAULT_ECHO_BATCH_MS.
   */
  readonly echoBatchMs?: number;
}

export interface PassthroughStats {
  framesIn: number;
  bytesEchoed: number;
  marksSent: number;
  marksPlayed: number;
  marksCleared: number;
  dtmf: string;
  disposed: boolean;
}

/** A factory; `onStats` (optional) receives each handler's live stats object when it is created. */
export function createPassthroughFactory(
  onStats?: (stats: PassthroughStats, callSid: string) => void,
  options: PassthroughOptions = {},
): CallHandlerFactory {
  const batchMs = options.echoBatchMs ?? DEFAULT_ECHO_BATCH_MS;
  if (!Number.isInteger(batchMs) || batchMs < 20 || batchMs > 1000) {
    throw new RangeError(`echoBatchMs must be an integer from 20 to 1000 ms, got ${batchMs}`);
  }
  const batchSamples = batchMs * 8;
  return (ctx) => {
    const stats: PassthroughStats = {
      framesIn: 0,
      bytesEchoed: 0,
      marksSent: 0,
      marksPlayed: 0,
      marksCleared: 0,
      dtmf: '',
      disposed: false,
    };
    onStats?.(stats, ctx.info.callSid);
    // PCM of the batch being collected (what STT would receive, then what TTS would produce).
    const batch = new Int16Array(batchSamples);
    let batchLen = 0;
    let sinceMark = 0;
    const flush = (): void => {
      ctx.sink.sendMedia(encodeMulaw(batch));
      stats.bytesEchoed += batchLen;
      sinceMark += batchLen;
      batchLen = 0;
      if (sinceMark >= MARK_EVERY_BYTES) {
        sinceMark -= MARK_EVERY_BYTES;
        ctx.sink.sendMark('echo-1s');
        stats.marksSent += 1;
      }
    };
    const handler: CallHandler = {
      onAudio(chunk) {
        stats.framesIn += 1;
        const mulaw = chunk.mulaw;
        for (let offset = 0; offset < mulaw.length;) {
          const take = Math.min(batchSamples - batchLen, mulaw.length - offset);
          // decodeMulaw's table, written at an offset into the batch (no view allocated per frame).
          for (let i = 0; i < take; i++) batch[batchLen + i] = MULAW_DECODE_TABLE[mulaw[offset + i]!]!;
          batchLen += take;
          offset += take;
          if (batchLen === batchSamples) flush();
        }
      },
      onMark(_name: string, outcome: MarkOutcome) {
        if (outcome === 'played') stats.marksPlayed += 1;
        else stats.marksCleared += 1;
      },
      onDtmf(digit) {
        stats.dtmf += digit;
      },
      async dispose() {
        stats.disposed = true;
      },
    };
    return handler;
  };
}

/** The plain factory (no stats hook, 100 ms echo batches), for `npm run bench:edge`. */
export const passthroughFactory: CallHandlerFactory = createPassthroughFactory();
