// One Media Streams WebSocket: parses frames (protocol.ts), tracks the stream phase, creates the
// call handler on `start`, sends the handler's outbound audio as media messages, resolves mark echoes (marks.ts)
// and disposes the handler exactly once. Every handler call is wrapped: a throwing or misbehaving
// handler affects only its own call, never the socket loop or other calls.
import { performance } from 'node:perf_hooks';
import type { WebSocket, RawData } from 'ws';
import type { CallHandler, CallHandlerFactory, CallStartInfo, MediaSink } from '../call/types.ts';
import { maskPhone, type Logger } from '../telemetry/logger.ts';
import {
  INITIAL_STREAM_STATE,
  applyEvent,
  encodeClear,
  encodeMark,
  encodeMedia,
  parseFrame,
  type ProtocolError,
  type StartEvent,
  type StreamState,
  type TwilioEvent,
} from './protocol.ts';
import { MarkTracker } from './marks.ts';
import { FrameClock } from './frame-clock.ts';
import {
  callsEndedByEdge,
  callsLost,
  callsTotal,
  droppedFrames,
  peerValuesRejected,
  rejectedRequests,
  framesIn,
  framesOut,
  handlerErrors,
  lateFrames,
  malformedFrames,
  sinkAfterClose,
} from '../server/metrics.ts';

/** A socket that sends no valid `start` within this time is closed (config START_TIMEOUT_MS). */
export const START_TIMEOUT_MS = 3_000;
/** A started call without media for this long is ended (config MEDIA_TIMEOUT_MS). */
export const MEDIA_TIMEOUT_MS = 10_000;
/** Timestamps may run ahead of the call clock by network jitter; beyond this it is counted. */
const TIMESTAMP_AHEAD_TOLERANCE_MS = 1_000;
/** A chunk gap the call clock cannot explain (beyond this slack) is not counted as dropped frames. */
const CHUNK_GAP_SLACK_FRAMES = 50;
/** After our close frame, a peer that does not complete the close handshake is cut off. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5_000;
/** A handler whose dispose() takes longer is logged and considered gone. */
const DISPOSE_TIMEOUT_MS = 10_000;
/** Per-connection log budget for repeated problems (the counters keep counting). */
const LOG_BUDGET = 10;
/**
 * Largest outbound media message: 200 ms of mu-law. Twilio accepts media messages of any size and
 * buffers them for real-time playback, so the edge sends what the handler hands over in one
 * message (split only above this size) instead of 20 ms frames: a TTS sentence costs a few socket
 * writes, not one per 20 ms. Nothing is held back, so first audio is never delayed.
 */
export const MAX_OUTBOUND_MEDIA_BYTES = 1600;

export type CloseCode = 1000 | 1001 | 1008 | 1011 | 1013;

/** Whether a `start` becomes a call; on ok, the parameters the handler sees (stream token removed). */
export type StartAdmission =
  | { readonly ok: true; readonly customParameters: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: string; readonly code: CloseCode };

export interface MediaConnectionOptions {
  readonly socket: WebSocket;
  readonly logger: Logger;
  readonly handlerFactory: CallHandlerFactory;
  readonly connectionId: string;
  readonly startTimeoutMs?: number;
  /** A started call without media for this long is ended. Default MEDIA_TIMEOUT_MS. */
  readonly mediaTimeoutMs?: number;
  /** Unsent outbound bytes (the peer is not reading) past which the call is ended. Default: unbounded. */
  readonly outboundBufferBytes?: number;
  /** Stream token, capacity and drain checks on `start`. Default: every start is admitted. */
  readonly admitStart?: (event: StartEvent) => StartAdmission;
  /** Called once when `start` was admitted and the handler exists. */
  readonly onStarted?: (conn: MediaConnection) => void;
  /** Called once, after the handler (if any) was disposed and the connection is finished. */
  readonly onFinished: (conn: MediaConnection) => void;
  /** Monotonic clock in ms (injected in tests). Default performance.now. */
  readonly now?: () => number;
  /**
   * Ends the call at Twilio before the handler's own hangup closes the socket (REST), so Twilio
   * does not run the fallback TwiML after <Connect>. Bounded by its own timeout.
   */
  readonly completeCall?: (info: CallStartInfo) => Promise<void>;
}

