// Preemptive generation: start the model on a stable partial or early final, before the turn is
// confirmed, and keep that answer only if the confirmed transcript says the same thing. The
// decision (normalise + compare) is pure; PreemptiveGeneration does the buffering and aborting.
import { stabilityAccepts } from '../stt/results.ts';
import { transcriptCompleteness } from '../turn/completeness.ts';
import type { ChatMessage, Responder } from './types.ts';
import { abortQuietly } from './abort.ts';
import { llmPreemptive, llmPreemptiveSaved } from './metrics.ts';
import { normalizeHebrew, preemptiveMatches } from '../text/compare.ts';

// The comparison itself is Hebrew text logic (text/compare.ts); re-exported for existing callers.
export { normalizeHebrew, preemptiveMatches };

/**
 * Whether a partial transcript reads like a finished utterance: it ends a sentence (. ? ! …),
 * and that last "sentence" is not a dangling word or an abbreviation's dot (turn/completeness.ts).
 */
export function looksComplete(text: string): boolean {
  return transcriptCompleteness(text) === 'complete';
}

/** Words at the end of an interim that the recognizer may still revise (Google: a 1-2 word tail). */
export const UNSTABLE_TAIL_WORDS = 2;

/**
 * What to answer when the turn is decided on an interim whose tail nobody confirmed (only past the
 * endpointer's confirmation wait: turn/utterance.ts wordsSettled). When the
 * running guess differs from it only inside the unstable tail (same words before it, the same
 * number of words or one more), neither text is better evidence than the other: the guess is kept, so its request is a hit instead of a coin-flip miss. A guess
 * with fewer words is not: Google's interims trail the audio, and a guess started at the stop
 * often lacks the last word, which the confirmed transcript has heard. Otherwise, and whenever
 * the tail is settled, the confirmed transcript decides.
 */
export function answerText(candidate: string | undefined, confirmed: string, tailSettled: boolean): string {
  if (tailSettled || candidate === undefined) return confirmed;
  const a = candidate.trim().split(/\s+/).map(normalizeHebrew);
  const b = confirmed.trim().split(/\s+/).map(normalizeHebrew);
  const head = Math.min(a.length, b.length) - UNSTABLE_TAIL_WORDS;
  if (head < 1 || a.length < b.length || a.length - b.length > 1) return confirmed;
  for (let i = 0; i < head; i++) if (a[i] !== b[i]) return confirmed;
  return candidate.trim();
}

/** Preemptive requests per utterance (the first start plus restarts); bounds tokens spent on guesses. */
export const PREEMPTIVE_MAX_STARTS = 3;

export interface PreemptiveTriggerInput {
  /** The debounced (unchanged for STT_DEBOUNCE_MS) partial transcript of the utterance. */
  readonly text: string;
  /** Recognizer stability of the partial; 0 when the recognizer does not report one. */
  readonly stability: number;
  /** The local VAD hears no caller speech right now (a pause or the end of the utterance). */
  readonly callerSilent: boolean;
  /**
   * The local VAD just said the caller stopped. Whenever the caller is silent the latest
   * transcript is used stable or not (Google's tail stays at 0.01 until the final; waiting for
   * it is the cost being avoided).
   */
  readonly vadStop?: boolean;
  /** Two consecutive recognizer responses said this text (Google revises unstable tails). */
  readonly agreed?: boolean;
  /**
   * The endpointer reported the caller's pause (a vadStop) for this silence, and the caller has
   * not been heard going on since. False: a silent caller's partial starts nothing yet. Unset: not
   * known (no gate).
   */
  readonly pauseReported?: boolean;
  /** The running preemptive request for this utterance, if any. */
  readonly current?: { readonly candidate: string; readonly starts: number };
}

export interface PreemptiveTriggerOptions {
  /** Minimum stability of a partial that reports one (STT_EARLY_FINAL_MIN_STABILITY). */
  readonly minStability: number;
  readonly maxStarts?: number;
  /** Minimum normalised characters of a candidate. Default 2. */
  readonly minChars?: number;
}

export type PreemptiveTrigger =
  | { readonly action: 'start' | 'restart'; readonly reason: 'sentence_end' | 'caller_silent' }
  | {
      readonly action: 'none';
      readonly reason:
        'too_short' | 'unstable' | 'incomplete' | 'unchanged' | 'unreported' | 'unagreed' | 'max_starts';
    };

