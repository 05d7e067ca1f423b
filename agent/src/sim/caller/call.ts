// One simulated Twilio call over a real WebSocket: the voice webhook (optional), connected, start,
// then a 20 ms mu-law frame on every tick of an absolute clock (frame k leaves at start +
// (k+1)*20 ms, so timer lateness never accumulates into drift), taken from the script
// (script-cursor.ts); the agent's audio, marks and clears go to Twilio's side (agent-audio.ts),
// which credits answers to the caller's turns (turn-ledger.ts) and times them (echo-timing.ts).
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { CallEvent, CallOptions, CallResult, ProtocolErrorCounts } from './call-types.ts';
import { EchoTiming } from './echo-timing.ts';
import { MsHistogram } from './histogram.ts';
import { AgentAudio } from './agent-audio.ts';
import {
  connectedMessage,
  dtmfMessage,
  markEchoMessage,
  mediaMessage,
  parseServerMessage,
  startMessage,
  stopMessage,
  type ProtocolErrorKind,
} from './protocol.ts';
import { RecordingCapture } from './recording.ts';
import { sharedScheduler, type ScheduledTask, type Scheduler } from './scheduler.ts';
import { validateScript, type CallStep } from './script.ts';
import { frameBase64 } from './frames.ts';
import { FRAME_BYTES, FRAME_MS, ScriptCursor } from './script-cursor.ts';
import { TurnLedger } from './turn-ledger.ts';
import { isAscii, maskedTextFrame, maskKeys } from './ws-frame.ts';
import { mediaStreamConnectUrl, mediaStreamSignatureUrl, twilioSignature } from './signature.ts';
import { postVoiceWebhook, type ConnectTwiml } from './webhook.ts';

export type { CallEvent, CallOptions, CallResult, ProtocolErrorCounts, TurnTiming } from './call-types.ts';

export { FRAME_BYTES, FRAME_MS } from './script-cursor.ts';

export function randomSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/**
 * A single call. `run()` connects and resolves when the call has ended (never rejects: failures
 * are in CallResult.outcome/error). `hangup()` ends it early with a `stop`.
 */
export class SimulatedCall {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;

  private readonly opts: CallOptions;
  private readonly scheduler: Scheduler;
  private readonly script: readonly CallStep[];
  private readonly capture: RecordingCapture | undefined;
  private readonly sendLagHist = new MsHistogram();
  private readonly echo: EchoTiming;
  private readonly ledger = new TurnLedger();
  private readonly agentAudio: AgentAudio;

  private ws: WebSocket | undefined;
  /** Under cheapFraming: the connection's socket, which media frames are written to directly. */
  private mediaSocket: Socket | undefined;
  /** Under cheapFraming: a fresh masking key per media frame, as a real client sends. */
  private readonly nextMaskKey = maskKeys(randomBytes(4).readUInt32BE(0));
  private t0 = 0;
  private startedAtEpochMs: number | undefined;
  private unregisterFaults: (() => void) | undefined;
  private seq = 0;
  private frame = 0;
  private nextTick: ScheduledTask | undefined;
  private maxDurationTimer: ScheduledTask | undefined;
  private finished = false;
  private resolveRun: ((r: CallResult) => void) | undefined;
  private runPromise: Promise<CallResult> | undefined;

  private readonly cursor: ScriptCursor;

  // counters
  private framesSent = 0;
  private readonly errors: ProtocolErrorCounts = {
    binaryFrame: 0,
    invalidJson: 0,
    unknownEvent: 0,
    wrongStreamSid: 0,
    badMessage: 0,
    total: 0,
  };
  private outcome: CallResult['outcome'] = 'completed';
  private error: string | undefined;
  private closeCode: number | undefined;
  private closeReason: string | undefined;
  private upgradeStatus: number | undefined;
  private webhookStatus: number | undefined;
  private twiml: ConnectTwiml | undefined;
  private endedAtMs: number | undefined;
  private redirected = false;

