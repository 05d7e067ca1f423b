// One simulated Twilio call over a real WebSocket: connected, start, then a 20 ms mu-law frame
// on every tick of an absolute clock (frame k leaves at start + (k+1)*20 ms, so timer lateness
// never accumulates into drift), driven by a script of steps; and on the other side a model of
// Twilio's playout buffer that echoes marks when their audio has played, drops audio on clear,
// records what the caller heard and measures per-turn latency and echo jitter.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Logger } from '../../telemetry/logger.ts';
import type { CallFaultHook } from '../faults/caller-hook.ts';
import { MsHistogram, type HistogramSummary } from './histogram.ts';
import { AgentTalk } from './agent-talk.ts';
import { PlayoutBuffer } from './playout.ts';
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
import { RecordingCapture, type Recording, type RecordingMode } from './recording.ts';
import { sharedScheduler, type ScheduledTask, type Scheduler } from './scheduler.ts';
import { validateScript, type CallStep } from './script.ts';
import { mediaStreamConnectUrl, mediaStreamSignatureUrl, twilioSignature } from './signature.ts';
import { postVoiceWebhook, type ConnectTwiml, type TwimlVerb } from './webhook.ts';

export const FRAME_MS = 20;
export const FRAME_BYTES = 160;
const SILENCE_FRAME = Buffer.alloc(FRAME_BYTES, 0xff);
const SILENCE_B64 = SILENCE_FRAME.toString('base64');

export interface CallOptions {
  /** Agent base URL (ws://host:port) or the full media-stream URL; http(s) is accepted. */
  readonly url: string;
  /** Steps to run; audio already loaded (see resolveScript). Ends with an implicit `stop`. */
  readonly script: readonly CallStep[];
  readonly accountSid?: string;
  readonly callSid?: string;
  readonly streamSid?: string;
  /** Sent in start.customParameters, as <Parameter> elements would be. */
  readonly customParameters?: Readonly<Record<string, string>>;
  /** Signs the upgrade with X-Twilio-Signature. */
  readonly signature?: {
    readonly authToken: string;
    /** Public host or URL the agent validates against; default: the connect URL as wss://. */
    readonly publicUrl?: string;
  };
  /**
   * Do what Twilio does: POST the signed voice webhook first, then open the stream the TwiML names
   * with its <Parameter>s (customParameters are added to those). Default: true when `signature`
   * is set (an agent that validates signatures also wants the per-call stream token).
   */
  readonly webhook?: boolean;
  /**
   * Twilio's REST side: a call completed there ends without the TwiML after <Connect>; a call
   * redirected there (calls update with Twiml/Url, e.g. a transfer) leaves its <Connect><Stream>,
   * so the simulated Twilio stops the stream (stop, close) as the real one does.
   */
  readonly twilioRest?: {
    completed(callSid: string): boolean;
    onUpdate?(callSid: string, listener: (update: { type: string }) => void): () => void;
  };
  /** Caller and called numbers for the webhook. */
  readonly from?: string;
  readonly to?: string;
  /** Extra upgrade headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Shared across calls by default (one timer heap per process). */
  readonly scheduler?: Scheduler;
  /** Keep the agent's (and optionally the caller's) audio for CallResult.recording. Default: none. */
  readonly record?: RecordingMode;
  /** Echoed audio arriving more than this much later than a steady stream would is late. Default 20. */
  readonly lateFrameMs?: number;
  /** Gap after which echoed audio starts a new talk spurt for jitter. Default 200 ms. */
  readonly spurtGapMs?: number;
  /**
   * For pass-through agents that echo the caller's audio byte for byte (in messages of any size):
   * for each agent media message, record the round trip from sending the frame that holds its
   * last byte (CallResult.echoRtt). Default false.
   */
  readonly measureEchoRtt?: boolean;
  /**
   * Load tests: an all-zero WebSocket masking key (ws then skips the per-byte XOR) and no UTF-8
   * validation of incoming text. Still valid framing for the server; a real client would use
   * random keys. Default false.
   */
  readonly cheapFraming?: boolean;
  /** Give up connecting after this long. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Hard cap on the call's length; the call then stops like a hang-up. Default 600000. */
  readonly maxDurationMs?: number;
  readonly logger?: Logger;
  /**
   * A fault plan's hold on the call while it is connected (sim/faults/caller-hook.ts): ws-drop
   * cuts its socket the way a network failure does (no `stop`; outcome 'dropped').
   */
  readonly faults?: CallFaultHook;
  /** Live events (the CLI prints them; tests observe them), with the call they belong to. Must not throw. */
  readonly onEvent?: (event: CallEvent, callSid: string) => void;
}

