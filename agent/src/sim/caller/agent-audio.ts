// Twilio's side of the agent's audio in a simulated call: media queued on the playout buffer
// (playout.ts), marks echoed once the audio before them has played, `clear` dropping what has not
// played and echoing every pending mark; each arrival is timed (echo-timing.ts) and credited to
// the caller's turns (turn-ledger.ts).
import type { CallEvent, CallResult } from './call-types.ts';
import type { EchoTiming } from './echo-timing.ts';
import { PlayoutBuffer } from './playout.ts';
import type { RecordingCapture } from './recording.ts';
import type { ScheduledTask } from './scheduler.ts';
import { isDigitalSilence, type TurnLedger } from './turn-ledger.ts';

export interface AgentAudioHost {
  /** The call clock: ms since `start`. */
  now(): number;
  /** Runs `fn` at call-clock time `atMs`. */
  at(atMs: number, fn: () => void): ScheduledTask;
  emit(event: CallEvent): void;
  /** Sends a mark echo back to the agent. */
  echoMark(name: string): void;
}

export class AgentAudio {
  private readonly playout = new PlayoutBuffer();
  private markTimer: ScheduledTask | undefined;
  private readonly counts = {
    mediaMessages: 0,
    bytes: 0,
    discardedMs: 0,
    clears: 0,
    marksReceived: 0,
    marksPlayed: 0,
    marksCleared: 0,
  };
  private readonly host: AgentAudioHost;
  private readonly ledger: TurnLedger;
  private readonly echo: EchoTiming;
  private readonly capture: RecordingCapture | undefined;

  constructor(
    host: AgentAudioHost,
    ledger: TurnLedger,
    echo: EchoTiming,
    capture: RecordingCapture | undefined,
  ) {
    this.host = host;
    this.ledger = ledger;
    this.echo = echo;
    this.capture = capture;
  }

  onMedia(atMs: number, payload: Buffer): void {
    this.counts.mediaMessages++;
    this.counts.bytes += payload.length;
    this.echo.onEcho(atMs, payload.length);
    const { startMs, endMs } = this.playout.enqueueAudio(atMs, payload.length);
    this.capture?.addAgent(startMs, payload);
    // Digital silence (an agent that streams continuously) is played but is not "the agent talking".
    if (isDigitalSilence(payload)) return;
    const answer = this.ledger.onAudible(atMs, startMs, endMs);
    if (answer) this.host.emit({ type: 'agent-audio', atMs, ...answer });
  }

  onMark(atMs: number, name: string): void {
    this.counts.marksReceived++;
    this.host.emit({ type: 'mark', atMs, name });
    if (this.playout.addMark(atMs, name)) this.echoMark(name, 'played', atMs);
    else this.armMarkTimer();
  }

  onClear(atMs: number): void {
    this.counts.clears++;
    const { echoed, discardedMs } = this.playout.clear(atMs);
    this.ledger.onClear(atMs);
    this.counts.discardedMs += discardedMs;
    this.capture?.truncateAgent(atMs);
    this.stop();
    this.host.emit({ type: 'clear', atMs, discardedMs });
    for (const name of echoed) this.echoMark(name, 'cleared', atMs);
  }

  /** No more mark echoes (the call ended, or a clear echoed them all). */
  stop(): void {
    this.markTimer?.cancel();
    this.markTimer = undefined;
  }

  /** The result's `agent` section. */
  summary(): CallResult['agent'] {
    return { ...this.counts, playedMs: this.counts.bytes / 8 - this.counts.discardedMs };
  }

  get mediaMessages(): number {
    return this.counts.mediaMessages;
  }

  get bytes(): number {
    return this.counts.bytes;
  }

  private armMarkTimer(): void {
    if (this.markTimer) return;
    const due = this.playout.nextMarkDueMs();
    if (due === undefined) return;
    this.markTimer = this.host.at(due, () => {
      this.markTimer = undefined;
      const atMs = this.host.now();
      for (const name of this.playout.takeDueMarks(atMs)) this.echoMark(name, 'played', atMs);
      this.armMarkTimer();
    });
  }

  private echoMark(name: string, outcome: 'played' | 'cleared', atMs: number): void {
    if (outcome === 'played') {
      this.counts.marksPlayed++;
      this.ledger.onMarkPlayed(name, atMs);
    } else {
      this.counts.marksCleared++;
      this.ledger.onMarkCleared(name);
    }
    this.host.echoMark(name);
    this.host.emit({ type: 'mark-echo', atMs, name, outcome });
  }
}
