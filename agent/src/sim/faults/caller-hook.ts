// ws-drop for the caller simulator: on its schedule (every N from the run's start) one connected
// call, a seeded pick, loses its WebSocket the way a network failure cuts it (no `stop`, no close
// handshake). Twilio does not reconnect a Media Stream, so that call is over for both sides.
import { FaultLog, faultRandom, type FaultClock, type FaultTimers } from './log.ts';
import type { FaultPlan, WsDropFault } from './plan.ts';

/** What the hook needs of a call (SimulatedCall). */
export interface DroppableCall {
  readonly callSid: string;
  drop(): void;
}

/** CallOptions.faults: a connected call registers; the returned function unregisters it. */
export interface CallFaultHook {
  register(call: DroppableCall): () => void;
}

export interface WsDropperOptions {
  /** Wall time of the run's start: drops are due at epochMs + start + k * every. */
  readonly epochMs: number;
  readonly clock: FaultClock;
  readonly timers: FaultTimers;
  readonly log: FaultLog;
}

export class WsDropper implements CallFaultHook {
  private readonly live = new Set<DroppableCall>();
  private readonly rules: Array<{
    f: WsDropFault;
    /** Position in the plan. */
    index: number;
    random: () => number;
    /** Schedule slots passed (a slot with no live call drops nothing). */
    slot: number;
    done: number;
    timer: unknown;
  }>;
  private readonly options: WsDropperOptions;
  private stopped = false;

  constructor(plan: FaultPlan, options: WsDropperOptions) {
    this.options = options;
    this.rules = [];
    plan.faults.forEach((f, index) => {
      if (f.kind === 'ws-drop')
        this.rules.push({
          f,
          index,
          random: faultRandom(plan.seed, index, 'ws-drop'),
          slot: 0,
          done: 0,
          timer: undefined,
        });
    });
    for (const rule of this.rules) this.arm(rule);
  }

  /** Calls dropped so far. */
  get drops(): number {
    return this.rules.reduce((n, r) => n + r.done, 0);
  }

  register(call: DroppableCall): () => void {
    this.live.add(call);
    return () => this.live.delete(call);
  }

  /** Stops the schedule (end of the run). */
  stop(): void {
    this.stopped = true;
    for (const rule of this.rules) this.options.timers.clearTimeout(rule.timer);
  }

  private arm(rule: (typeof this.rules)[number]): void {
    if (this.stopped || rule.done >= rule.f.count) return;
    const due = this.options.epochMs + rule.f.startMs + rule.slot * rule.f.everyMs;
    // Due times count from the epoch, so a late timer does not push later drops back.
    const delay = Math.max(0, due - this.options.clock.now());
    rule.timer = this.options.timers.setTimeout(() => this.fire(rule), delay);
  }

  private fire(rule: (typeof this.rules)[number]): void {
    if (this.stopped) return;
    rule.slot++;
    // Registration order is connection order: the pick depends only on the seed and the live set.
    const calls = [...this.live];
    const victim = calls[Math.floor(rule.random() * calls.length)];
    if (victim) {
      rule.done++;
      this.live.delete(victim);
      this.options.log.add({
        fault: 'ws-drop',
        index: rule.index,
        type: 'injected',
        atEpochMs: this.options.clock.now(),
        callId: victim.callSid,
        detail: 'drop',
      });
      victim.drop();
    }
    this.arm(rule);
  }
}