export type CallEvent =
  | { readonly type: 'open'; readonly atMs: number }
  | { readonly type: 'speech-start'; readonly atMs: number; readonly turn: number; readonly label: string }
  | { readonly type: 'speech-end'; readonly atMs: number; readonly turn: number; readonly label: string }
  | {
      readonly type: 'agent-audio';
      readonly atMs: number;
      readonly playStartMs: number;
      readonly turn: number;
    }
  | { readonly type: 'mark'; readonly atMs: number; readonly name: string }
  | {
      readonly type: 'mark-echo';
      readonly atMs: number;
      readonly name: string;
      readonly outcome: 'played' | 'cleared';
    }
  | { readonly type: 'clear'; readonly atMs: number; readonly discardedMs: number }
  | { readonly type: 'dtmf'; readonly atMs: number; readonly digit: string }
  | { readonly type: 'wait-timeout'; readonly atMs: number }
  | {
      readonly type: 'protocol-error';
      readonly atMs: number;
      readonly error: ProtocolErrorKind;
      readonly detail: string;
    }
  | { readonly type: 'stop'; readonly atMs: number }
  | { readonly type: 'closed'; readonly atMs: number; readonly code: number; readonly reason: string };

/** One caller utterance (a played file) and the agent's answer to it. Times in ms since `start`. */
export interface TurnTiming {
  readonly index: number;
  readonly label: string;
  readonly speechStartMs: number;
  readonly speechEndMs: number;
  /** First audible agent media message (not all digital silence) received after speechEndMs. */
  readonly agentAudioReceivedMs?: number;
  /** When that audio started playing (later than received when older audio was still queued). */
  readonly agentAudioStartMs?: number;
  /** agentAudioStartMs - speechEndMs: what the caller experiences as the response gap. */
  readonly latencyMs?: number;
  /**
   * Names of the agent's marks echoed as played after this utterance ended and before the next
   * began: what the caller heard in reply (this agent names them <kind>-<turn>-<segment>).
   */
  readonly marksPlayed?: readonly string[];
  /** When the first of those marks was echoed (its segment had played), ms since `start`. */
  readonly firstMarkPlayedMs?: number;
  /** Marks of the reply echoed as cleared: the caller talked over them (a barge-in). */
  readonly marksCleared?: readonly string[];
  /**
   * How the first waitForAgent step after this utterance ended: agent audio heard ('heard'), or
   * its timeout ('timed-out'). Absent: no wait followed before the call ended.
   */
  readonly answerWait?: 'heard' | 'timed-out';
}

export type ProtocolErrorCounts = Record<ProtocolErrorKind, number> & { total: number };

