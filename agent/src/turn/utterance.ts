// The open utterance as the endpointer tracks it, and the pure pieces of its bookkeeping: what
// a VAD frame changes, its transcript, and the timing rules (silence, no-voice timeout). No
// timers, no I/O: `nowMs` is always given.
import type { SttPartial } from '../stt/types.ts';
import { joinTranscriptPieces } from './completeness.ts';
import type { EndpointerTuning } from './endpointer-config.ts';
import { reachesSpeechEnd, requiredSilenceMs, wordsConfirmed } from './end-of-turn.ts';
import { mergeResumedTranscript } from './take-back.ts';
import type { TurnEndRule, VadFrame } from './types.ts';

export interface Utterance {
  readonly id: number;
  speechStartMs: number;
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
  /**
   * The transcript two consecutive responses last agreed on, since the caller's last voiced
   * frame: what the recognizer had heard of a caller who has said nothing since.
   */
  lastAgreedText: string | undefined;
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
  /** The turn(s) this utterance continues (taken back when the caller resumed before any answer). */
  resumed: ResumedTurn | undefined;
  /** transcriptOf's last answer and what it was made from (internal to transcriptOf). */
  transcriptMemo: TranscriptMemo | undefined;
}

/** transcriptOf's last answer, with what it was made from (`committed` only grows). */
interface TranscriptMemo {
  readonly committed: readonly string[];
  readonly committedLength: number;
  readonly partial: SttPartial | undefined;
  readonly resumed: string | undefined;
  readonly text: string;
}

/** What a taken-back turn hands to the utterance that continues it. */
export interface ResumedTurn {
  /** The first withdrawn turn's utterance and its speech start (the merged turn starts there). */
  readonly fromId: number;
  readonly speechStartMs: number;
  readonly firstPartialMs: number | undefined;
  /** The latest withdrawn turn (its late final still belongs to it). */
  readonly lastId: number;
  readonly resumptions: number;
  /** The withdrawn turns' words (replaced by the late final when it comes). */
  transcript: string;
}

export function newUtterance(id: number, speechStartMs: number): Utterance {
  return {
    id,
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
    lastAgreedText: undefined,
    firstPartialMs: undefined,
    lastSttAtMs: undefined,
    lastWordsAudioMs: undefined,
    pendingRule: undefined,
    pendingSinceMs: 0,
    debounced: undefined,
    reportedText: '',
    pauseReported: false,
    resumed: undefined,
    transcriptMemo: undefined,
  };
}

/**
 * The finals kept so far and the live partial, words repeated across pieces said once; after a
 * take-back, continuing the withdrawn turn's words.
 */
export function transcriptOf(u: Utterance): string {
  // The endpointer asks on every 20 ms frame and tick; the pieces change a few times a second.
  // Kept on the utterance itself (a field read, where a WeakMap lookup hashed per call).
  const memo = u.transcriptMemo;
  const resumed = u.resumed?.transcript;
  if (
    memo !== undefined &&
    memo.committed === u.committed &&
    memo.committedLength === u.committed.length &&
    memo.partial === u.partial &&
    memo.resumed === resumed
  )
    return memo.text;
  const own = [...u.committed, u.partial?.text.trim() ?? ''].reduce(joinTranscriptPieces, '');
  const text = resumed !== undefined ? mergeResumedTranscript(resumed, own) : own;
  u.transcriptMemo = {
    committed: u.committed,
    committedLength: u.committed.length,
    partial: u.partial,
    resumed,
    text,
  };
  return text;
}

/** What one VAD frame tells about an utterance that is open (or was just opened by it). */
export function applyVadFrame(u: Utterance, atMs: number, frame: VadFrame, frameMs: number): void {
  const frameEnd = atMs + frameMs;
  u.lastFrameVoiced = frame.voiced;
  if (frame.voiced) {
    u.lastVoicedEndMs = frameEnd;
    u.vadHeard = true;
    u.pauseReported = false;
    u.lastAgreedText = undefined;
  }
  if (frame.event === 'speechEnd') {
    u.vadSpeech = false;
    u.speechEndMs = frame.eventTimeMs ?? u.lastVoicedEndMs ?? atMs;
    u.speechEndDeclaredMs = frameEnd;
  }
}

