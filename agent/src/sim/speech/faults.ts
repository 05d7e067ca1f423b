// Faults the Speech emulator injects on demand (tests, chaos runs): what each kind does, and the
// book that hands the pending ones to the next matching stream or Recognize call.
export type SpeechFault =
  /** The next `count` streams (default 1) fail with UNAVAILABLE as soon as they open. */
  | { readonly kind: 'unavailableAtOpen'; readonly count?: number; readonly callId?: string }
  /** The next streams fail with UNAVAILABLE `afterMs` after they open. */
  | {
      readonly kind: 'unavailableAfter';
      readonly afterMs: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams end with the stream-duration OUT_OF_RANGE after `seconds`. */
  | {
      readonly kind: 'outOfRangeAt';
      readonly seconds: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams stop answering `afterMs` after open for `durationMs` (responses due then are lost). */
  | {
      readonly kind: 'stall';
      readonly afterMs?: number;
      readonly durationMs: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams answer every response `extraMs` later. */
  | { readonly kind: 'slow'; readonly extraMs: number; readonly count?: number; readonly callId?: string }
  /** The next one-shot Recognize calls fail with UNAVAILABLE. */
  | { readonly kind: 'recognizeUnavailable'; readonly count?: number; readonly callId?: string }
  /** The next one-shot Recognize calls answer `extraMs` later. */
  | {
      readonly kind: 'recognizeSlow';
      readonly extraMs: number;
      readonly count?: number;
      readonly callId?: string;
    };

/** What the faults taken by one stream make it do. */
export interface StreamFaults {
  /** Fail at once with UNAVAILABLE. */
  unavailableAtOpen: boolean;
  unavailableAfterMs?: number;
  outOfRangeAtMs?: number;
  stall?: { afterMs: number; durationMs: number };
  extraMs: number;
}

/** What the faults taken by one Recognize call make it do. */
export interface RecognizeFaults {
  unavailable: boolean;
  extraMs: number;
}

const STREAM_KINDS: ReadonlyArray<SpeechFault['kind']> = [
  'unavailableAtOpen',
  'unavailableAfter',
  'outOfRangeAt',
  'stall',
  'slow',
];
const RECOGNIZE_KINDS: ReadonlyArray<SpeechFault['kind']> = ['recognizeUnavailable', 'recognizeSlow'];

/** Pending faults, each applied to its next `count` matching calls (at most one of a kind per call). */
export class FaultBook {
  private readonly pending: Array<SpeechFault & { remaining: number }> = [];
  /** Faults applied so far. */
  applied = 0;

  inject(fault: SpeechFault): void {
    this.pending.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clear(): void {
    this.pending.length = 0;
  }

  forStream(callId: string): StreamFaults {
    const sf: StreamFaults = { unavailableAtOpen: false, extraMs: 0 };
    for (const f of this.take(callId, STREAM_KINDS)) {
      if (f.kind === 'unavailableAtOpen') sf.unavailableAtOpen = true;
      if (f.kind === 'unavailableAfter') sf.unavailableAfterMs = f.afterMs;
      if (f.kind === 'outOfRangeAt') sf.outOfRangeAtMs = f.seconds * 1000;
      if (f.kind === 'stall') sf.stall = { afterMs: f.afterMs ?? 0, durationMs: f.durationMs };
      if (f.kind === 'slow') sf.extraMs = f.extraMs;
    }
    return sf;
  }

  forRecognize(callId: string): RecognizeFaults {
    const rf: RecognizeFaults = { unavailable: false, extraMs: 0 };
    for (const f of this.take(callId, RECOGNIZE_KINDS)) {
      if (f.kind === 'recognizeUnavailable') rf.unavailable = true;
      if (f.kind === 'recognizeSlow') rf.extraMs = f.extraMs;
    }
    return rf;
  }

  private take(callId: string, kinds: ReadonlyArray<SpeechFault['kind']>): SpeechFault[] {
    const taken: SpeechFault[] = [];
    for (let i = 0; i < this.pending.length; i++) {
      const f = this.pending[i]!;
      if (!kinds.includes(f.kind)) continue;
      if (f.callId !== undefined && f.callId !== callId) continue;
      if (taken.some((t) => t.kind === f.kind)) continue;
      taken.push(f);
      this.applied++;
      f.remaining--;
      if (f.remaining <= 0) this.pending.splice(i--, 1);
    }
    return taken;
  }
}
