// Where a simulated call is in its script: one 20 ms frame at a time, the frame to send next (a
// clip's audio, silence while waiting for the agent) or the end of the call. The caller's turns
// and the agent's talk it waits on are in the ledger (turn-ledger.ts).
import type { CallEvent } from './call-types.ts';
import { clipFrames, FRAME_BYTES, FRAME_MS, SILENCE_FRAME } from './frames.ts';
import type { CallStep, PlayStep } from './script.ts';
import type { TurnLedger } from './turn-ledger.ts';

export { FRAME_BYTES, FRAME_MS, SILENCE_FRAME } from './frames.ts';

export interface ScriptHost {
  emit(event: CallEvent): void;
  sendDtmf(digit: string): void;
}

export class ScriptCursor {
  dtmfSent = 0;
  waitTimeouts = 0;
  private step = 0;
  private stepOffset = 0;
  private stepStartedMs = 0;
  private stepStarted = false;

  private readonly script: readonly CallStep[];
  private readonly ledger: TurnLedger;
  private readonly host: ScriptHost;

  constructor(script: readonly CallStep[], ledger: TurnLedger, host: ScriptHost) {
    this.script = script;
    this.ledger = ledger;
    this.host = host;
  }

  /** Advances the script by one frame (number `frame`, sent at `atMs`): the frame to send, or the end of the call. */
  next(atMs: number, frame: number): Buffer | 'stop' | 'drop' {
    for (;;) {
      const s = this.script[this.step];
      if (!s) return 'stop';
      if (!this.stepStarted) {
        this.stepStarted = true;
        this.stepOffset = 0;
        this.stepStartedMs = atMs;
      }
      switch (s.kind) {
        case 'play': {
          const out = this.playFrame(s, atMs, frame);
          if (out) return out;
          continue;
        }
        case 'silence': {
          const frames = Math.ceil(s.ms / FRAME_MS);
          if (this.stepOffset >= frames) {
            this.advance();
            continue;
          }
          this.stepOffset++;
          if (this.stepOffset >= frames) this.advance();
          return SILENCE_FRAME;
        }
        case 'dtmf':
          this.host.sendDtmf(s.digit);
          this.dtmfSent++;
          this.host.emit({ type: 'dtmf', atMs, digit: s.digit });
          this.advance();
          continue;
        case 'waitForAgent': {
          const done = this.ledger.talk.waitDone(s.until ?? 'end', {
            waitStartMs: this.stepStartedMs,
            replyFromMs: this.ledger.replyFromMs,
            atMs,
            quietMs: s.quietMs ?? 700,
            frameMs: FRAME_MS,
          });
          if (done) {
            this.ledger.noteAnswerWait('heard');
            this.advance();
            continue;
          }
          if (atMs - this.stepStartedMs >= (s.timeoutMs ?? 15_000)) {
            this.waitTimeouts++;
            this.ledger.noteAnswerWait('timed-out');
            this.host.emit({ type: 'wait-timeout', atMs });
            this.advance();
            continue;
          }
          return SILENCE_FRAME;
        }
        case 'stop':
          return 'stop';
        case 'drop':
          return 'drop';
      }
    }
  }

  /** The next frame of a clip (a turn starts with its first frame, ends with its last); undefined for an empty clip. */
  private playFrame(s: PlayStep, atMs: number, frame: number): Buffer | undefined {
    const audio = s.audio;
    const off = this.stepOffset;
    const label = s.label ?? `play#${this.step + 1}`;
    if (off === 0) {
      if (audio.length === 0) {
        this.advance();
        return undefined;
      }
      const turn = this.ledger.startTurn(label, frame * FRAME_MS, audio);
      this.host.emit({ type: 'speech-start', atMs, turn, label });
    }
    const end = Math.min(off + FRAME_BYTES, audio.length);
    // The clip's frames are cut once and shared by every call playing it (frames.ts).
    const out = clipFrames(audio)[off / FRAME_BYTES]!;
    this.stepOffset = end;
    if (end >= audio.length) {
      const ended = this.ledger.endTurn(frame * FRAME_MS + (end - off) / 8);
      this.host.emit({ type: 'speech-end', atMs, turn: ended.turn, label });
      if (ended.early) this.host.emit({ type: 'agent-audio', atMs, ...ended.early });
      this.advance();
    }
    return out;
  }

  private advance(): void {
    this.step++;
    this.stepStarted = false;
  }
}
