// Keeps a connection to the model open while the caller speaks, so the turn's request (often
// started 0.1-0.2 s after the caller stops) does not pay TCP + TLS set-up first. Against a
// remote API a fresh connection is 2-3 round trips before the model even starts; between turns
// an idle connection outlives neither a client's nor a server's keep-alive (Node: 4-5 s).
// The responder decides what a warm-up is (llm/openai.ts: a GET of the model's description).
import type { Responder } from '../llm/types.ts';
import type { OwnedTimers, TimerHandle } from './clock.ts';

export interface LlmWarmthDeps {
  readonly responder: Responder;
  readonly timers: OwnedTimers;
  /** LLM_WARM_INTERVAL_MS: again this often while the caller goes on; 0 = off. */
  readonly intervalMs: number;
  /** The caller is still speaking (the local VAD is inside an utterance). */
  readonly callerSpeaking: () => boolean;
}

export class LlmWarmth {
  private readonly deps: LlmWarmthDeps;
  private timer: TimerHandle | undefined;

  constructor(deps: LlmWarmthDeps) {
    this.deps = deps;
  }

  /** The caller began an utterance: warm now, and again every interval until it ends. */
  speechStarted(): void {
    const { responder, intervalMs } = this.deps;
    if (intervalMs <= 0 || responder.warm === undefined) return;
    this.warm();
  }

  private warm(): void {
    const { responder, timers, intervalMs, callerSpeaking } = this.deps;
    void responder.warm?.();
    timers.clear(this.timer);
    this.timer = timers.set(() => {
      this.timer = undefined;
      if (callerSpeaking()) this.warm();
    }, intervalMs);
  }

  stop(): void {
    this.deps.timers.clear(this.timer);
    this.timer = undefined;
  }
}
