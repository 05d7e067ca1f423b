// The simulated call's options, live events and result (call.ts runs the call).
import type { Logger } from '../../telemetry/logger.ts';
import type { CallFaultHook } from '../faults/caller-hook.ts';
import type { HistogramSummary } from './histogram.ts';
import type { ProtocolErrorKind } from './protocol.ts';
import type { Recording, RecordingMode } from './recording.ts';
import type { Scheduler } from './scheduler.ts';
import type { CallStep } from './script.ts';
import type { ConnectTwiml, TwimlVerb } from './webhook.ts';

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
   * Load tests: media frames written to the socket in one write each (the bytes ws would send
   * with the same per-frame masking key: ws-frame.ts) and no UTF-8 validation of incoming text.
   * Keys are never zero, so the agent unmasks every frame as it must for Twilio. Default false.
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
