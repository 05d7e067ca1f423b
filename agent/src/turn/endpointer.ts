// Endpointing: decides when the caller's utterance is over, exactly once per utterance. A pure
// state machine fed with VAD frames, STT partials/finals and clock ticks (one call clock, ms);
// no timers, no I/O. The session acts on its outputs.
//
// An utterance opens on VAD speech start (or on STT text the VAD missed). It ends on the first
// valid of:
//   sttFinal       a non-empty STT final (unless the caller is audibly still talking past it, or
//                  the transcript ends on a word that needs a continuation, e.g. Google's final
//                  inside a mid-sentence pause: then its text is kept and the utterance goes on;
//                  words the next final repeats are said once);
//   earlyFinal / settledPartial  a partial that ends a sentence, or an unpunctuated one that two
//                  responses agree on, read by end-of-turn.ts (completeness, stability);
//   silence        the VAD declared speech end (after its hangover) and the silence since the
//                  last voice (a voiced frame, or new words in a partial: the recognizer hears
//                  speech the VAD may lose in noise) is >= ENDPOINT_MIN_SILENCE_MS, after >= ENDPOINT_MIN_UTTERANCE_MS
//                  of voiced speech and >= ENDPOINT_MIN_BUFFER_MS of audio since the start
//                  (ENDPOINT_INCOMPLETE_SILENCE_MS when the transcript needs a continuation);
//   noVoiceTimeout STT_TIMEOUT_MS without voice after the VAD declared speech end (or after the
//                  last STT event when the VAD never heard this utterance), whatever its length.
// A turn needs text: when silence or the timeout fires before any text exists, the decision is
// held until the first partial or final (the turn then ends with that text) or, after
// noTextWaitMs more, the utterance is abandoned with no turn (counted).
// After a turn ends, the next final that belongs to it yields 'lateFinal' (record only).
import type { Config } from '../config/schema.ts';
import type { SttFinal, SttPartial } from '../stt/types.ts';
import { joinTranscriptPieces, transcriptCompleteness } from './completeness.ts';
import { requiredSilenceMs, transcriptEndRule, type EndOfTurnConfig } from './end-of-turn.ts';
import { endpointerAbandonedTotal, endpointerLateFinalsTotal } from './metrics.ts';
import type {
  Endpointer,
  EndpointerInput,
  EndpointerOutput,
  TurnEnd,
  TurnEndRule,
  VadFrame,
} from './types.ts';

export type EndpointerConfig = Pick<
  Config,
  | 'sttDebounceMs'
  | 'sttTimeoutMs'
  | 'vadHangoverMs'
  | 'endpointMinUtteranceMs'
  | 'endpointMinBufferMs'
  | 'llmPreemptiveSilenceMs'
> &
  EndOfTurnConfig & {
    /** With no text at all, how long a silence decision waits for STT text before giving up (default 2000). */
    readonly noTextWaitMs?: number;
    /** How long an ended turn keeps claiming STT output as its own (late final) (default 5000). */
    readonly lateFinalWindowMs?: number;
    /** A final does not end the turn when voice continued this long past its audio end (default 300). */
    readonly finalOverrunMs?: number;
    /** An early-final partial must cover the speech up to this close to the last voiced frame (default 400). */
    readonly earlyFinalCoverageSlackMs?: number;
    /**
     * An interim with new words counts as caller voice up to its audio time minus this (default
     * 250): it keeps the silence rule from ending a turn whose speech the VAD lost in noise.
     */
    readonly partialWordsLagMs?: number;
  };

interface Utterance {
  readonly id: number;
  readonly speechStartMs: number;
  /** The VAD's smoothed decision is currently "speech". */
  vadSpeech: boolean;
  /** The VAD heard voice in this utterance at all. */
  vadHeard: boolean;
  lastFrameVoiced: boolean;
  lastVoicedEndMs: number | undefined;
  voicedMs: number;
  /** VAD speech end (end of the last voiced frame) and when it was declared (after the hangover). */
  speechEndMs: number | undefined;
  speechEndDeclaredMs: number | undefined;
  /** Finals received while the caller kept talking; the transcript is these plus the live partial. */
  committed: string[];
  partial: SttPartial | undefined;
  /** The live partial repeats the previous response's text (its tail was not revised). */
  partialAgreed: boolean;
  firstPartialMs: number | undefined;
  lastSttAtMs: number | undefined;
  /** Audio time of the last partial that added words: the recognizer heard speech up to here. */
  lastWordsAudioMs: number | undefined;
  /** A silence/timeout decision waiting for text. */
  pendingRule: TurnEndRule | undefined;
  pendingSinceMs: number;
  /** Debounce: the partial waiting to be reported and the text (and agreement) last reported. */
  debounced: SttPartial | undefined;
  reportedText: string;
  /** callerPaused was emitted for the current stretch of silence. */
  pauseReported: boolean;
}

