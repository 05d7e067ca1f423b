// The emulator's own voice activity segmentation: mean absolute amplitude per 20 ms frame against
// a fixed threshold, a minimum speech run to start and a hangover of silence to end. Deliberately
// simple and cheap (one table lookup per mu-law byte); it only decides when "Google" hears speech.
import { MULAW_DECODE_TABLE } from '../../audio/mulaw.ts';

export type AudioEncodingName = 'MULAW' | 'LINEAR16';

export interface SegmenterOptions {
  /** Mean |sample| (PCM16 scale) above which a frame is voiced. */
  readonly threshold: number;
  /** Voiced run needed to start speech. */
  readonly minSpeechMs: number;
  /** Silence after the last voiced frame that ends speech (longer than pauses inside a sentence). */
  readonly hangoverMs: number;
}

export const DEFAULT_SEGMENTER: SegmenterOptions = { threshold: 100, minSpeechMs: 60, hangoverMs: 500 };

export type SegmentEvent =
  | { readonly type: 'start'; readonly atMs: number }
  /** atMs: end of the last voiced frame; decidedAtMs: where the hangover ran out. */
  | { readonly type: 'end'; readonly atMs: number; readonly decidedAtMs: number };

/** The segmenter hears audio in frames this long: speech starts and ends on their boundaries. */
export const FRAME_MS = 20;
const FRAME_SAMPLES = 160;
/** |sample| per mu-law byte: a frame's energy is a sum of table entries, no sign test per sample. */
const MULAW_MAGNITUDE = Uint16Array.from(MULAW_DECODE_TABLE, (v) => Math.abs(v));
const EMPTY = Buffer.alloc(0);

/** Streaming segmenter over 8 kHz audio; times are ms of audio since the first byte. */
export class EnergySegmenter {
  private readonly opts: SegmenterOptions;
  private readonly bytesPerSample: number;
  private readonly encoding: AudioEncodingName;
  private carry: Buffer = EMPTY;
  private frameIndex = 0;
  private voicedRun = 0;
  private runStartMs = 0;
  private inSpeech = false;
  private lastVoicedEndMs = 0;

  constructor(encoding: AudioEncodingName, opts: SegmenterOptions = DEFAULT_SEGMENTER) {
    this.encoding = encoding;
    this.bytesPerSample = encoding === 'MULAW' ? 1 : 2;
    this.opts = opts;
  }

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** End of the last voiced frame (ms of audio). */
  get lastVoicedMs(): number {
    return this.lastVoicedEndMs;
  }

  /** Audio consumed so far (ms), complete frames only. */
  get processedMs(): number {
    return this.frameIndex * FRAME_MS;
  }

  push(audio: Buffer): SegmentEvent[] {
    const frameBytes = FRAME_SAMPLES * this.bytesPerSample;
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, audio]) : audio;
    const events: SegmentEvent[] = [];
    let offset = 0;
    for (; offset + frameBytes <= data.length; offset += frameBytes) {
      const energy = this.frameEnergy(data, offset);
      const startMs = this.frameIndex * FRAME_MS;
      const endMs = startMs + FRAME_MS;
      this.frameIndex++;
      if (energy > this.opts.threshold) {
        if (this.voicedRun === 0) this.runStartMs = startMs;
        this.voicedRun += FRAME_MS;
        this.lastVoicedEndMs = endMs;
        if (!this.inSpeech && this.voicedRun >= this.opts.minSpeechMs) {
          this.inSpeech = true;
          events.push({ type: 'start', atMs: this.runStartMs });
        }
      } else {
        this.voicedRun = 0;
        if (this.inSpeech && endMs - this.lastVoicedEndMs >= this.opts.hangoverMs) {
          this.inSpeech = false;
          events.push({ type: 'end', atMs: this.lastVoicedEndMs, decidedAtMs: endMs });
        }
      }
    }
    this.carry = offset < data.length ? Buffer.from(data.subarray(offset)) : EMPTY;
    return events;
  }

  /** Ends speech in progress (the client half-closed). */
  flush(): SegmentEvent[] {
    if (!this.inSpeech) return [];
    this.inSpeech = false;
    return [{ type: 'end', atMs: this.lastVoicedEndMs, decidedAtMs: this.processedMs }];
  }

  private frameEnergy(data: Buffer, offset: number): number {
    let sum = 0;
    if (this.encoding === 'MULAW') {
      const magnitude = MULAW_MAGNITUDE;
      for (let i = 0; i < FRAME_SAMPLES; i++) sum += magnitude[data[offset + i]!]!;
    } else {
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        const v = data.readInt16LE(offset + i * 2);
        sum += v < 0 ? -v : v;
      }
    }
    return sum / FRAME_SAMPLES;
  }
}

/** Offline segmentation of a whole buffer (for one-shot Recognize): [startMs, endMs] spans. */
export function segmentAll(
  audio: Buffer,
  encoding: AudioEncodingName,
  opts: SegmenterOptions = DEFAULT_SEGMENTER,
): Array<[number, number]> {
  const seg = new EnergySegmenter(encoding, opts);
  const spans: Array<[number, number]> = [];
  let start: number | undefined;
  for (const ev of [...seg.push(audio), ...seg.flush()]) {
    if (ev.type === 'start') start = ev.atMs;
    else if (start !== undefined) {
      spans.push([start, ev.atMs]);
      start = undefined;
    }
  }
  return spans;
}