/**
 * When to start (or restart) the model on a partial. A partial qualifies when it is stable (the
 * session only sees debounced partials; a reported stability must reach the minimum, unset is
 * accepted: stabilityAccepts) AND looks complete: it ends a sentence, or the caller has stopped
 * talking and the text does not end on a word that needs a continuation. At the VAD's stop the
 * latest transcript qualifies whatever its stability. Growing mid-sentence prefixes therefore
 * start nothing; a later qualifying partial that says something else restarts the
 * request, at most `maxStarts` requests per utterance, so guesses cannot spend tokens unbounded.
 * The confirmed transcript still decides (preemptiveMatches): a stale guess is a miss, never a
 * wrong answer.
 */
export function decidePreemptiveStart(
  input: PreemptiveTriggerInput,
  options: PreemptiveTriggerOptions,
): PreemptiveTrigger {
  const normalized = normalizeHebrew(input.text);
  if (normalized.length < (options.minChars ?? 2)) return { action: 'none', reason: 'too_short' };
  // Once the caller is silent no more words are coming to settle the tail: the latest text is the guess.
  const silent = input.callerSilent || input.vadStop === true;
  if (!silent && !stabilityAccepts(input.stability, options.minStability))
    return { action: 'none', reason: 'unstable' };
  const completeness = transcriptCompleteness(input.text);
  const reason =
    completeness === 'complete'
      ? 'sentence_end'
      : silent && completeness === 'open'
        ? 'caller_silent'
        : undefined;
  if (reason === undefined) return { action: 'none', reason: 'incomplete' };
  const current = input.current;
  // A silent caller's guess waits for the endpointer's pause report (vadStop): it holds that back
  // for the pitch reading, the words reaching the speech end and the longer silence of a
  // mid-sentence pause. A partial that comes before it is most often the recognizer catching up
  // inside a pause the caller goes on from: a request wasted (issue 9, pause sets).
  if (reason === 'caller_silent' && !input.vadStop && input.pauseReported === false)
    return { action: 'none', reason: 'unreported' };
  if (!current) return { action: 'start', reason };
  if (normalizeHebrew(current.candidate) === normalized) return { action: 'none', reason: 'unchanged' };
  // A silent caller adds no words: a different text is the recognizer revising its tail (Google
  // replaces or drops a guessed last word in its next interim, and may revise it again). The guess
  // follows a revision only once two responses agree on it: restarting on every revision was
  // measured at 0.2-0.35 more requests per turn and no faster answer (docs/bench/turn.md, issue 9).
  // (A new stop after more speech is not a revision.)
  const revised = reason === 'caller_silent' && !input.vadStop && !input.agreed;
  if (revised) return { action: 'none', reason: 'unagreed' };
  if (current.starts >= (options.maxStarts ?? PREEMPTIVE_MAX_STARTS))
    return { action: 'none', reason: 'max_starts' };
  return { action: 'restart', reason };
}

export type PreemptiveResult = 'hit' | 'miss' | 'cancelled' | 'failed';

export interface PreemptiveOutcome {
  readonly result: 'hit' | 'miss';
  /** The answer stream to play: the preemptive one (hit) or a fresh request (miss). */
  readonly stream: AsyncIterable<string>;
  /** Head start gained on a hit (ms); 0 on a miss. */
  readonly savedMs: number;
}

/** What a watcher of a running guess sees: its text deltas as they arrive, then its end. */
export type PreemptiveEvent =
  { readonly type: 'delta'; readonly text: string } | { readonly type: 'end'; readonly ok: boolean };

export interface PreemptiveStartOptions {
  readonly callId: string;
  /** The transcript guessed as final (stable partial / early final). */
  readonly candidate: string;
  /** Prompt including the candidate as the latest user message. */
  readonly messages: readonly ChatMessage[];
  /** The turn's signal (barge-in / call end); aborting it aborts the preemptive request. */
  readonly signal: AbortSignal;
}

/**
 * One preemptive request. Deltas are buffered until confirm(); on a hit they are replayed and
 * the live stream continues; on a miss the request is aborted and a new one started.
 */