export interface CallResult {
  readonly callSid: string;
  readonly streamSid: string;
  /** 'completed': the script ended (stop sent); 'server-closed': the agent closed first;
   *  'dropped': a drop step; 'error': connect failure or socket error (see error). */
  readonly outcome: 'completed' | 'server-closed' | 'dropped' | 'error';
  /** The call left the stream because its TwiML was replaced over REST (a transfer). */
  readonly redirected?: boolean;
  readonly error?: string;
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** HTTP status when the upgrade was refused (e.g. 403 for a bad signature). */
  readonly upgradeStatus?: number;
  /** HTTP status of the voice webhook when it was not 200. */
  readonly webhookStatus?: number;
  /** The TwiML the voice webhook returned; `after` is what Twilio plays once the stream ends. */
  readonly twiml?: ConnectTwiml;
  /**
   * What Twilio goes on to after the agent closed the stream: the verbs after <Connect> (a
   * refused caller's apology, transfer or redirect). Empty when the caller hung up or the agent
   * completed the call through the REST API first.
   */
  readonly afterStream?: readonly TwimlVerb[];
  readonly durationMs: number;
  /** Wall-clock ms (Date.now) when the stream opened: lines the call up with other processes' events. */
  readonly startedAtEpochMs?: number;
  readonly framesSent: number;
  /** How late frames left versus their absolute deadline (the simulator's own lag). */
  readonly sendLag: HistogramSummary;
  readonly dtmfSent: number;
  readonly waitTimeouts: number;
  readonly agent: {
    readonly mediaMessages: number;
    readonly bytes: number;
    /** Audio actually played (not discarded by clear), ms. */
    readonly playedMs: number;
    readonly discardedMs: number;
    readonly clears: number;
    readonly marksReceived: number;
    readonly marksPlayed: number;
    readonly marksCleared: number;
  };
  /** Echo jitter: how much later than a steady real-time stream each agent media message came. */
  readonly jitter: HistogramSummary & { readonly late: number };
  readonly protocolErrors: ProtocolErrorCounts;
  /** Frame send -> echo arrival, when measureEchoRtt is set. */
  readonly echoRtt?: HistogramSummary;
  readonly turns: readonly TurnTiming[];
  readonly recording?: Recording;
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** True when every byte is a mu-law zero code (0xFF or 0x7F). */
export function isDigitalSilence(mulaw: Uint8Array): boolean {
  for (let i = 0; i < mulaw.length; i++) {
    if ((mulaw[i]! | 0x80) !== 0xff) return false;
  }
  return true;
}

/**
 * Where the voice of a played clip ends, in bytes: after the last sample louder than a quiet room
 * (mu-law magnitude code above 0x1f, about -40 dBFS). Fixture WAVs carry trailing silence; an
 * agent may start its answer inside it.
 */
export function voicedEndByte(mulaw: Uint8Array): number {
  for (let i = mulaw.length - 1; i >= 0; i--) {
    if ((~mulaw[i]! & 0x7f) > 0x1f) return i + 1;
  }
  return 0;
}

export function randomSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

interface MutableTurn {
  index: number;
  label: string;
  speechStartMs: number;
  speechEndMs: number;
  agentAudioReceivedMs?: number;
  agentAudioStartMs?: number;
  latencyMs?: number;
  marksPlayed?: string[];
  firstMarkPlayedMs?: number;
  marksCleared?: string[];
  answerWait?: 'heard' | 'timed-out';
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
  private readonly playout = new PlayoutBuffer();
  private readonly capture: RecordingCapture | undefined;
  private readonly sendLagHist = new MsHistogram();
  private readonly jitterHist = new MsHistogram();
  private readonly rttHist: MsHistogram | undefined;
  /** Send times of frames not yet echoed (ring buffer), for measureEchoRtt. */
  private sendTimes: Float64Array | undefined;
  /** Echoed bytes so far, for measureEchoRtt. */
  private echoedBytes = 0;
  private readonly lateFrameMs: number;
  private readonly spurtGapMs: number;

  private ws: WebSocket | undefined;
  private t0 = 0;
  private startedAtEpochMs: number | undefined;
  private unregisterFaults: (() => void) | undefined;
  private seq = 0;
  private frame = 0;
  private nextTick: ScheduledTask | undefined;
  private markTimer: ScheduledTask | undefined;
  private maxDurationTimer: ScheduledTask | undefined;
  private finished = false;
  private resolveRun: ((r: CallResult) => void) | undefined;
  private runPromise: Promise<CallResult> | undefined;

  // script position
  private step = 0;
  private stepOffset = 0;
  private stepStartedMs = 0;
  private stepStarted = false;