interface EndedUtterance {
  readonly id: number;
  readonly endedAtMs: number;
  readonly speechEndMs: number | undefined;
  awaitingFinal: boolean;
}

export function createEndpointer(config: EndpointerConfig): Endpointer {
  const noTextWaitMs = config.noTextWaitMs ?? 2000;
  const lateFinalWindowMs = config.lateFinalWindowMs ?? 5000;
  const finalOverrunMs = config.finalOverrunMs ?? 300;
  const coverageSlackMs = config.earlyFinalCoverageSlackMs ?? 400;
  const partialLagMs = config.partialWordsLagMs ?? 250;
  for (const [k, v] of Object.entries({
    sttDebounceMs: config.sttDebounceMs,
    sttTimeoutMs: config.sttTimeoutMs,
    endpointMinUtteranceMs: config.endpointMinUtteranceMs,
    endpointMinSilenceMs: config.endpointMinSilenceMs,
    endpointMinBufferMs: config.endpointMinBufferMs,
    sttEarlyFinalMinChars: config.sttEarlyFinalMinChars,
    sttEarlyFinalSilenceMs: config.sttEarlyFinalSilenceMs,
    sttSettledSilenceMs: config.sttSettledSilenceMs,
    endpointIncompleteSilenceMs: config.endpointIncompleteSilenceMs,
    llmPreemptiveSilenceMs: config.llmPreemptiveSilenceMs,
    noTextWaitMs,
  })) {
    if (!Number.isFinite(v) || v < 0)
      throw new RangeError(`endpointer: ${k} must be a non-negative number, got ${v}`);
  }

  let nextId = 1;
  let nowMs = 0;
  let current: Utterance | undefined;
  let ended: EndedUtterance | undefined;
  /** VAD smoothed state across utterances (a turn may end while the VAD is still in speech). */
  let vadInSpeech = false;
  /** A turn ended inside the VAD speech segment that is still going on (early final). */
  let endedInsideSegment = false;
  /** This call's recognizer punctuates sentence ends in its interims (learned from what it sent). */
  let punctuatingInterims = false;

  const open = (speechStartMs: number, out: EndpointerOutput[]): Utterance => {
    const u: Utterance = {
      id: nextId++,
      speechStartMs,
      vadSpeech: false,
      vadHeard: false,
      lastFrameVoiced: false,
      lastVoicedEndMs: undefined,
      voicedMs: 0,
      speechEndMs: undefined,
      speechEndDeclaredMs: undefined,
      committed: [],
      partial: undefined,
      partialAgreed: false,
      firstPartialMs: undefined,
      lastSttAtMs: undefined,
      lastWordsAudioMs: undefined,
      pendingRule: undefined,
      pendingSinceMs: 0,
      debounced: undefined,
      reportedText: '',
      pauseReported: false,
    };
    current = u;
    out.push({ type: 'speechStarted', utteranceId: u.id, atMs: speechStartMs });
    return u;
  };

  /** The finals kept so far and the live partial, words repeated across pieces said once. */
  const transcriptOf = (u: Utterance): string =>
    [...u.committed, u.partial?.text.trim() ?? ''].reduce(joinTranscriptPieces, '');

  const finish = (u: Utterance, rule: TurnEndRule, transcript: string, out: EndpointerOutput[]): void => {
    const turn: TurnEnd = {
      utteranceId: u.id,
      transcript,
      rule,
      speechStartMs: u.speechStartMs,
      speechEndMs: u.speechEndMs ?? (u.lastFrameVoiced ? undefined : u.lastVoicedEndMs),
      firstPartialMs: u.firstPartialMs,
      endedAtMs: nowMs,
      tailSettled: u.partial === undefined || u.partialAgreed,
    };
    out.push({ type: 'turnEnded', turn });
    ended = { id: u.id, endedAtMs: nowMs, speechEndMs: turn.speechEndMs, awaitingFinal: rule !== 'sttFinal' };
    endedInsideSegment = vadInSpeech;
    current = undefined;
  };

  /** Ends the utterance by a timing rule, or holds the decision until text exists. */
  const endOrHold = (u: Utterance, rule: TurnEndRule, out: EndpointerOutput[]): void => {
    const text = transcriptOf(u);
    if (text !== '') {
      finish(u, rule, text, out);
      return;
    }
    if (u.pendingRule === undefined) {
      u.pendingRule = rule;
      u.pendingSinceMs = nowMs;
    }
  };

  /**
   * Does STT output covering audio up to/from `audioTimeMs` belong to the turn that already
   * ended (awaiting its final)? Yes while no new utterance has opened; once one has, only if
   * it covers audio from before the new speech started.
   */
  const belongsToEnded = (audioTimeMs: number): boolean => {
    if (!ended?.awaitingFinal) return false;
    if (nowMs - ended.endedAtMs > lateFinalWindowMs) {
      ended.awaitingFinal = false;
      return false;
    }
    return current === undefined || audioTimeMs <= current.speechStartMs;
  };

  const onVad = (atMs: number, frame: VadFrame, frameMs: number, out: EndpointerOutput[]): void => {
    const frameEnd = atMs + frameMs;
    if (frame.event === 'speechStart') vadInSpeech = true;
    if (frame.event === 'speechEnd') {
      vadInSpeech = false;
      endedInsideSegment = false;
    }

    let u = current;
    if (!u) {
      if (frame.event === 'speechStart') u = open(frame.eventTimeMs ?? atMs, out);
      // The VAD is still in the speech segment of a turn that ended early: the caller went on.
      else if (frame.voiced && endedInsideSegment) u = open(atMs, out);
      else return;
      endedInsideSegment = false;
      u.vadHeard = true;
      u.vadSpeech = true;
      // Onset frames before the start event were voiced too.
      u.voicedMs = Math.max(frameMs, frameEnd - u.speechStartMs);
    } else if (frame.event === 'speechStart') {
      // The caller resumed before the turn ended: same utterance; forget the silence.
      u.vadHeard = true;
      u.vadSpeech = true;
      u.speechEndMs = undefined;
      u.speechEndDeclaredMs = undefined;
      u.pendingRule = undefined;
    } else if (frame.voiced) {
      u.voicedMs += frameMs;
    }
    u.lastFrameVoiced = frame.voiced;
    if (frame.voiced) {
      u.lastVoicedEndMs = frameEnd;
      u.vadHeard = true;
    }
    if (frame.event === 'speechEnd') {
      u.vadSpeech = false;
      u.speechEndMs = frame.eventTimeMs ?? u.lastVoicedEndMs ?? atMs;
      u.speechEndDeclaredMs = frameEnd;
    }
    if (frame.voiced) u.pauseReported = false;
  };

  const onPartial = (p: SttPartial, out: EndpointerOutput[]): void => {
    if (belongsToEnded(p.audioTimeMs)) return; // trailing interim of the answered turn
    const text = p.text.trim();
    if (text === '') return;
    const u = current ?? open(Math.min(p.audioTimeMs, p.receivedAtMs), out);
    const previous = u.partial?.text.trim() ?? '';
    if (text !== previous) {
      // The words were spoken somewhat before the audio time the interim covers.
      u.lastWordsAudioMs = (p.audioTimeMs > 0 ? p.audioTimeMs : p.receivedAtMs) - partialLagMs;
    }
    u.partialAgreed = text === previous;
    if (!punctuatingInterims && transcriptCompleteness(text) === 'complete') punctuatingInterims = true;
    u.partial = p;
    u.firstPartialMs ??= p.receivedAtMs;
    u.lastSttAtMs = p.receivedAtMs;
    u.debounced = p;
    if (u.pendingRule !== undefined) finish(u, u.pendingRule, transcriptOf(u), out);
  };

  const onFinal = (f: SttFinal, out: EndpointerOutput[]): void => {
    const text = f.text.trim();
    if (belongsToEnded(f.audioStartMs) && ended) {
      ended.awaitingFinal = false;
      endpointerLateFinalsTotal.inc();
      out.push({ type: 'lateFinal', utteranceId: ended.id, text, atMs: f.receivedAtMs });
      return;
    }
    if (text === '') {
      if (current) current.lastSttAtMs = f.receivedAtMs;
      return;
    }
    const u = current ?? open(f.audioStartMs, out);
    u.lastSttAtMs = f.receivedAtMs;
    const stillTalking =
      u.vadSpeech &&
      u.lastFrameVoiced &&
      u.lastVoicedEndMs !== undefined &&
      u.lastVoicedEndMs > f.audioEndMs + finalOverrunMs;
    const transcript = [...u.committed, text].reduce(joinTranscriptPieces, '');
    if (stillTalking || transcriptCompleteness(transcript) === 'incomplete') {
      // Google closed a segment mid-utterance (the caller talks on, or paused mid-sentence):
      // answering now would cut the caller off. The silence rules decide, with this text.
      u.committed.push(text);
      u.partial = undefined;
      u.partialAgreed = false;
      u.debounced = undefined;
      return;
    }
    u.partial = undefined;
    finish(u, 'sttFinal', transcript, out);
  };

  /** The caller has been silent long enough to guess the answer on the latest transcript. */
  const reportPause = (u: Utterance, transcript: string, out: EndpointerOutput[]): void => {
    if (u.pauseReported || u.lastFrameVoiced || u.lastVoicedEndMs === undefined || transcript === '') return;
    if (nowMs - u.lastVoicedEndMs < config.llmPreemptiveSilenceMs) return;
    u.pauseReported = true;
    const stability = u.partial?.stability ?? 0;
    out.push({ type: 'callerPaused', utteranceId: u.id, text: transcript, stability, atMs: nowMs });
  };

  const evaluate = (out: EndpointerOutput[]): void => {
    const u = current;
    if (!u) return;
    if (u.pendingRule !== undefined) {
      if (nowMs - u.pendingSinceMs >= noTextWaitMs) {
        // Voice (or noise) with no words at all: no turn.
        endpointerAbandonedTotal.inc();
        current = undefined;
      }
      return;
    }
    if (u.debounced && nowMs - u.debounced.receivedAtMs >= config.sttDebounceMs) {
      const p = u.debounced;
      u.debounced = undefined;
      const text = transcriptOf(u);
      const key = u.partialAgreed ? `${text}\u0000agreed` : text;
      if (key !== u.reportedText) {
        u.reportedText = key;
        out.push({
          type: 'partial',
          utteranceId: u.id,
          text,
          stability: p.stability,
          agreed: u.partialAgreed,
          atMs: nowMs,
        });
      }
    }
    const transcript = transcriptOf(u);
    reportPause(u, transcript, out);
    const early = transcriptEndRule(
      { ...u, transcript, punctuatingInterims },
      config,
      nowMs,
      coverageSlackMs,
    );
    if (early !== undefined) {
      finish(u, early, transcript, out);
      return;
    }
    if (u.vadSpeech) return;
    // Voiced frames after the VAD's speech end (too few to restart "speech", e.g. the quiet
    // start of the next word) and new words from the recognizer (speech the VAD lost in noise)
    // both mean the caller is not silent.
    const heardUntil = Math.max(u.lastVoicedEndMs ?? 0, u.lastWordsAudioMs ?? 0);
    const silentSince = u.speechEndMs === undefined ? undefined : Math.max(u.speechEndMs, heardUntil);
    if (
      silentSince !== undefined &&
      nowMs - silentSince >=
        requiredSilenceMs(
          transcript,
          config,
          punctuatingInterims,
          u.partial === undefined || u.partialAgreed,
        ) &&
      u.voicedMs >= config.endpointMinUtteranceMs &&
      nowMs - u.speechStartMs >= config.endpointMinBufferMs
    ) {
      endOrHold(u, 'silence', out);
      return;
    }
    const quietSince = u.vadHeard
      ? u.speechEndDeclaredMs === undefined
        ? undefined
        : Math.max(u.speechEndDeclaredMs, heardUntil + config.vadHangoverMs)
      : u.lastSttAtMs;
    // A transcript that needs a continuation waits as long as the silence rule would.
    const needed = requiredSilenceMs(
      transcript,
      config,
      punctuatingInterims,
      u.partial === undefined || u.partialAgreed,
    );
    const timeoutMs =
      needed > config.endpointMinSilenceMs ? Math.max(config.sttTimeoutMs, needed) : config.sttTimeoutMs;
    if (quietSince !== undefined && nowMs - quietSince >= timeoutMs) endOrHold(u, 'noVoiceTimeout', out);
  };

  const handle = (input: EndpointerInput): EndpointerOutput[] => {
    const out: EndpointerOutput[] = [];
    switch (input.type) {
      case 'vad':
        nowMs = Math.max(nowMs, input.atMs + input.frameMs);
        onVad(input.atMs, input.frame, input.frameMs, out);
        break;
      case 'partial':
        nowMs = Math.max(nowMs, input.partial.receivedAtMs);
        onPartial(input.partial, out);
        break;
      case 'final':
        nowMs = Math.max(nowMs, input.final.receivedAtMs);
        onFinal(input.final, out);
        break;
      case 'tick':
        nowMs = Math.max(nowMs, input.atMs);
        break;
      default:
        throw new TypeError(`endpointer: unknown input ${JSON.stringify(input)}`);
    }
    evaluate(out);
    return out;
  };

  const reset = (): void => {
    current = undefined;
    ended = undefined;
    vadInSpeech = false;
    endedInsideSegment = false;
    punctuatingInterims = false;
    nowMs = 0;
  };

  return { handle, reset };
}