export class MediaConnection {
  readonly connectionId: string;
  private readonly socket: WebSocket;
  private readonly handlerFactory: CallHandlerFactory;
  private readonly onFinished: (conn: MediaConnection) => void;
  private readonly onStarted: ((conn: MediaConnection) => void) | undefined;
  private readonly completeCall: ((info: CallStartInfo) => Promise<void>) | undefined;
  private hangingUp = false;
  private readonly admitStart: ((event: StartEvent) => StartAdmission) | undefined;
  private readonly clock: () => number;
  private readonly mediaTimeoutMs: number;
  private readonly outboundBufferBytes: number;
  private mediaTimer: NodeJS.Timeout | undefined;
  private lastMediaAt = 0;
  /** How far the peer's timestamps ran ahead of the call clock at most: subtracted from them. */
  private aheadShiftMs = 0;
  private logger: Logger;
  private state: StreamState = INITIAL_STREAM_STATE;
  private handler: CallHandler | undefined;
  private info: CallStartInfo | undefined;
  private readonly marks = new MarkTracker();
  private readonly frameClock = new FrameClock();
  private startTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private ending: Promise<void> | undefined;
  private problemsLogged = 0;
  private handlerErrorsLogged = 0;
  private endReason = '';

  constructor(options: MediaConnectionOptions) {
    this.connectionId = options.connectionId;
    this.socket = options.socket;
    this.handlerFactory = options.handlerFactory;
    this.onFinished = options.onFinished;
    this.onStarted = options.onStarted;
    this.completeCall = options.completeCall;
    this.admitStart = options.admitStart;
    this.clock = options.now ?? (() => performance.now());
    this.mediaTimeoutMs = options.mediaTimeoutMs ?? MEDIA_TIMEOUT_MS;
    this.outboundBufferBytes = options.outboundBufferBytes ?? Number.POSITIVE_INFINITY;
    this.logger = options.logger.child({ connectionId: options.connectionId });
    this.startTimer = setTimeout(() => {
      rejectedRequests.inc({ route: 'media_stream', reason: 'start_timeout' });
      void this.end('start_timeout', 1008);
    }, options.startTimeoutMs ?? START_TIMEOUT_MS);
    this.startTimer.unref();
    this.socket.on('message', this.onMessage);
    this.socket.on('close', this.onSocketClose);
    this.socket.on('error', this.onSocketError);
  }

  /** True once `start` was accepted and the call has not ended. */
  get callActive(): boolean {
    return this.handler !== undefined && this.ending === undefined;
  }

  get streamSid(): string | undefined {
    return this.state.streamSid;
  }

  get callSid(): string | undefined {
    return this.info?.callSid;
  }

