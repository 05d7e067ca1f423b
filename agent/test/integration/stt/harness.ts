// Shared helpers for the STT integration tests: fixture audio as mu-law, a paced feeder, and a
// listener that records everything one call's recognition reports.
import { readFileSync } from 'node:fs';
import { encodeMulaw } from '../../../src/audio/mulaw.ts';
import type {
  SttError,
  SttFinal,
  SttListener,
  SttPartial,
  SttState,
  SttStream,
} from '../../../src/stt/types.ts';

const FIXTURES = new URL('../../fixtures/audio/', import.meta.url);

export const TRANSCRIPTS: Record<string, string> = Object.fromEntries(
  readFileSync(new URL('transcripts.tsv', FIXTURES), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t') as [string, string]),
);

/** A fixture WAV (8 kHz PCM16, 44-byte header) as mu-law. */
export function fixtureMulaw(name: string): Buffer {
  const wav = readFileSync(new URL(`${name}.wav`, FIXTURES));
  const body = wav.subarray(44);
  const pcm = new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  return encodeMulaw(pcm);
}

export interface CallAudio {
  readonly mulaw: Buffer;
  /** [startMs, endMs] of each clip on the call clock. */
  readonly spans: ReadonlyArray<readonly [number, number]>;
  readonly lines: readonly string[];
}

/** Clips separated by `gapMs` of silence, with leading and trailing silence. */
export function callAudio(names: readonly string[], gapMs = 1000, leadMs = 300): CallAudio {
  const parts: Buffer[] = [Buffer.alloc(leadMs * 8, 0xff)];
  const spans: Array<[number, number]> = [];
  let t = leadMs;
  for (const n of names) {
    const clip = fixtureMulaw(n);
    spans.push([t, t + clip.length / 8]);
    parts.push(clip, Buffer.alloc(gapMs * 8, 0xff));
    t += clip.length / 8 + gapMs;
  }
  return { mulaw: Buffer.concat(parts), spans, lines: names.map((n) => TRANSCRIPTS[n]!) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Writes audio in 80 ms chunks at real-time pace (drift-corrected), calling markUtterance for
 * each span once its end (plus `markDelayMs`, like a local VAD's hangover) has been written.
 */
export async function feed(
  stream: SttStream,
  audio: CallAudio,
  opts: { mark?: boolean; markDelayMs?: number; startMs?: number } = {},
): Promise<void> {
  const chunk = 640;
  const t0 = performance.now();
  const base = opts.startMs ?? 0;
  const pendingMarks = opts.mark ? [...audio.spans] : [];
  for (let off = 0; off < audio.mulaw.length; off += chunk) {
    const audioTimeMs = base + off / 8;
    stream.write({ mulaw: audio.mulaw.subarray(off, off + chunk), audioTimeMs });
    const written = base + (off + chunk) / 8;
    while (pendingMarks.length > 0 && written >= pendingMarks[0]![1] + (opts.markDelayMs ?? 300)) {
      const [s, e] = pendingMarks.shift()!;
      stream.markUtterance?.(base + s, base + e);
    }
    const due = t0 + (off + chunk) / 8;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/**
 * Watches this thread's event loop for stalls: the longest stretch of work between two turns of
 * a short timer, counted in the thread's CPU time. A synchronous stretch shows up whole however
 * loaded the machine is, while time the OS gave other processes (which monitorEventLoopDelay
 * counts as delay) does not. stop() returns that longest stretch in ms.
 */
export function watchLoopBusy(intervalMs = 10): { stop(): number } {
  const cpuUs = (): number => {
    const u = process.threadCpuUsage();
    return u.user + u.system;
  };
  let last = cpuUs();
  let maxUs = 0;
  const turn = (): void => {
    const now = cpuUs();
    maxUs = Math.max(maxUs, now - last);
    last = now;
  };
  const timer = setInterval(turn, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      turn();
      return maxUs / 1000;
    },
  };
}

export interface Recorded {
  readonly finals: SttFinal[];
  readonly partials: SttPartial[];
  readonly states: Array<{ state: SttState; reason: string }>;
  readonly errors: SttError[];
  readonly listener: SttListener;
  waitForFinals(n: number, timeoutMs?: number): Promise<void>;
  waitForState(state: SttState, timeoutMs?: number): Promise<void>;
}

export function record(): Recorded {
  const finals: SttFinal[] = [];
  const partials: SttPartial[] = [];
  const states: Array<{ state: SttState; reason: string }> = [];
  const errors: SttError[] = [];
  const waitFor = async (cond: () => boolean, what: string, timeoutMs: number): Promise<void> => {
    const end = performance.now() + timeoutMs;
    while (!cond()) {
      if (performance.now() > end)
        throw new Error(
          `timed out waiting for ${what}; finals=${JSON.stringify(finals.map((f) => f.text))} states=${JSON.stringify(states)}`,
        );
      await sleep(20);
    }
  };
  return {
    finals,
    partials,
    states,
    errors,
    listener: {
      onPartial: (p) => partials.push(p),
      onFinal: (f) => finals.push(f),
      onState: (s) => states.push({ state: s.state, reason: s.reason }),
      onError: (e) => errors.push(e),
    },
    waitForFinals: (n, timeoutMs = 8000) => waitFor(() => finals.length >= n, `${n} finals`, timeoutMs),
    waitForState: (state, timeoutMs = 8000) =>
      waitFor(() => states.some((s) => s.state === state), `state ${state}`, timeoutMs),
  };
}
