// Builds the call recording: the agent's audio placed on the call timeline where the playout
// model says it played (silence elsewhere, cleared audio cut off), optionally with the caller's
// side as a second channel or mixed in. Pure over the captured segments.
import { decodeMulaw } from '../../audio/mulaw.ts';
import { MULAW_BYTES_PER_MS } from './playout.ts';

/** 'agent': mono agent only; 'stereo': left caller, right agent; 'mix': both summed to mono. */
export type RecordingMode = 'agent' | 'stereo' | 'mix';

export interface Recording {
  readonly sampleRate: 8000;
  readonly channels: 1 | 2;
  /** PCM16, interleaved when stereo. */
  readonly samples: Int16Array;
}

interface Segment {
  startMs: number;
  audio: Uint8Array;
}

export class RecordingCapture {
  private readonly agent: Segment[] = [];
  private readonly caller: { frame: number; audio: Uint8Array }[] = [];

  /** Agent audio that starts playing at startMs (call clock). */
  addAgent(startMs: number, audio: Uint8Array): void {
    this.agent.push({ startMs, audio });
  }

  /** Caller frame number `frame` (20 ms each from the stream start). */
  addCaller(frame: number, audio: Uint8Array): void {
    this.caller.push({ frame, audio });
  }

  /** Cuts agent audio that had not played by atMs (a clear). */
  truncateAgent(atMs: number): void {
    while (this.agent.length > 0) {
      const last = this.agent[this.agent.length - 1]!;
      if (last.startMs >= atMs) {
        this.agent.pop();
        continue;
      }
      const keep = Math.floor((atMs - last.startMs) * MULAW_BYTES_PER_MS);
      if (keep < last.audio.length) last.audio = last.audio.subarray(0, keep);
      break;
    }
  }

  render(mode: RecordingMode, durationMs: number): Recording {
    let length = Math.ceil(durationMs * MULAW_BYTES_PER_MS);
    for (const s of this.agent)
      length = Math.max(length, Math.round(s.startMs * MULAW_BYTES_PER_MS) + s.audio.length);
    for (const c of this.caller) length = Math.max(length, c.frame * 160 + c.audio.length);
    const agent = new Int16Array(length);
    for (const s of this.agent) agent.set(decodeMulaw(s.audio), Math.round(s.startMs * MULAW_BYTES_PER_MS));
    if (mode === 'agent') return { sampleRate: 8000, channels: 1, samples: agent };
    const caller = new Int16Array(length);
    for (const c of this.caller) caller.set(decodeMulaw(c.audio), c.frame * 160);
    if (mode === 'mix') {
      const out = new Int16Array(length);
      for (let i = 0; i < length; i++) {
        const v = agent[i]! + caller[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      return { sampleRate: 8000, channels: 1, samples: out };
    }
    const out = new Int16Array(length * 2);
    for (let i = 0; i < length; i++) {
      out[2 * i] = caller[i]!;
      out[2 * i + 1] = agent[i]!;
    }
    return { sampleRate: 8000, channels: 2, samples: out };
  }
}