  constructor(options: CallOptions) {
    validateScript(options.script);
    this.opts = options;
    this.script = options.script;
    this.scheduler = options.scheduler ?? sharedScheduler();
    this.accountSid = options.accountSid ?? randomSid('AC');
    this.callSid = options.callSid ?? randomSid('CA');
    this.streamSid = options.streamSid ?? randomSid('MZ');
    this.capture = options.record ? new RecordingCapture() : undefined;
    this.cursor = new ScriptCursor(options.script, this.ledger, {
      emit: (event) => this.emit(event),
      sendDtmf: (digit) => this.send(dtmfMessage(++this.seq, this.streamSid, digit)),
    });
    this.echo = new EchoTiming({
      frameBytes: FRAME_BYTES,
      lateFrameMs: options.lateFrameMs ?? 20,
      spurtGapMs: options.spurtGapMs ?? 200,
      measureRtt: options.measureEchoRtt ?? false,
    });
    const audioHost = {
      now: () => this.now(),
      at: (atMs: number, fn: () => void) => this.scheduler.at(this.t0 + atMs, fn),
      emit: (event: CallEvent) => this.emit(event),
      echoMark: (name: string) => this.send(markEchoMessage(++this.seq, this.streamSid, name)),
    };
    this.agentAudio = new AgentAudio(audioHost, this.ledger, this.echo, this.capture);
  }

  /** The call clock: ms since `start` was sent. */
  now(): number {
    return this.scheduler.now() - this.t0;
  }

  run(): Promise<CallResult> {
    this.runPromise ??= new Promise<CallResult>((resolve) => {
      const unsubscribe = this.opts.twilioRest?.onUpdate?.(this.callSid, (update) => {
        if (update.type === 'redirect') {
          this.redirected = true;
          this.hangup();
        }
      });
      this.resolveRun = (r) => {
        unsubscribe?.();
        resolve(r);
      };
      if (this.opts.webhook ?? this.opts.signature !== undefined) void this.webhookThenConnect();
      else this.connect();
    });
    return this.runPromise;
  }

  /**
   * Cuts the connection the way a network failure does: no `stop`, no close handshake (outcome
   * 'dropped'). Twilio never reconnects a Media Stream, so for the agent the call is lost.
   */
  drop(): void {
    if (this.finished) return;
    this.ws?.terminate();
    this.finish('dropped');
  }

  /** Ends the call now the way a caller hanging up does: `stop`, then close. */
  hangup(): void {
    if (this.finished) return;
    if (this.ws?.readyState === WebSocket.OPEN && this.t0 > 0) this.sendStopAndClose();
    else this.finish('completed');
  }

  private emit(event: CallEvent): void {
    this.opts.onEvent?.(event, this.callSid);
  }

  private async webhookThenConnect(): Promise<void> {
    const url = mediaStreamConnectUrl(this.opts.url);
    const base = new URL(url);
    base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
    const publicUrl = this.opts.signature?.publicUrl ?? base.host;
    const r = await postVoiceWebhook({
      baseUrl: base.origin,
      publicHost: /^[a-z]+:\/\//i.test(publicUrl) ? new URL(publicUrl).host : publicUrl.replace(/\/+$/, ''),
      authToken: this.opts.signature?.authToken ?? '',
      callSid: this.callSid,
      accountSid: this.accountSid,
      ...(this.opts.from ? { from: this.opts.from } : {}),
      ...(this.opts.to ? { to: this.opts.to } : {}),
      ...(this.opts.connectTimeoutMs ? { timeoutMs: this.opts.connectTimeoutMs } : {}),
    });
    if (!r.ok) {
      this.webhookStatus = r.status;
      this.error = r.error;
      this.finish('error');
      return;
    }
    this.twiml = r.twiml;
    this.connect();
  }

