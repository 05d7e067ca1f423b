// The caller's side of a simulated call's turns: each played clip is a turn, and the agent audio,
// marks and answer waits that follow it are credited to it. Pure: times (ms since the call's
// start) are passed in; the call (call.ts) emits the events.
import { AgentTalk } from './agent-talk.ts';
import type { TurnTiming } from './call-types.ts';

/** Bytes per ms of 8 kHz mu-law. */
const BYTES_PER_MS = 8;

/** True when every byte is a mu-law zero code (0xFF or 0x7F). */
export function isDigitalSilence(mulaw: Uint8Array): boolean {
  for (let i = 0; i < mulaw.length; i++) {
    if ((mulaw[i]! | 0x80) !== 0xff) return false;
  }
  return true;
}

/**
 * Where the voice of a played clip ends, in bytes: after the last sample louder than a quiet room
 * (mu-law magnitude code above 0x1f, about -40 dBFS). Fixture WAVs carry trailing silence; an
 * agent may start its answer inside it.
 */
export function voicedEndByte(mulaw: Uint8Array): number {
  for (let i = mulaw.length - 1; i >= 0; i--) {
    if ((~mulaw[i]! & 0x7f) > 0x1f) return i + 1;
  }
  return 0;
}

interface MutableTurn {
  index: number;
  label: string;
  speechStartMs: number;
  speechEndMs: number;
  agentAudioReceivedMs?: number;
  agentAudioStartMs?: number;
  latencyMs?: number;
  marksPlayed?: string[];
  firstMarkPlayedMs?: number;
  marksCleared?: string[];
  answerWait?: 'heard' | 'timed-out';
}

/** An answer credited to a turn: the call emits it as an 'agent-audio' event. */
export interface CreditedAnswer {
  readonly turn: number;
  readonly playStartMs: number;
}

export class TurnLedger {
  /** When the caller hears the agent talking (shared with the call's waitForAgent steps). */
  readonly talk = new AgentTalk();
  private readonly turns: MutableTurn[] = [];
  /** Where the voice of the clip being played (or last played) ends on the call clock. */
  private voicedEndMs = -Infinity;

  /** Only audio begun at or after this answers the latest clip. */
  get replyFromMs(): number {
    return this.voicedEndMs;
  }

  /** A clip starts playing at `startMs`; returns its turn index. */
  startTurn(label: string, startMs: number, audio: Uint8Array): number {
    const index = this.turns.length;
    this.turns.push({ index, label, speechStartMs: startMs, speechEndMs: NaN });
    this.voicedEndMs = startMs + voicedEndByte(audio) / BYTES_PER_MS;
    return index;
  }

  /**
   * The clip's last byte left at `endMs`. An answer that began in the clip's trailing silence
   * (after the caller's voice ended, before the file did) is this turn's answer: its gap is
   * negative. Without this the first audio after the file's end, somewhere inside that answer, was
   * taken for its start.
   */
  endTurn(endMs: number): { readonly turn: number; readonly early?: CreditedAnswer } {
    const turn = this.turns[this.turns.length - 1]!;
    turn.speechEndMs = endMs;
    const { talk } = this;
    if (turn.agentAudioReceivedMs !== undefined || talk.runStart < this.voicedEndMs || talk.silentSoFar) {
      return { turn: turn.index };
    }
    this.credit(turn, talk.runReceivedMs, talk.runStart);
    return { turn: turn.index, early: { turn: turn.index, playStartMs: talk.runStart } };
  }

  /**
   * Audible agent audio arrived at `atMs`, playing over [startMs, endMs). Only audio begun after
   * the caller's voice ended answers the turn: the rest of an answer the caller talked over (sent
   * before the agent noticed the barge-in, or ignored it) is not a reply.
   */
  onAudible(atMs: number, startMs: number, endMs: number): CreditedAnswer | undefined {
    this.talk.onAudible(atMs, startMs, endMs);
    const turn = this.turns[this.turns.length - 1];
    if (!turn || !Number.isFinite(turn.speechEndMs) || turn.agentAudioReceivedMs !== undefined)
      return undefined;
    if (this.talk.runStart < this.voicedEndMs) return undefined;
    this.credit(turn, atMs, startMs);
    return { turn: turn.index, playStartMs: startMs };
  }

  onClear(atMs: number): void {
    this.talk.onClear(atMs);
  }

  /** The latest clip's answer wait ended (the first wait after it counts). */
  noteAnswerWait(how: 'heard' | 'timed-out'): void {
    const turn = this.turns[this.turns.length - 1];
    if (turn && Number.isFinite(turn.speechEndMs)) turn.answerWait ??= how;
  }

  /** A mark echoed as played: part of the reply to the latest clip, if it has ended. */
  onMarkPlayed(name: string, atMs: number): void {
    const turn = this.turns[this.turns.length - 1];
    if (turn && Number.isFinite(turn.speechEndMs)) {
      (turn.marksPlayed ??= []).push(name);
      turn.firstMarkPlayedMs ??= atMs;
    }
  }

  /** A mark echoed as cleared: a reply cut by the caller's next clip replied to the last one finished. */
  onMarkCleared(name: string): void {
    const turn = this.turns.findLast((t) => Number.isFinite(t.speechEndMs));
    if (turn) (turn.marksCleared ??= []).push(name);
  }

  snapshot(): TurnTiming[] {
    return this.turns.map((t) => ({
      ...t,
      ...(t.marksPlayed ? { marksPlayed: [...t.marksPlayed] } : {}),
      ...(t.marksCleared ? { marksCleared: [...t.marksCleared] } : {}),
    }));
  }

  private credit(turn: MutableTurn, receivedMs: number, startMs: number): void {
    turn.agentAudioReceivedMs = receivedMs;
    turn.agentAudioStartMs = startMs;
    turn.latencyMs = startMs - turn.speechEndMs;
  }
}
