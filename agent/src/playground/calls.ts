// The playground's calls on this process: each issued session (a single-use stream ticket bound
// to one callSid/streamSid), the events its call session reports through the CallObserver, and
// the event-feed subscribers. State is swept lazily on use against an injected clock: no timers.
import { randomBytes } from 'node:crypto';
import type { CallHandler, CallHandlerFactory, CallStartInfo } from '../call/types.ts';
import type {
  CallObserver,
  ObservedBargeIn,
  ObservedSegment,
  ObservedTranscript,
  ObservedTurnEnd,
} from '../call/observer.ts';
import { TICKET_TTL_MS, secretsEqual, ticketKey } from './access.ts';
import { playgroundRejections } from './metrics.ts';
import { turnWaterfall, type TurnWaterfall } from './waterfall.ts';

export type PlaygroundEvent =
  | ({ readonly type: 'transcript' } & ObservedTranscript)
  | ({ readonly type: 'turnEnded' } & ObservedTurnEnd)
  | ({ readonly type: 'segment' } & ObservedSegment)
  | ({ readonly type: 'bargeIn' } & ObservedBargeIn)
  | { readonly type: 'turn'; readonly waterfall: TurnWaterfall }
  | { readonly type: 'ended'; readonly reason: string };

export type SequencedEvent = PlaygroundEvent & { readonly seq: number };

export interface IssuedSession {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  /** Offered by the page as the `hva-playground-ticket.<ticket>` subprotocol; single use. */
  readonly ticket: string;
  /** Bearer key for this call's event feed only. */
  readonly eventsKey: string;
  readonly expiresInMs: number;
}

type CallState = 'issued' | 'upgraded' | 'started' | 'ended';

interface PlaygroundCall {
  readonly callSid: string;
  readonly streamSid: string;
  readonly ticketKey: string;
  readonly eventsKey: string;
  readonly issuedAtMs: number;
  state: CallState;
  endedAtMs: number | undefined;
  readonly events: SequencedEvent[];
  dropped: number;
  readonly subscribers: Set<(e: SequencedEvent) => void>;
}

export interface PlaygroundCallsOptions {
  /** Monotonic ms (performance.now in production, a fake clock in tests). */
  readonly now: () => number;
  /** TRACE_UI_URL: the waterfall links each turn's trace with it. */
  readonly traceUrlTemplate: string;
  /** Sessions issued but not connected yet, at most (further requests: 429). Default 16. */
  readonly maxPending?: number;
  /** Events kept per call for late subscribers. Default 2000 (oldest dropped first, counted). */
  readonly maxEvents?: number;
  /** How long an ended call's events stay readable. Default 5 minutes. */
  readonly keepEndedMs?: number;
}

/** Twilio-shaped SIDs: two letters and 32 hex digits. */
const sid = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;

/** Issued, live and ended calls remembered at most (ended ones are forgotten first). */
const MAX_KNOWN_CALLS = 256;

/** Event feeds open at once for one call (a page needs one; a reload briefly two). */
const MAX_SUBSCRIBERS_PER_CALL = 4;

/** All playground calls share one recognisable account SID (it is not a Twilio account). */
export const PLAYGROUND_ACCOUNT_SID = 'ACplayground';

export class PlaygroundCalls {
  private readonly calls = new Map<string, PlaygroundCall>();
  private readonly byTicket = new Map<string, PlaygroundCall>();
  private readonly now: () => number;
  private readonly traceUrlTemplate: string;
  private readonly maxPending: number;
  private readonly maxEvents: number;
  private readonly keepEndedMs: number;

  constructor(options: PlaygroundCallsOptions) {
    this.now = options.now;
    this.traceUrlTemplate = options.traceUrlTemplate;
    this.maxPending = options.maxPending ?? 16;
    this.maxEvents = options.maxEvents ?? 2000;
    this.keepEndedMs = options.keepEndedMs ?? 5 * 60_000;
  }

  /** A new session, or undefined when too many are waiting to connect. */
  issue(): IssuedSession | undefined {
    this.sweep();
    if (this.byTicket.size >= this.maxPending) return undefined;
    const ticket = randomBytes(32).toString('base64url');
    const call: PlaygroundCall = {
      callSid: sid('CA'),
      streamSid: sid('MZ'),
      ticketKey: ticketKey(ticket),
      eventsKey: randomBytes(32).toString('base64url'),
      issuedAtMs: this.now(),
      state: 'issued',
      endedAtMs: undefined,
      events: [],
      dropped: 0,
      subscribers: new Set(),
    };
    this.calls.set(call.callSid, call);
    this.byTicket.set(call.ticketKey, call);
    return {
      callSid: call.callSid,
      streamSid: call.streamSid,
      accountSid: PLAYGROUND_ACCOUNT_SID,
      ticket,
      eventsKey: call.eventsKey,
      expiresInMs: TICKET_TTL_MS,
    };
  }