  private connect(): void {
    const url = mediaStreamConnectUrl(this.opts.url);
    const headers: Record<string, string> = { ...this.opts.headers };
    if (this.opts.signature) {
      // Twilio signs the stream URL exactly as the TwiML wrote it.
      const signUrl = this.twiml
        ? this.twiml.streamUrl
        : mediaStreamSignatureUrl(this.opts.signature.publicUrl ?? url.replace(/^ws:/, 'wss:'));
      headers['X-Twilio-Signature'] = twilioSignature(this.opts.signature.authToken, signUrl);
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers,
        handshakeTimeout: this.opts.connectTimeoutMs ?? 10_000,
        perMessageDeflate: false,
        ...(this.opts.cheapFraming ? { skipUTF8Validation: true } : {}),
      });
    } catch (err) {
      this.error = (err as Error).message;
      this.finish('error');
      return;
    }
    this.ws = ws;
    ws.on('unexpected-response', (_req, res) => {
      this.upgradeStatus = res.statusCode;
      this.error = `upgrade refused: HTTP ${res.statusCode}`;
      res.resume();
      ws.terminate();
      this.finish('error');
    });
    ws.on('error', (err) => {
      this.error ??= err.message;
      this.finish('error');
    });
    ws.on('open', () => this.onOpen());
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.emit({ type: 'closed', atMs: this.now(), code, reason: this.closeReason });
      this.finish('server-closed');
    });
  }

  private send(text: string): void {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** A media message: one write of the whole frame under cheapFraming, else through ws. */
  private sendMedia(text: string): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const socket = this.mediaSocket;
    if (socket && !socket.destroyed) socket.write(maskedTextFrame(text, this.nextMaskKey()));
    else ws.send(text);
  }

  private onOpen(): void {
    this.t0 = this.scheduler.now();
    // ws keeps its socket in `_socket` (not in its types). Media frames written there are the
    // bytes ws would send with the same masking key (ws-frame.ts); without deflate ws never holds a
    // message back, so the order of everything sent stays the order of the calls.
    const socket = (this.ws as unknown as { _socket?: Socket } | undefined)?._socket;
    if (this.opts.cheapFraming && socket && isAscii(this.streamSid)) this.mediaSocket = socket;
    this.startedAtEpochMs = Date.now();
    this.emit({ type: 'open', atMs: 0 });
    this.send(connectedMessage());
    this.send(
      startMessage(++this.seq, {
        accountSid: this.accountSid,
        callSid: this.callSid,
        streamSid: this.streamSid,
        customParameters: { ...this.twiml?.parameters, ...this.opts.customParameters },
      }),
    );
    this.opts.logger?.debug({ callSid: this.callSid, streamSid: this.streamSid }, 'simulated call started');
    this.scheduleFrame();
    const maxMs = this.opts.maxDurationMs ?? 600_000;
    this.maxDurationTimer = this.scheduler.at(this.t0 + maxMs, () => this.hangup());
    this.unregisterFaults = this.opts.faults?.register(this);
  }

  private scheduleFrame(): void {
    const deadline = this.t0 + (this.frame + 1) * FRAME_MS;
    this.nextTick = this.scheduler.at(deadline, () => this.tick(deadline));
  }

  /** Sends frame number `this.frame` (covering [frame*20, frame*20+20) ms) at its deadline. */
  private tick(deadline: number): void {
    if (this.finished) return;
    const nowAbs = this.scheduler.now();
    const atMs = nowAbs - this.t0;
    const action = this.cursor.next(atMs, this.frame);
    if (action === 'stop') {
      this.sendStopAndClose();
      return;
    }
    if (action === 'drop') {
      this.ws?.terminate();
      this.finish('dropped');
      return;
    }
    this.sendLagHist.add(nowAbs - deadline);
    const k = this.frame;
    const payload = frameBase64(action);
    this.sendMedia(mediaMessage(++this.seq, this.streamSid, k + 1, k * FRAME_MS, payload));
    this.capture?.addCaller(k, action);
    this.echo.onFrameSent(atMs);
    this.framesSent++;
    this.frame++;
    this.scheduleFrame();
  }

  private sendStopAndClose(): void {
    if (this.finished) return;
    this.send(
      stopMessage(++this.seq, {
        accountSid: this.accountSid,
        callSid: this.callSid,
        streamSid: this.streamSid,
      }),
    );
    this.emit({ type: 'stop', atMs: this.now() });
    this.endedAtMs = this.now();
    const ws = this.ws;
    this.finish('completed');
    ws?.close(1000, 'call ended');
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const atMs = this.now();
    if (isBinary) {
      this.protocolError('binaryFrame', 'binary frame', atMs);
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    const msg = parseServerMessage(text, this.streamSid);
    switch (msg.kind) {
      case 'error':
        this.protocolError(msg.error, msg.detail, atMs);
        return;
      case 'media':
        this.agentAudio.onMedia(atMs, msg.payload);
        return;
      case 'mark':
        this.agentAudio.onMark(atMs, msg.name);
        return;
      case 'clear':
        this.agentAudio.onClear(atMs);
        return;
    }
  }

  private protocolError(kind: ProtocolErrorKind, detail: string, atMs: number): void {
    this.errors[kind]++;
    this.errors.total++;
    this.emit({ type: 'protocol-error', atMs, error: kind, detail });
    this.opts.logger?.warn(
      { callSid: this.callSid, streamSid: this.streamSid, error: kind, detail },
      'protocol error from server',
    );
  }

  private finish(outcome: CallResult['outcome']): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome = outcome;
    this.unregisterFaults?.();
    this.endedAtMs ??= this.t0 > 0 ? this.now() : 0;
    this.nextTick?.cancel();
    this.agentAudio.stop();
    this.maxDurationTimer?.cancel();
    const ws = this.ws;
    if (outcome !== 'completed' && ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    if (outcome === 'completed' && ws) {
      // Wait for the close handshake briefly so the server sees a clean close; never hang.
      const done = () => this.resolveRun?.(this.result());
      if (ws.readyState === WebSocket.CLOSED) done();
      else {
        const guard = setTimeout(() => {
          ws.terminate();
          done();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(guard);
          done();
        });
      }
      return;
    }
    this.resolveRun?.(this.result());
  }

  private result(): CallResult {
    const durationMs = this.endedAtMs ?? 0;
    return {
      callSid: this.callSid,
      streamSid: this.streamSid,
      outcome: this.outcome,
      ...(this.redirected ? { redirected: true } : {}),
      ...(this.error !== undefined && this.outcome === 'error' ? { error: this.error } : {}),
      ...(this.closeCode !== undefined
        ? { closeCode: this.closeCode, closeReason: this.closeReason ?? '' }
        : {}),
      ...(this.upgradeStatus !== undefined ? { upgradeStatus: this.upgradeStatus } : {}),
      ...(this.webhookStatus !== undefined ? { webhookStatus: this.webhookStatus } : {}),
      ...(this.twiml !== undefined
        ? {
            twiml: this.twiml,
            afterStream:
              this.outcome === 'server-closed' && !(this.opts.twilioRest?.completed(this.callSid) ?? false)
                ? this.twiml.after
                : [],
          }
        : {}),
      durationMs,
      ...(this.startedAtEpochMs !== undefined ? { startedAtEpochMs: this.startedAtEpochMs } : {}),
      framesSent: this.framesSent,
      sendLag: this.sendLagHist.summary(),
      dtmfSent: this.cursor.dtmfSent,
      waitTimeouts: this.cursor.waitTimeouts,
      agent: this.agentAudio.summary(),
      jitter: { ...this.echo.jitter.summary(), late: this.echo.late },
      protocolErrors: { ...this.errors },
      ...(this.echo.rtt ? { echoRtt: this.echo.rtt.summary() } : {}),
      turns: this.ledger.snapshot(),
      ...(this.capture && this.opts.record
        ? { recording: this.capture.render(this.opts.record, durationMs) }
        : {}),
    };
  }

  /** Counters so far, for sampling a running call (benchmarks). */
  liveCounters(): {
    framesSent: number;
    mediaMessages: number;
    agentBytes: number;
    lateEchoes: number;
    protocolErrors: number;
  } {
    return {
      framesSent: this.framesSent,
      mediaMessages: this.agentAudio.mediaMessages,
      agentBytes: this.agentAudio.bytes,
      lateEchoes: this.echo.late,
      protocolErrors: this.errors.total,
    };
  }

  /** Raw histograms, for merging across calls in a benchmark. */
  histograms(): { sendLag: MsHistogram; jitter: MsHistogram; echoRtt?: MsHistogram } {
    return {
      sendLag: this.sendLagHist,
      jitter: this.echo.jitter,
      ...(this.echo.rtt ? { echoRtt: this.echo.rtt } : {}),
    };
  }
}
