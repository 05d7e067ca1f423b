// Who gets a call. A media socket is first `pending` (no start yet): those have a small budget
// of their own, and when it is full the oldest is closed, so idle sockets never keep out a real
// call (Twilio sends start at once). `start` then becomes a call only with a valid stream token
// for its CallSid, while not draining, under MAX_CALLS and with the providers ready; any refusal
// closes the socket and Twilio runs the fallback TwiML after <Connect>.
import type { Config } from '../config/schema.ts';
import type { MediaConnection, StartAdmission } from '../twilio/connection.ts';
import type { StartEvent } from '../twilio/protocol.ts';
import type { Readiness } from './http.ts';
import { refusedStreams, rejectedRequests } from './metrics.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';
import { STREAM_TOKEN_PARAMETER, type StreamTokens } from './stream-token.ts';

export interface StreamGateOptions {
  readonly config: Pick<Config, 'maxCalls' | 'pendingStreamsMax'>;
  /** Absent when signature validation is off. */
  readonly streamTokens: StreamTokens | undefined;
  readonly closing: () => boolean;
  readonly readiness?: () => Readiness;
  readonly rejectLog: RateLimitedLog;
  /** The started-call count changed (gauge, deletion cost). */
  readonly onCallsChanged: (calls: number) => void;
}

export class StreamGate {
  private readonly options: StreamGateOptions;
  private readonly calls = new Set<MediaConnection>();
  /** Oldest first. */
  private readonly pending = new Set<MediaConnection>();

  constructor(options: StreamGateOptions) {
    this.options = options;
  }

  get callCount(): number {
    return this.calls.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Why a new socket is refused at once (1013), or undefined when it may wait for its start. */
  refuseSocket(): 'draining' | 'max_calls' | undefined {
    const reason = this.options.closing()
      ? 'draining'
      : this.calls.size >= this.options.config.maxCalls
        ? 'max_calls'
        : undefined;
    if (reason === undefined) return undefined;
    refusedStreams.inc({ reason });
    this.options.rejectLog.warn(
      `refused:${reason}`,
      { reason, activeCalls: this.calls.size, maxCalls: this.options.config.maxCalls },
      'media stream refused',
    );
    return reason;
  }

  /** Makes room in the pending budget (closing the oldest socket when full), then adds `conn`. */
  addPending(conn: MediaConnection): void {
    if (this.pending.size >= this.options.config.pendingStreamsMax) {
      const oldest = this.pending.values().next().value!;
      this.pending.delete(oldest);
      rejectedRequests.inc({ route: 'media_stream', reason: 'pending_evicted' });
      this.options.rejectLog.warn(
        'pending_evicted',
        { pending: this.pending.size + 1 },
        'media socket without start evicted',
      );
      void oldest.end('pending_evicted', 1008);
    }
    this.pending.add(conn);
  }

  /** Decides whether a socket's `start` becomes a call: stream token, drain, capacity, readiness. */
  readonly admitStart = (event: StartEvent): StartAdmission => {
    const { streamTokens, rejectLog } = this.options;
    const params = event.start.customParameters;
    if (streamTokens !== undefined) {
      const problem = streamTokens.accept(event.start.callSid, params[STREAM_TOKEN_PARAMETER]);
      if (problem !== undefined) {
        refusedStreams.inc({ reason: 'stream_token' });
        rejectedRequests.inc({ route: 'media_stream', reason: `stream_token_${problem}` });
        rejectLog.warn(
          `stream_token:${problem}`,
          { problem, callSid: event.start.callSid },
          'media stream refused: start without a valid stream token for its CallSid',
        );
        return { ok: false, reason: `stream_token_${problem}`, code: 1008 };
      }
    }
    if (this.options.closing()) {
      refusedStreams.inc({ reason: 'draining' });
      return { ok: false, reason: 'draining', code: 1013 };
    }
    if (this.calls.size >= this.options.config.maxCalls) {
      refusedStreams.inc({ reason: 'max_calls' });
      return { ok: false, reason: 'max_calls', code: 1013 };
    }
    // A provider failed at start-up (or is still starting): the caller hears the fallback
    // instead of a call that cannot answer.
    const readiness = this.options.readiness?.();
    if (readiness !== undefined && !readiness.ready) {
      refusedStreams.inc({ reason: 'not_ready' });
      rejectLog.warn(
        'refused:not_ready',
        { reasons: readiness.reasons },
        'media stream refused: providers not ready',
      );
      return { ok: false, reason: 'not_ready', code: 1013 };
    }
    const { [STREAM_TOKEN_PARAMETER]: _token, ...rest } = params;
    return { ok: true, customParameters: Object.freeze(rest) };
  };

  started(conn: MediaConnection): void {
    this.pending.delete(conn);
    this.calls.add(conn);
    this.options.onCallsChanged(this.calls.size);
  }

  finished(conn: MediaConnection): void {
    this.pending.delete(conn);
    if (this.calls.delete(conn)) this.options.onCallsChanged(this.calls.size);
  }
}