  /**
   * Ends the call: close frame (if the socket is still open), handler disposed exactly once.
   * Idempotent; resolves when the handler is disposed.
   */
  end(reason: string, code: CloseCode = 1000): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    this.endReason = reason;
    this.ending = this.finish(reason, code);
    return this.ending;
  }

  private async finish(reason: string, code: CloseCode): Promise<void> {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
    if (this.mediaTimer !== undefined) clearTimeout(this.mediaTimer);
    this.mediaTimer = undefined;
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      // Close reasons are limited to 123 bytes.
      this.socket.close(code, reason.slice(0, 100));
      this.closeTimer = setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
      this.closeTimer.unref();
    }
    const handler = this.handler;
    if (handler !== undefined) {
      const logFields = {
        reason,
        bytesSent: this.marks.bytesSent,
        bytesPlayed: this.marks.bytesPlayed,
        clears: this.marks.clearsSent,
        pendingMarks: this.marks.pendingMarks.length,
        durationMs: Math.round(this.now()),
      };
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), DISPOSE_TIMEOUT_MS);
          timer.unref();
        });
        const result = await Promise.race([Promise.resolve().then(() => handler.dispose(reason)), timeout]);
        if (result === 'timeout') {
          handlerErrors.inc({ method: 'dispose_timeout' });
          this.logger.warn({ reason, timeoutMs: DISPOSE_TIMEOUT_MS }, 'call handler dispose timed out');
        }
      } catch (err) {
        handlerErrors.inc({ method: 'dispose' });
        this.logger.error({ err, reason }, 'call handler dispose failed');
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      this.logger.info(logFields, 'call ended');
    } else {
      this.logger.debug({ reason }, 'media socket closed before start');
    }
    this.onFinished(this);
  }

  private readonly onSocketClose = (code: number, reason: Buffer): void => {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.socket.off('close', this.onSocketClose);
    this.socket.off('message', this.onMessage);
    if (this.ending === undefined && this.handler !== undefined) {
      // Twilio sends `stop` before closing when a call ends; a close without it is a lost
      // connection, and Twilio never reconnects a stream: the call is over, count it.
      callsLost.inc({ reason: 'socket_closed' });
      this.logger.warn(
        { code, reason: reason.toString('utf8').slice(0, 100) },
        'call lost: media socket closed without stop',
      );
    } else if (this.ending === undefined) {
      this.logger.debug(
        { code, reason: reason.toString('utf8').slice(0, 100) },
        'media socket closed by peer',
      );
    }
    void this.end('socket_closed');
  };

  private readonly onSocketError = (err: Error & { code?: string }): void => {
    // ws rejects frames above its maxPayload with WS_ERR_UNSUPPORTED_MESSAGE_LENGTH and closes (1009).
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') malformedFrames.inc({ kind: 'too_large' });
    // A text frame that is not UTF-8: RFC 6455 requires failing the connection, and ws does (1007).
    if (err.code === 'WS_ERR_INVALID_UTF8') malformedFrames.inc({ kind: 'invalid_utf8' });
    this.logger.warn({ err: { message: err.message, code: err.code } }, 'media socket error');
    if (this.callActive) callsLost.inc({ reason: 'socket_error' });
    void this.end('socket_error', 1011);
  };

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    const arrival = this.clock();
    const parsed = parseFrame(data, isBinary, this.state.streamSid);
    if (!parsed.ok) return this.reject(parsed.error);
    const applied = applyEvent(this.state, parsed.event);
    if (!applied.ok) return this.reject(applied.error);
    this.state = applied.state;
    // After the call ended (hangup, drain, handler error) frames still in flight are dropped quietly.
    if (this.ending !== undefined) return;
    this.dispatch(parsed.event, arrival);
  };

  private reject(error: ProtocolError): void {
    malformedFrames.inc({ kind: error.kind });
    this.problemsLogged += 1;
    if (this.problemsLogged <= LOG_BUDGET) {
      this.logger.warn(
        { kind: error.kind, event: error.event, detail: error.message },
        'rejected Media Streams frame',
      );
    }
  }

  private dispatch(event: TwilioEvent, arrival: number): void {
    switch (event.event) {
      case 'connected':
        this.logger.debug({ protocol: event.protocol, version: event.version }, 'media stream connected');
        return;
      case 'start':
        return this.onStart(event, arrival);
      case 'media': {
        if (this.handler === undefined || this.info === undefined) return;
        framesIn.inc();
        this.lastMediaAt = arrival;
        const callClockMs = arrival - this.info.startedAtMs;
        const { chunk, timestamp } = event.media;
        // Peer values are checked against the call clock: a chunk jump no elapsed time explains is
        // not "dropped frames", and audio time never runs ahead of the clock (else latencies
        // measured from the caller's speech end could go negative).
        const plausibleChunk = chunk <= callClockMs / 20 + CHUNK_GAP_SLACK_FRAMES;
        if (plausibleChunk) {
          const obs = this.frameClock.observe(chunk, timestamp, callClockMs);
          if (obs.late) lateFrames.inc();
          if (obs.dropped > 0) droppedFrames.inc(obs.dropped);
        } else peerValuesRejected.inc({ field: 'chunk_jump' });
        // One shift for the whole stream, grown only when a frame is further ahead than any
        // before: audio times stay smooth (no per-frame jitter) and never pass the call clock.
        const ahead = timestamp - callClockMs;
        if (ahead > this.aheadShiftMs) {
          if (ahead - this.aheadShiftMs > TIMESTAMP_AHEAD_TOLERANCE_MS)
            peerValuesRejected.inc({ field: 'timestamp_ahead' });
          this.aheadShiftMs = ahead;
        }
        const audioTimeMs = timestamp - this.aheadShiftMs;
        // guard() inlined: no closure per frame on the hot path.
        try {
          this.handler.onAudio({ mulaw: event.media.payload, audioTimeMs });
        } catch (err) {
          this.handlerThrew('onAudio', err);
        }
        return;
      }
      case 'mark': {
        const echo = this.marks.onEcho(event.mark.name);
        if (!echo.known) {
          this.reject({
            kind: 'unknown_mark',
            message: `echo of unknown mark ${event.mark.name.slice(0, 64)}`,
            event: 'mark',
          });
          return;
        }
        const handler = this.handler;
        if (handler === undefined) return;
        for (const r of echo.resolved) this.guard('onMark', () => handler.onMark(r.name, r.outcome));
        return;
      }
      case 'dtmf': {
        const handler = this.handler;
        if (handler !== undefined) this.guard('onDtmf', () => handler.onDtmf(event.dtmf.digit));
        return;
      }
      case 'stop':
        this.logger.info('stop received');
        void this.end('stop');
        return;
    }
  }

  private onStart(event: StartEvent, arrival: number): void {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
    const admission = this.admitStart?.(event) ?? {
      ok: true,
      customParameters: event.start.customParameters,
    };
    if (!admission.ok) {
      this.logger.debug({ reason: admission.reason, callSid: event.start.callSid }, 'start refused');
      void this.end(admission.reason, admission.code);
      return;
    }
    const params = admission.customParameters;
    this.info = Object.freeze({
      callSid: event.start.callSid,
      streamSid: event.streamSid,
      accountSid: event.start.accountSid,
      customParameters: params,
      startedAtMs: arrival,
    });
    this.logger = this.logger.child({
      callId: event.start.callSid,
      callSid: event.start.callSid,
      streamSid: event.streamSid,
    });
    callsTotal.inc();
    this.logger.info(
      {
        from: maskPhone(params['from']),
        to: maskPhone(params['to']),
        tracks: event.start.tracks,
        parameters: Object.keys(params),
      },
      'call started',
    );
    try {
      this.handler = this.handlerFactory({
        info: this.info,
        sink: this.createSink(event.streamSid),
        logger: this.logger,
      });
    } catch (err) {
      handlerErrors.inc({ method: 'factory' });
      this.logger.error({ err }, 'call handler factory failed; ending the stream');
      void this.end('handler_error', 1011);
      return;
    }
    this.onStarted?.(this);
    this.lastMediaAt = arrival;
    this.armMediaTimer(this.mediaTimeoutMs);
  }

  /** One timer per call, re-armed only when it fires (never per frame). */
  private armMediaTimer(delayMs: number): void {
    this.mediaTimer = setTimeout(() => {
      this.mediaTimer = undefined;
      if (this.ending !== undefined) return;
      const idle = this.clock() - this.lastMediaAt;
      if (idle < this.mediaTimeoutMs) return this.armMediaTimer(this.mediaTimeoutMs - idle);
      callsEndedByEdge.inc({ reason: 'media_timeout' });
      this.logger.warn({ idleMs: Math.round(idle) }, 'no media from the peer: ending the call');
      void this.end('media_timeout', 1008);
    }, delayMs);
    this.mediaTimer.unref();
  }

  /** Runs a handler callback; a throw is logged and counted and the call goes on. */
  private guard(method: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.handlerThrew(method, err);
    }
  }

  private handlerThrew(method: string, err: unknown): void {
    handlerErrors.inc({ method });
    this.handlerErrorsLogged += 1;
    if (this.handlerErrorsLogged <= LOG_BUDGET) this.logger.error({ err, method }, 'call handler threw');
  }

  private now(): number {
    return this.info === undefined ? 0 : this.clock() - this.info.startedAtMs;
  }

  private get open(): boolean {
    return this.ending === undefined && this.socket.readyState === this.socket.OPEN;
  }

  private sendMessage(streamSid: string, mulaw: Buffer): void {
    // encodeMedia copies into a base64 string at once: the handler may reuse its buffer.
    this.socket.send(encodeMedia(streamSid, mulaw));
    framesOut.inc();
    this.marks.noteAudioSent(mulaw.length);
    if (this.socket.bufferedAmount > this.outboundBufferBytes) this.cutSlowConsumer();
  }

  /** The peer stopped reading: its unsent audio passed the bound. A close frame would queue behind it. */
  private cutSlowConsumer(): void {
    if (this.ending !== undefined) return;
    callsEndedByEdge.inc({ reason: 'slow_consumer' });
    this.logger.warn(
      { bufferedBytes: this.socket.bufferedAmount, limitBytes: this.outboundBufferBytes },
      'peer is not reading: outbound audio over the limit, ending the call',
    );
    void this.end('slow_consumer', 1008);
    this.socket.terminate();
  }

  private createSink(streamSid: string): MediaSink {
    const ignored = (what: string): boolean => {
      if (this.open) return false;
      sinkAfterClose.inc();
      this.logger.debug({ what }, 'sink call after the stream closed ignored');
      return true;
    };
    return {
      sendMedia: (mulaw: Buffer): void => {
        if (ignored('media') || mulaw.length === 0) return;
        if (mulaw.length <= MAX_OUTBOUND_MEDIA_BYTES) return this.sendMessage(streamSid, mulaw);
        for (let offset = 0; offset < mulaw.length; offset += MAX_OUTBOUND_MEDIA_BYTES) {
          this.sendMessage(streamSid, mulaw.subarray(offset, offset + MAX_OUTBOUND_MEDIA_BYTES));
        }
      },
      sendMark: (label: string): string => {
        if (ignored('mark')) return this.marks.register(label);
        const name = this.marks.register(label);
        this.socket.send(encodeMark(streamSid, name));
        return name;
      },
      sendClear: (): void => {
        if (ignored('clear')) return;
        this.socket.send(encodeClear(streamSid));
        this.marks.noteClear();
      },
      hangup: (reason: string): void => {
        if (this.hangingUp || this.ending !== undefined) return;
        this.hangingUp = true;
        this.logger.info({ reason }, 'handler hung up');
        const info = this.info;
        if (this.completeCall === undefined || info === undefined) {
          void this.end(`hangup: ${reason}`, 1000);
          return;
        }
        void this.completeCall(info).finally(() => void this.end(`hangup: ${reason}`, 1000));
      },
      now: (): number => this.now(),
    };
  }

  /** Why the call ended ('' while active). */
  get reason(): string {
    return this.endReason;
  }
}