export class PreemptiveGeneration {
  readonly candidate: string;
  private readonly responder: Responder;
  private readonly callId: string;
  private readonly controller = new AbortController();
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly buffered: string[] = [];
  private readonly watchers = new Set<(event: PreemptiveEvent) => void>();
  /** When the first delta arrived (the model's first token, whether or not the turn was decided). */
  private firstDeltaAt: number | undefined;
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private settled = false;
  private abandoned = false;
  private readonly detach: () => void;

  constructor(
    responder: Responder,
    options: PreemptiveStartOptions,
    now: () => number = () => performance.now(),
  ) {
    this.responder = responder;
    this.candidate = options.candidate;
    this.callId = options.callId;
    this.now = now;
    this.startedAt = now();
    const onAbort = (): void => abortQuietly(this.controller);
    options.signal.addEventListener('abort', onAbort, { once: true });
    this.detach = () => options.signal.removeEventListener('abort', onAbort);
    if (options.signal.aborted) abortQuietly(this.controller);
    void this.pump(options.messages);
  }

  private async pump(messages: readonly ChatMessage[]): Promise<void> {
    try {
      for await (const delta of this.responder.respond({
        callId: this.callId,
        messages,
        signal: this.controller.signal,
      })) {
        this.firstDeltaAt ??= this.now();
        this.buffered.push(delta);
        this.notify();
        for (const watch of this.watchers) watch({ type: 'delta', text: delta });
      }
    } catch (e) {
      this.error = e;
    } finally {
      this.done = true;
      this.notify();
      const ok = this.error === undefined && !this.controller.signal.aborted;
      for (const watch of this.watchers) watch({ type: 'end', ok });
      this.watchers.clear();
    }
  }

  /** Arrival of the first delta on the clock given at construction; undefined before it. */
  get firstDeltaAtMs(): number | undefined {
    return this.firstDeltaAt;
  }

  /**
   * Follows the guess as it is generated (speculative synthesis): the deltas received so far at
   * once, then each new one, then its end. Returns the function that stops watching.
   */
  watch(listener: (event: PreemptiveEvent) => void): () => void {
    for (const text of this.buffered) listener({ type: 'delta', text });
    if (this.done) {
      listener({ type: 'end', ok: this.error === undefined && !this.controller.signal.aborted });
      return () => undefined;
    }
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** Text received so far (for logs/tests). */
  get bufferedText(): string {
    return this.buffered.join('');
  }

  /**
   * The turn is confirmed with `confirmed`. Hit: keep this request. Miss: abort it and start
   * `fresh()` (a normal request with the confirmed transcript in the history).
   */
  confirm(confirmed: string, fresh: () => AsyncIterable<string>): PreemptiveOutcome {
    if (this.settled) throw new Error('PreemptiveGeneration already settled');
    this.settled = true;
    if (this.abandoned) return { result: 'miss', stream: fresh(), savedMs: 0 };
    if (preemptiveMatches(this.candidate, confirmed) && !(this.done && this.error !== undefined)) {
      const savedMs = Math.max(0, this.now() - this.startedAt);
      llmPreemptive.inc({ result: 'hit' });
      llmPreemptiveSaved.observe(savedMs / 1000);
      return { result: 'hit', stream: this.replay(), savedMs };
    }
    // A failed preemptive request is retried as a normal one rather than surfacing its error.
    llmPreemptive.inc({ result: this.done && this.error !== undefined ? 'failed' : 'miss' });
    this.abortRequest();
    return { result: 'miss', stream: fresh(), savedMs: 0 };
  }

  /** The turn was abandoned (caller kept talking, call ended). */
  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.abandoned) llmPreemptive.inc({ result: 'cancelled' });
    this.abortRequest();
  }

  /**
   * The caller went on past the guess: its request is stopped now (no more tokens billed), and a
   * later confirm() answers afresh whatever the transcript says.
   */
  abandon(): void {
    if (this.settled || this.abandoned) return;
    this.abandoned = true;
    llmPreemptive.inc({ result: 'cancelled' });
    this.abortRequest();
  }

  private abortRequest(): void {
    abortQuietly(this.controller);
    this.detach();
  }

  private async *replay(): AsyncIterable<string> {
    let i = 0;
    try {
      for (;;) {
        if (this.controller.signal.aborted) return;
        if (i < this.buffered.length) {
          yield this.buffered[i++]!;
          continue;
        }
        if (this.done) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      // Consumer stopped early or finished: nothing more to bill.
      this.abortRequest();
    }
  }
}
