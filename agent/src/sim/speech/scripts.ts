// The per-call script the emulator reads its words from (x-hva-call-id metadata): lines are taken
// in order, and an utterance placed on the call clock keeps its line when it is heard again (a
// replayed buffer after a reconnect, or one-shot and streaming hearing the same audio).

/** Used for calls without a registered script. */
export const DEFAULT_SCRIPT: readonly string[] = [
  'שלום, אני רוצה לבדוק את ההזמנה שלי.',
  'מה שעות הפתיחה שלכם?',
  'כן, בבקשה.',
  'תודה רבה.',
  'אני צריך עזרה עם החשבון.',
  'להתראות.',
];

/** Speech starting within this distance of a known utterance is the same utterance replayed. */
const REPLAY_MATCH_MS = 400;
const PLACED_KEPT = 200;

interface CallScript {
  lines: readonly string[];
  next: number;
  /** Utterances placed on the call clock (streams that send x-hva-stream-base-ms) and their line. */
  placed: Array<{ startMs: number; line: string }>;
}

export class ScriptBook {
  private readonly scripts = new Map<string, CallScript>();
  private readonly defaultScript: readonly string[];

  constructor(defaultScript: readonly string[] = DEFAULT_SCRIPT) {
    this.defaultScript = defaultScript;
  }

  set(callId: string, lines: readonly string[]): void {
    this.scripts.set(callId, { lines: [...lines], next: 0, placed: [] });
  }

  /** Lines used so far for a call. */
  used(callId: string): number {
    return this.scripts.get(callId)?.next ?? 0;
  }

  /** The next unused line, not taken. */
  peek(callId: string): string {
    const s = this.scriptFor(callId);
    return s.lines.length === 0 ? '' : s.lines[s.next % s.lines.length]!;
  }

  take(callId: string): string {
    const s = this.scriptFor(callId);
    const line = s.lines.length === 0 ? '' : s.lines[s.next % s.lines.length]!;
    s.next++;
    return line;
  }

  /** The line for an utterance that starts at call time `startMs`: the same line if it was heard before. */
  lineAt(callId: string, startMs: number): string {
    const s = this.scriptFor(callId);
    const known = s.placed.find((p) => Math.abs(p.startMs - startMs) <= REPLAY_MATCH_MS);
    if (known) return known.line;
    const line = this.take(callId);
    s.placed.push({ startMs, line });
    if (s.placed.length > PLACED_KEPT) s.placed.shift();
    return line;
  }

  private scriptFor(callId: string): CallScript {
    let s = this.scripts.get(callId);
    if (!s) {
      s = { lines: this.defaultScript, next: 0, placed: [] };
      this.scripts.set(callId, s);
    }
    return s;
  }
}