  /** Spends a ticket: the call it was issued for, or undefined (unknown, expired or already used). */
  redeem(ticket: string): { readonly callSid: string; readonly streamSid: string } | undefined {
    this.sweep();
    const key = ticketKey(ticket);
    const call = this.byTicket.get(key);
    if (call === undefined) return undefined;
    this.byTicket.delete(key);
    call.state = 'upgraded';
    return { callSid: call.callSid, streamSid: call.streamSid };
  }

  /**
   * The handler factory for a socket admitted with a ticket: its `start` must name the call the
   * ticket was issued for (as issue 10's stream token binds a Twilio stream to its webhook);
   * anything else is hung up at once with nothing created.
   */
  bind(admitted: { readonly callSid: string; readonly streamSid: string }, factory: CallHandlerFactory) {
    return ((ctx) => {
      const call = this.calls.get(admitted.callSid);
      if (
        ctx.info.callSid !== admitted.callSid ||
        ctx.info.streamSid !== admitted.streamSid ||
        call === undefined ||
        call.state !== 'upgraded'
      ) {
        playgroundRejections.inc({ reason: 'stream_mismatch' });
        ctx.logger.warn(
          { expectedCallSid: admitted.callSid },
          'playground stream refused: start does not match the ticket it was admitted with',
        );
        ctx.sink.hangup('playground stream mismatch');
        return NOOP_HANDLER;
      }
      call.state = 'started';
      return factory(ctx);
    }) satisfies CallHandlerFactory;
  }

  /** The SessionDeps.observe factory: an observer for started playground calls, else undefined. */
  readonly observe = (info: CallStartInfo): CallObserver | undefined => {
    const call = this.calls.get(info.callSid);
    if (call === undefined || call.state !== 'started' || call.streamSid !== info.streamSid) return undefined;
    const push = (e: PlaygroundEvent): void => this.push(call, e);
    return {
      transcript: (t) => push({ type: 'transcript', ...t }),
      turnEnded: (t) => push({ type: 'turnEnded', ...t }),
      segment: (s) => push({ type: 'segment', ...s }),
      bargeIn: (b) => push({ type: 'bargeIn', ...b }),
      turnRecord: (r, traceId) =>
        push({ type: 'turn', waterfall: turnWaterfall(r, traceId, this.traceUrlTemplate) }),
      ended: (reason) => {
        push({ type: 'ended', reason });
        call.state = 'ended';
        call.endedAtMs = this.now();
      },
    };
  };

  /**
   * Subscribes to a call's events (backlog first, then live). 'not_found' for unknown calls,
   * 'forbidden' for a wrong key, 'busy' past the per-call feed limit (404 / 403 / 429).
   */
  subscribe(
    callSid: string,
    eventsKey: string | undefined,
    listener: (e: SequencedEvent) => void,
  ):
    | { readonly backlog: readonly SequencedEvent[]; unsubscribe(): void }
    | 'not_found'
    | 'forbidden'
    | 'busy' {
    this.sweep();
    const call = this.calls.get(callSid);
    if (call === undefined) return 'not_found';
    if (eventsKey === undefined || !secretsEqual(eventsKey, call.eventsKey)) {
      playgroundRejections.inc({ reason: 'events_forbidden' });
      return 'forbidden';
    }
    if (call.subscribers.size >= MAX_SUBSCRIBERS_PER_CALL) {
      playgroundRejections.inc({ reason: 'busy' });
      return 'busy';
    }
    call.subscribers.add(listener);
    return { backlog: [...call.events], unsubscribe: () => call.subscribers.delete(listener) };
  }

  /** Calls known (issued, live or recently ended). */
  get size(): number {
    return this.calls.size;
  }

  private push(call: PlaygroundCall, e: PlaygroundEvent): void {
    const event = { ...e, seq: call.events.length + call.dropped + 1 } as SequencedEvent;
    call.events.push(event);
    if (call.events.length > this.maxEvents) {
      call.events.shift();
      call.dropped += 1;
    }
    for (const s of call.subscribers) s(event);
  }

  private sweep(): void {
    const now = this.now();
    for (const [callSid, call] of this.calls) {
      // A socket that upgraded but never sent `start` is closed by the edge after START_TIMEOUT_MS.
      const expired =
        (call.state === 'issued' && now - call.issuedAtMs > TICKET_TTL_MS) ||
        (call.state === 'upgraded' && now - call.issuedAtMs > 4 * TICKET_TTL_MS) ||
        (call.state === 'ended' && call.endedAtMs !== undefined && now - call.endedAtMs > this.keepEndedMs);
      if (!expired) continue;
      this.calls.delete(callSid);
      this.byTicket.delete(call.ticketKey);
    }
    // Bound memory however fast sessions are opened: forget the oldest ended calls first.
    for (const [callSid, call] of this.calls) {
      if (this.calls.size <= MAX_KNOWN_CALLS) break;
      if (call.state === 'ended') this.calls.delete(callSid);
    }
  }
}

const NOOP_HANDLER: CallHandler = {
  onAudio() {},
  onMark() {},
  onDtmf() {},
  dispose: async () => {},
};
