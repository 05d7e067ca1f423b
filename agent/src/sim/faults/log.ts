// What the fault hooks did, with wall-clock times so events from the emulator process and the
// caller process line up in one report; and the seeded helpers every hook draws its choices from.
import { seededRandom } from '../profile.ts';
import type { FaultKind } from './plan.ts';

/** Wall-clock ms (Date.now in production, a fake in tests): shared by processes on one machine. */
export interface FaultClock {
  now(): number;
}

export const systemFaultClock: FaultClock = { now: () => Date.now() };

/** Timers behind an interface so scheduled faults (ws-drop) run on fake time in tests. */
export interface FaultTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemFaultTimers: FaultTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface FaultEvent {
  readonly fault: FaultKind;
  /** Which fault of the plan (its position), so two faults of one kind report apart. */
  readonly index?: number;
  /** injected: a failure was sent; recovered: the first normal service after it (see afterMs). */
  readonly type: 'injected' | 'recovered';
  readonly atEpochMs: number;
  /** The call it hit, when the component knows it (Speech metadata, the caller simulator). */
  readonly callId?: string;
  /** Status or what was done, e.g. UNAVAILABLE, 429, stall, drop. */
  readonly detail?: string;
  /** recovered: ms from the failure (or the window's end) to the recovery. */
  readonly afterMs?: number;
}

/** Bounded list of events (a 100-call chaos run makes a few thousand at most). */
export class FaultLog {
  private readonly list: FaultEvent[] = [];
  private readonly limit: number;
  dropped = 0;

  constructor(limit = 100_000) {
    this.limit = limit;
  }

  add(event: FaultEvent): void {
    if (this.list.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.list.push(event);
  }

  events(): readonly FaultEvent[] {
    return this.list;
  }
}

/** A stream of draws in [0, 1) for one fault of a plan: the same plan and seed give the same draws. */
export function faultRandom(seed: number, index: number, salt: string): () => number {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${index}:${salt}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return seededRandom(h >>> 0);
}

/**
 * Picks items as they come so that exactly floor(n * share + phase) of the first n are picked,
 * spread evenly (a seeded phase in [0, 1) decides where): 20 % of 100 calls is 20 calls, not
 * "about 20", and a 7-call test still gets its 1 or 2.
 */
export class ShareSelector {
  private readonly share: number;
  private readonly phase: number;
  private seen = 0;

  constructor(share: number, random: () => number) {
    this.share = share;
    this.phase = random();
  }

  next(): boolean {
    const n = this.seen++;
    return Math.floor((n + 1) * this.share + this.phase) > Math.floor(n * this.share + this.phase);
  }
}