/** The caller spoke again inside the utterance: forget the silence that was being measured. */
export function resumeSpeech(u: Utterance): void {
  u.vadHeard = true;
  u.vadSpeech = true;
  u.speechEndMs = undefined;
  u.speechEndDeclaredMs = undefined;
  u.pendingRule = undefined;
}

/**
 * The timing rules, once no transcript rule ended the utterance: 'silence' after the VAD's speech
 * end plus the silence the transcript needs, 'noVoiceTimeout' when nothing was heard for
 * STT_TIMEOUT_MS (or longer for a transcript that needs a continuation).
 */
export function timingRule(
  u: Utterance,
  transcript: string,
  t: EndpointerTuning,
  nowMs: number,
  punctuatingInterims: boolean,
  pitchHold = false,
  tailSettled = u.partial === undefined || u.partialAgreed,
): Extract<TurnEndRule, 'silence' | 'noVoiceTimeout'> | undefined {
  if (u.vadSpeech) return undefined;
  // Voiced frames after the VAD's speech end (too few to restart "speech", e.g. the quiet
  // start of the next word) and new words from the recognizer (speech the VAD lost in noise)
  // both mean the caller is not silent.
  const heardUntil = Math.max(u.lastVoicedEndMs ?? 0, u.lastWordsAudioMs ?? 0);
  const needed = requiredSilenceMs(transcript, t.config, punctuatingInterims, tailSettled, pitchHold);
  const silentSince = u.speechEndMs === undefined ? undefined : Math.max(u.speechEndMs, heardUntil);
  if (
    silentSince !== undefined &&
    nowMs - silentSince >= needed &&
    u.voicedMs >= t.config.endpointMinUtteranceMs &&
    nowMs - u.speechStartMs >= t.config.endpointMinBufferMs
  )
    return 'silence';
  const quietSince = u.vadHeard
    ? u.speechEndDeclaredMs === undefined
      ? undefined
      : Math.max(u.speechEndDeclaredMs, heardUntil + t.config.vadHangoverMs)
    : u.lastSttAtMs;
  // A transcript that needs a continuation waits as long as the silence rule would.
  const minSilence = t.config.endpointMinSilenceMs;
  const timeoutMs = needed > minSilence ? Math.max(t.config.sttTimeoutMs, needed) : t.config.sttTimeoutMs;
  if (quietSince !== undefined && nowMs - quietSince >= timeoutMs) return 'noVoiceTimeout';
  return undefined;
}

/**
 * The latest interim reaches the caller's last voiced frame (within the slack), or the caller
 * is still speaking, or the recognizer reports no audio times, or the wait for such an interim
 * is over. Google's interims trail the audio: at the stop they often lack the last word, and
 * their result end says so.
 */
export function coversSpeech(u: Utterance, nowMs: number, t: EndpointerTuning): boolean {
  if (!u.partial || u.lastFrameVoiced || u.lastVoicedEndMs === undefined) return true;
  return (
    reachesSpeechEnd(u.partial, u.lastVoicedEndMs, t.coverageSlackMs) ||
    nowMs - u.lastVoicedEndMs >= t.coverageWaitMs
  );
}

/** Whether the words of `u`'s live interim are confirmed now (end-of-turn.ts wordsConfirmed). */
export function wordsConfirmedNow(u: Utterance, nowMs: number, t: EndpointerTuning): boolean {
  return wordsConfirmed(u.partial, u.partialAgreed, t.config.sttEarlyFinalMinStability, {
    quietMs: nowMs - (u.lastSttAtMs ?? nowMs),
    settleMs: t.config.sttInterimSettleMs,
  });
}

/**
 * The words a turn would be answered on are confirmed (end-of-turn.ts wordsConfirmed: finals
 * only, two responses agreeing, a reported stable result, or no revision for
 * STT_INTERIM_SETTLE_MS), or the wait for that is over (confirmWaitMs after the caller's last
 * voice). Until then no rule decides the turn; the preemptive guess runs on the unconfirmed words
 * meanwhile.
 */
export function wordsSettled(u: Utterance, nowMs: number, t: EndpointerTuning): boolean {
  return (
    wordsConfirmedNow(u, nowMs, t) || nowMs - (u.lastVoicedEndMs ?? u.lastSttAtMs ?? nowMs) >= t.confirmWaitMs
  );
}
