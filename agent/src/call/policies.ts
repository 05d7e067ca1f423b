// The call policies callers expect, on the call's clock: re-prompt a silent caller and end the
// call after too many unanswered re-prompts (SilenceWatch), send keys pressed on the phone to
// the model as one caller message (DtmfCollector). The maximum call duration is one timer in
// the session. What is said and how the call ends is the session's (session.ts).
import type { Config } from '../config/schema.ts';
import { DTMF_PREFIX } from '../llm/history.ts';
import type { TurnEnd } from '../turn/types.ts';
import type { OwnedTimers, TimerHandle } from './clock.ts';

export interface SilenceWatchEvents {
  /** The caller was silent long enough: say the re-prompt (n = 1, 2, ...). */
  reprompt(n: number): void;
  /** Silent again after the last allowed re-prompt: close the call. */
  giveUp(): void;
}

/**
 * Counts caller silence while the agent waits for them. idle() when the agent finished speaking
 * and nobody talks; busy() when anyone starts (the caller's speech or keys, the agent's speech);
 * heard() when the caller gave an answer, so the re-prompts start over.
 */
export class SilenceWatch {
  private readonly timers: OwnedTimers;
  private readonly afterMs: number;
  private readonly maxReprompts: number;
  private readonly events: SilenceWatchEvents;
  private timer: TimerHandle | undefined;
  private reprompts = 0;
  private stopped = false;

  constructor(
    timers: OwnedTimers,
    config: Pick<Config, 'silenceRepromptSeconds' | 'silenceMaxReprompts'>,
    events: SilenceWatchEvents,
  ) {
    this.timers = timers;
    this.afterMs = config.silenceRepromptSeconds * 1000;
    this.maxReprompts = config.silenceMaxReprompts;
    this.events = events;
  }

  idle(): void {
    this.busy();
    if (this.stopped || this.afterMs <= 0) return;
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      if (this.reprompts < this.maxReprompts) this.events.reprompt(++this.reprompts);
      else this.events.giveUp();
    }, this.afterMs);
  }
  busy(): void {
    this.timers.clear(this.timer);
    this.timer = undefined;
  }
  heard(): void {
    this.reprompts = 0;
  }
  /** The call is closing: no more re-prompts. */
  stop(): void {
    this.stopped = true;
    this.busy();
  }
  get repromptsInARow(): number {
    return this.reprompts;
  }
}

/**
 * Keys pressed on the phone, collected until the finish key or until no key follows for the
 * inter-digit timeout; then complete(digits) once. With a 0 timeout and no finish key the keys
 * stay pending until the session takes them with the next spoken turn.
 */
export class DtmfCollector {
  private readonly timers: OwnedTimers;
  private readonly interDigitMs: number;
  private readonly finishKey: string;
  private readonly complete: (digits: string, firstAtMs: number) => void;
  private digits = '';
  private firstAtMs = 0;
  private timer: TimerHandle | undefined;

  constructor(
    timers: OwnedTimers,
    config: Pick<Config, 'dtmfInterDigitTimeoutMs' | 'dtmfFinishKey'>,
    complete: (digits: string, firstAtMs: number) => void,
  ) {
    this.timers = timers;
    this.interDigitMs = config.dtmfInterDigitTimeoutMs;
    this.finishKey = config.dtmfFinishKey;
    this.complete = complete;
  }

  press(digit: string, atMs: number): void {
    const key = digit.replace(/[^0-9*#A-D]/g, '');
    if (key === '') return;
    if (this.digits === '') this.firstAtMs = atMs;
    this.digits += key;
    this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.finishKey !== '' && key === this.finishKey) return this.flush();
    if (this.interDigitMs > 0) this.timer = this.timers.set(() => this.flush(), this.interDigitMs);
  }
  /** The keys pressed and not yet sent (they go with a spoken turn instead). */
  takePending(): string {
    const digits = this.digits;
    this.digits = '';
    this.timers.clear(this.timer);
    this.timer = undefined;
    return digits;
  }
  private flush(): void {
    const firstAtMs = this.firstAtMs;
    const digits = this.takePending();
    if (digits !== '') this.complete(digits, firstAtMs);
  }
}

/** What the policies ask of the session. */
export interface PolicyHost {
  /** Say a re-prompt to a silent caller. */
  reprompt(text: string, n: number): void;
  /** Say the closing sentence, then end the call. */
  close(text: string, reason: 'max_duration' | 'silence'): void;
  /** Keys pressed on the phone, complete: answer them as a caller turn. */
  dtmfTurn(turn: TurnEnd, digits: string): void;
}

/** The three policies of one call, configured from the VoiceAgent (config schema defaults). */
export class CallPolicies {
  readonly silence: SilenceWatch;
  readonly dtmf: DtmfCollector;

  constructor(timers: OwnedTimers, config: Config, host: PolicyHost) {
    this.silence = new SilenceWatch(timers, config, {
      reprompt: (n) => host.reprompt(config.silenceRepromptText, n),
      giveUp: () => host.close(config.silenceClosingText, 'silence'),
    });
    let dtmfTurns = 0;
    this.dtmf = new DtmfCollector(timers, config, (digits, firstAtMs) =>
      host.dtmfTurn(dtmfTurnEnd(--dtmfTurns, digits, firstAtMs, timers.now()), digits),
    );
    if (config.callMaxDurationSeconds > 0)
      timers.set(
        () => host.close(config.callClosingText, 'max_duration'),
        config.callMaxDurationSeconds * 1000,
      );
  }
}

/** Keys as a caller turn: a negative utterance id (apart from the endpointer's), rule 'dtmf'. */
export function dtmfTurnEnd(utteranceId: number, digits: string, firstAtMs: number, nowMs: number): TurnEnd {
  return {
    utteranceId,
    transcript: `${DTMF_PREFIX} ${digits}`,
    rule: 'dtmf',
    speechStartMs: firstAtMs,
    speechEndMs: undefined,
    firstPartialMs: undefined,
    endedAtMs: nowMs,
    tailSettled: true,
  };
}