  // counters
  private framesSent = 0;
  private dtmfSent = 0;
  private waitTimeouts = 0;
  private mediaMessages = 0;
  private agentBytes = 0;
  private discardedMs = 0;
  private clears = 0;
  private marksReceived = 0;
  private marksPlayed = 0;
  private marksCleared = 0;
  private lateEchoes = 0;
  private spurtMinTransit = Infinity;
  private spurtBytes = 0;
  private lastArrival = -Infinity;
  /** The latest run of audible (not digital-silence) agent audio, cut short by clear. */
  private readonly talk = new AgentTalk();
  /**
   * Where the voice of the clip being played (or played last) ends, ms since start on the frame
   * clock: only agent audio begun after it replies to the caller. -Infinity before any clip.
   */
  private playVoicedEndMs = -Infinity;
  private readonly errors: ProtocolErrorCounts = {
    binaryFrame: 0,
    invalidJson: 0,
    unknownEvent: 0,
    wrongStreamSid: 0,
    badMessage: 0,
    total: 0,
  };
  private readonly turns: MutableTurn[] = [];
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
    this.lateFrameMs = options.lateFrameMs ?? 20;
    this.spurtGapMs = options.spurtGapMs ?? 200;
    if (options.measureEchoRtt) {
      this.rttHist = new MsHistogram();
      this.sendTimes = new Float64Array(1024);
    }
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
        ...(this.opts.cheapFraming ? { generateMask: zeroMask, skipUTF8Validation: true } : {}),
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

  private onOpen(): void {
    this.t0 = this.scheduler.now();
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
    const action = this.nextFrame(atMs);
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
    const payload = action === SILENCE_FRAME ? SILENCE_B64 : action.toString('base64');
    this.send(mediaMessage(++this.seq, this.streamSid, k + 1, k * FRAME_MS, payload));
    this.capture?.addCaller(k, action);
    if (this.sendTimes) this.sendTimes[this.framesSent & 1023] = nowAbs;
    this.framesSent++;
    this.frame++;
    this.scheduleFrame();
  }

  /** Advances the script by one frame: the frame to send, or the end of the call. */
  private nextFrame(atMs: number): Buffer | 'stop' | 'drop' {
    for (;;) {
      const s = this.script[this.step];
      if (!s) return 'stop';
      if (!this.stepStarted) {
        this.stepStarted = true;
        this.stepOffset = 0;
        this.stepStartedMs = atMs;
      }
      switch (s.kind) {
        case 'play': {
          const audio = s.audio;
          const off = this.stepOffset;
          const label = s.label ?? `play#${this.step + 1}`;
          if (off === 0) {
            if (audio.length === 0) {
              this.advance();
              continue;
            }
            const turn = this.turns.length;
            this.turns.push({ index: turn, label, speechStartMs: this.frame * FRAME_MS, speechEndMs: NaN });
            this.playVoicedEndMs = this.frame * FRAME_MS + voicedEndByte(audio) / 8;
            this.emit({ type: 'speech-start', atMs, turn, label });
          }
          const end = Math.min(off + FRAME_BYTES, audio.length);
          let frame: Buffer;
          if (end - off === FRAME_BYTES) {
            frame = Buffer.from(audio.buffer, audio.byteOffset + off, FRAME_BYTES);
          } else {
            frame = Buffer.alloc(FRAME_BYTES, 0xff);
            frame.set(audio.subarray(off, end));
          }
          this.stepOffset = end;
          if (end >= audio.length) {
            const turn = this.turns[this.turns.length - 1]!;
            turn.speechEndMs = this.frame * FRAME_MS + (end - off) / 8;
            this.emit({ type: 'speech-end', atMs, turn: turn.index, label });
            this.creditEarlyAnswer(turn, atMs);
            this.advance();
          }
          return frame;
        }
        case 'silence': {
          const frames = Math.ceil(s.ms / FRAME_MS);
          if (this.stepOffset >= frames) {
            this.advance();
            continue;
          }
          this.stepOffset++;
          if (this.stepOffset >= frames) this.advance();
          return SILENCE_FRAME;
        }
        case 'dtmf':
          this.send(dtmfMessage(++this.seq, this.streamSid, s.digit));
          this.dtmfSent++;
          this.emit({ type: 'dtmf', atMs, digit: s.digit });
          this.advance();
          continue;
        case 'waitForAgent': {
          const done = this.talk.waitDone(s.until ?? 'end', {
            waitStartMs: this.stepStartedMs,
            replyFromMs: this.playVoicedEndMs,
            atMs,
            quietMs: s.quietMs ?? 700,
            frameMs: FRAME_MS,
          });
          if (done) {
            this.noteAnswerWait('heard');
            this.advance();
            continue;
          }
          if (atMs - this.stepStartedMs >= (s.timeoutMs ?? 15_000)) {
            this.waitTimeouts++;
            this.noteAnswerWait('timed-out');
            this.emit({ type: 'wait-timeout', atMs });
            this.advance();
            continue;
          }
          return SILENCE_FRAME;
        }
        case 'stop':
          return 'stop';
        case 'drop':
          return 'drop';
      }
    }
  }

