// A call handler for the edge benchmark: decodes every inbound frame to PCM16 (so the codec runs
// on the hot path like in a real call), re-encodes it and echoes it back, with a mark after each
// second of echoed audio. No providers, no timers.
import { decodeMulaw, encodeMulaw } from '../audio/mulaw.ts';
import type { CallHandler, CallHandlerFactory, MarkOutcome } from './types.ts';

/** 1 s of mu-law 8 kHz. */
const MARK_EVERY_BYTES = 8000;

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
): CallHandlerFactory {
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
    let pcm = new Int16Array(160);
    let sinceMark = 0;
    const handler: CallHandler = {
      onAudio(chunk) {
        stats.framesIn += 1;
        if (pcm.length < chunk.mulaw.length) pcm = new Int16Array(chunk.mulaw.length);
        const decoded = decodeMulaw(chunk.mulaw, pcm).subarray(0, chunk.mulaw.length);
        ctx.sink.sendMedia(encodeMulaw(decoded));
        stats.bytesEchoed += chunk.mulaw.length;
        sinceMark += chunk.mulaw.length;
        if (sinceMark >= MARK_EVERY_BYTES) {
          sinceMark -= MARK_EVERY_BYTES;
          ctx.sink.sendMark('echo-1s');
          stats.marksSent += 1;
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

/** The plain factory (no stats hook), for `npm run bench:edge`. */
export const passthroughFactory: CallHandlerFactory = createPassthroughFactory();
