// The time-window faults of a plan for the OpenAI and Text-to-Speech emulators: llm-429-burst and
// llm-stall (a chat request arriving inside the window gets the fault), tts-outage (a synthesis
// arriving inside the window fails UNAVAILABLE). Each emulator asks per request and reports the
// requests it served normally, so the first one served after a window is its recovery.
import { FaultLog, ShareSelector, faultRandom, type FaultClock } from './log.ts';
import {
  inWindow,
  type FaultKind,
  type FaultPlan,
  type Llm429BurstFault,
  type LlmStallFault,
  type TtsOutageFault,
  type WindowFault,
} from './plan.ts';

/** What the OpenAI emulator does to one chat request (sim/openai/server.ts applies it). */
export type PlannedLlmFault =
  | { readonly type: 'rate_limit'; readonly retryAfterSeconds: number }
  | { readonly type: 'stall'; readonly afterTokens: number };

export interface LlmFaultHook {
  /** The hook's clock (wall ms): the emulator notes a request's arrival with it. */
  now(): number;
  /** Asked when a valid chat request arrives; null: serve it normally. */
  request(): PlannedLlmFault | null;
  /** A request that arrived at `arrivedAtEpochMs` (from now()) was answered in full. */
  completed(arrivedAtEpochMs: number): void;
}

export interface TtsFaultHook {
  now(): number;
  /** Asked when a synthesis (unary or stream) starts; null: serve it. */
  request(): { readonly code: 'UNAVAILABLE'; readonly message: string } | null;
  completed(arrivedAtEpochMs: number): void;
}

interface WindowRule<F extends WindowFault> {
  readonly f: F;
  readonly selector: ShareSelector;
  /** Position in the plan. */
  readonly index: number;
  /** A failure was sent and no request after the window was served yet. */
  pendingRecovery: boolean;
}

function windows<F extends Llm429BurstFault | LlmStallFault | TtsOutageFault>(
  plan: FaultPlan,
  kinds: readonly F['kind'][],
  share: (f: F) => number,
): WindowRule<F>[] {
  const out: WindowRule<F>[] = [];
  plan.faults.forEach((f, index) => {
    if (!(kinds as readonly string[]).includes(f.kind)) return;
    const w = f as F;
    out.push({
      f: w,
      index,
      selector: new ShareSelector(share(w), faultRandom(plan.seed, index, w.kind)),
      pendingRecovery: false,
    });
  });
  return out;
}

/** Logs the first normal answer to a request that arrived after a window that injected something. */
function noteCompleted(
  rules: readonly WindowRule<WindowFault & { kind: FaultKind }>[],
  epochMs: number,
  arrivedAtEpochMs: number,
  clock: FaultClock,
  log: FaultLog,
): void {
  for (const r of rules) {
    const end = epochMs + r.f.atMs + r.f.forMs;
    if (!r.pendingRecovery || arrivedAtEpochMs < end) continue;
    r.pendingRecovery = false;
    const now = clock.now();
    log.add({ fault: r.f.kind, index: r.index, type: 'recovered', atEpochMs: now, afterMs: now - end });
  }
}

/**
 * The hook both emulators share: a request inside a window, and selected by its share, gets what
 * `inject` makes of it (and the window then waits for its recovery); others are served.
 */
function windowHook<F extends Llm429BurstFault | LlmStallFault | TtsOutageFault, T>(
  rules: WindowRule<F>[],
  epochMs: number,
  clock: FaultClock,
  log: FaultLog,
  inject: (r: WindowRule<F>, now: number) => T,
): { now(): number; request(): T | null; completed(arrivedAtEpochMs: number): void } {
  return {
    now: () => clock.now(),
    request() {
      const now = clock.now();
      for (const r of rules) {
        if (!inWindow(r.f, now - epochMs) || !r.selector.next()) continue;
        r.pendingRecovery = true;
        return inject(r, now);
      }
      return null;
    },
    completed(arrivedAtEpochMs) {
      noteCompleted(rules, epochMs, arrivedAtEpochMs, clock, log);
    },
  };
}

/** `epochMs`: wall time of the run's start, from which the windows count. */
export function createLlmFaultHook(
  plan: FaultPlan,
  epochMs: number,
  clock: FaultClock,
  log: FaultLog,
): LlmFaultHook | undefined {
  const rules = windows<Llm429BurstFault | LlmStallFault>(
    plan,
    ['llm-429-burst', 'llm-stall'],
    (f) => f.requestShare,
  );
  if (rules.length === 0) return undefined;
  return windowHook(rules, epochMs, clock, log, ({ f, index }, now): PlannedLlmFault => {
    if (f.kind === 'llm-429-burst') {
      log.add({ fault: f.kind, index, type: 'injected', atEpochMs: now, detail: '429' });
      return { type: 'rate_limit', retryAfterSeconds: f.retryAfterS };
    }
    log.add({
      fault: f.kind,
      index,
      type: 'injected',
      atEpochMs: now,
      detail: `stall after ${f.afterTokens} tokens`,
    });
    return { type: 'stall', afterTokens: f.afterTokens };
  });
}

/** Every synthesis inside an outage window fails (its share is 1). */
export function createTtsFaultHook(
  plan: FaultPlan,
  epochMs: number,
  clock: FaultClock,
  log: FaultLog,
): TtsFaultHook | undefined {
  const rules = windows<TtsOutageFault>(plan, ['tts-outage'], () => 1);
  if (rules.length === 0) return undefined;
  return windowHook(rules, epochMs, clock, log, ({ f, index }, now) => {
    log.add({ fault: 'tts-outage', index, type: 'injected', atEpochMs: now, detail: f.code });
    return { code: f.code, message: 'The service is currently unavailable.' };
  });
}