  /** The last utterance's answer wait ended (the first wait after it counts). */
  private noteAnswerWait(how: 'heard' | 'timed-out'): void {
    const turn = this.turns[this.turns.length - 1];
    if (turn && Number.isFinite(turn.speechEndMs)) turn.answerWait ??= how;
  }

  private advance(): void {
    this.step++;
    this.stepStarted = false;
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
        this.onAgentMedia(atMs, msg.payload);
        return;
      case 'mark':
        this.marksReceived++;
        this.emit({ type: 'mark', atMs, name: msg.name });
        if (this.playout.addMark(atMs, msg.name)) this.echoMark(msg.name, 'played', atMs);
        else this.armMarkTimer();
        return;
      case 'clear': {
        this.clears++;
        const { echoed, discardedMs } = this.playout.clear(atMs);
        this.talk.onClear(atMs);
        this.discardedMs += discardedMs;
        this.capture?.truncateAgent(atMs);
        this.markTimer?.cancel();
        this.markTimer = undefined;
        this.emit({ type: 'clear', atMs, discardedMs });
        for (const name of echoed) this.echoMark(name, 'cleared', atMs);
        return;
      }
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

  private onAgentMedia(atMs: number, payload: Buffer): void {
    this.mediaMessages++;
    this.agentBytes += payload.length;
    if (this.sendTimes && this.rttHist) {
      this.echoedBytes += payload.length;
      // The frame holding the message's last byte: a batching agent could not send before it arrived.
      const frame = Math.ceil(this.echoedBytes / FRAME_BYTES) - 1;
      if (frame >= 0 && frame < this.framesSent && this.framesSent - frame <= 1024) {
        this.rttHist.add(this.t0 + atMs - this.sendTimes[frame & 1023]!);
      }
    }
    // Jitter: within a talk spurt, each message should arrive when a steady real-time stream
    // would deliver it (spurt start + bytes so far / 8); lateness is measured against the
    // earliest such transit seen in the spurt.
    if (atMs - this.lastArrival > this.spurtGapMs) {
      this.spurtMinTransit = Infinity;
      this.spurtBytes = 0;
    }
    const transit = atMs - this.spurtBytes / 8;
    if (transit < this.spurtMinTransit) this.spurtMinTransit = transit;
    const excess = transit - this.spurtMinTransit;
    this.jitterHist.add(excess);
    if (excess > this.lateFrameMs) this.lateEchoes++;
    this.spurtBytes += payload.length;
    this.lastArrival = atMs;

    const { startMs, endMs } = this.playout.enqueueAudio(atMs, payload.length);
    this.capture?.addAgent(startMs, payload);
    // Digital silence (an agent that streams continuously) is played but is not "the agent talking".
    if (isDigitalSilence(payload)) return;
    this.talk.onAudible(atMs, startMs, endMs);
    const turn = this.turns[this.turns.length - 1];
    // Only audio begun after the caller's voice ended answers it: the rest of an answer the caller
    // talked over (sent before the agent noticed the barge-in, or ignored it) is not a reply.
    if (
      turn &&
      Number.isFinite(turn.speechEndMs) &&
      turn.agentAudioReceivedMs === undefined &&
      this.talk.runStart >= this.playVoicedEndMs
    ) {
      turn.agentAudioReceivedMs = atMs;
      turn.agentAudioStartMs = startMs;
      turn.latencyMs = startMs - turn.speechEndMs;
      this.emit({ type: 'agent-audio', atMs, playStartMs: startMs, turn: turn.index });
    }
  }

  /**
   * An answer that began in the clip's trailing silence (after the caller's voice ended, before the
   * file did) is this turn's answer: its gap is negative. Without this the first audio after the
   * file's end, somewhere inside that answer, was taken for its start.
   */
  private creditEarlyAnswer(turn: MutableTurn, atMs: number): void {
    if (turn.agentAudioReceivedMs !== undefined) return;
    const { talk } = this;
    if (talk.runStart < this.playVoicedEndMs || talk.silentSoFar) return;
    turn.agentAudioReceivedMs = talk.runReceivedMs;
    turn.agentAudioStartMs = talk.runStart;
    turn.latencyMs = talk.runStart - turn.speechEndMs;
    this.emit({ type: 'agent-audio', atMs, playStartMs: talk.runStart, turn: turn.index });
  }

  private armMarkTimer(): void {
    if (this.markTimer) return;
    const due = this.playout.nextMarkDueMs();
    if (due === undefined) return;
    this.markTimer = this.scheduler.at(this.t0 + due, () => {
      this.markTimer = undefined;
      const atMs = this.now();
      for (const name of this.playout.takeDueMarks(atMs)) this.echoMark(name, 'played', atMs);
      this.armMarkTimer();
    });
  }

  private echoMark(name: string, outcome: 'played' | 'cleared', atMs: number): void {
    if (outcome === 'played') {
      this.marksPlayed++;
      const turn = this.turns[this.turns.length - 1];
      if (turn && Number.isFinite(turn.speechEndMs)) {
        (turn.marksPlayed ??= []).push(name);
        turn.firstMarkPlayedMs ??= atMs;
      }
    } else {
      this.marksCleared++;
      // A reply cut by the caller's next utterance (still under way): it replied to the last one finished.
      const turn = this.turns.findLast((t) => Number.isFinite(t.speechEndMs));
      if (turn) (turn.marksCleared ??= []).push(name);
    }
    this.send(markEchoMessage(++this.seq, this.streamSid, name));
    this.emit({ type: 'mark-echo', atMs, name, outcome });
  }

  private finish(outcome: CallResult['outcome']): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome = outcome;
    this.unregisterFaults?.();
    this.endedAtMs ??= this.t0 > 0 ? this.now() : 0;
    this.nextTick?.cancel();
    this.markTimer?.cancel();
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
    const playedMs = this.agentBytes / 8 - this.discardedMs;
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
      dtmfSent: this.dtmfSent,
      waitTimeouts: this.waitTimeouts,
      agent: {
        mediaMessages: this.mediaMessages,
        bytes: this.agentBytes,
        playedMs,
        discardedMs: this.discardedMs,
        clears: this.clears,
        marksReceived: this.marksReceived,
        marksPlayed: this.marksPlayed,
        marksCleared: this.marksCleared,
      },
      jitter: { ...this.jitterHist.summary(), late: this.lateEchoes },
      protocolErrors: { ...this.errors },
      ...(this.rttHist ? { echoRtt: this.rttHist.summary() } : {}),
      turns: this.turns.map((t) => ({
        ...t,
        ...(t.marksPlayed ? { marksPlayed: [...t.marksPlayed] } : {}),
        ...(t.marksCleared ? { marksCleared: [...t.marksCleared] } : {}),
      })),
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
      mediaMessages: this.mediaMessages,
      agentBytes: this.agentBytes,
      lateEchoes: this.lateEchoes,
      protocolErrors: this.errors.total,
    };
  }

  /** Raw histograms, for merging across calls in a benchmark. */
  histograms(): { sendLag: MsHistogram; jitter: MsHistogram; echoRtt?: MsHistogram } {
    return {
      sendLag: this.sendLagHist,
      jitter: this.jitterHist,
      ...(this.rttHist ? { echoRtt: this.rttHist } : {}),
    };
  }
}
