// The contract between the Twilio edge (server/, twilio/) and whatever handles a call.
// The edge owns the WebSocket, parsing, mark bookkeeping and metrics; a CallHandler owns the
// conversation. The edge creates one handler per stream on `start` and disposes it exactly once.
import type { Logger } from '../telemetry/logger.ts';
import type { AudioChunk } from '../audio/types.ts';

export interface CallStartInfo {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly customParameters: Readonly<Record<string, string>>;
  /** process monotonic time (performance.now()) when `start` arrived: origin of the call clock. */
  readonly startedAtMs: number;
}

/** How a handler talks back to Twilio. Calls after the stream closed are ignored (and counted). */
export interface MediaSink {
  /** Raw mu-law 8 kHz audio, any length; the edge frames and base64-encodes it. */
  sendMedia(mulaw: Buffer): void;
  /** Sends a uniquely named mark after the audio sent so far; returns its name. */
  sendMark(label: string): string;
  /** Drops Twilio's buffered audio; pending marks will echo back as 'cleared'. */
  sendClear(): void;
  /** Ends the stream (close frame); Twilio then continues with the next TwiML verb. */
  hangup(reason: string): void;
  /** The call's monotonic clock in ms since `start` (same origin as AudioChunk.audioTimeMs). */
  now(): number;
}

export type MarkOutcome = 'played' | 'cleared';

export interface CallHandler {
  /** A media frame, already decoded from base64 and placed on the call's audio clock. */
  onAudio(chunk: AudioChunk): void;
  /** A mark echo, resolved FIFO by the edge to whether its audio was played or dropped by clear. */
  onMark(name: string, outcome: MarkOutcome): void;
  onDtmf(digit: string): void;
  /** Releases every timer, stream and listener. Called exactly once (stop, close, error or drain deadline). */
  dispose(reason: string): Promise<void>;
}

export interface CallContext {
  readonly info: CallStartInfo;
  readonly sink: MediaSink;
  readonly logger: Logger;
}

export type CallHandlerFactory = (ctx: CallContext) => CallHandler;
