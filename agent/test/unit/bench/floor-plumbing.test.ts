import { describe, expect, it } from 'vitest';
import {
  AudioBatcher,
  FloorCounts,
  OUTBOUND_MEDIA_BYTES,
  SentenceSplitter,
  mediaMessages,
  metricsText,
} from '../../../bench/floor/plumbing.ts';
import { parseMetrics, sumOf, valueOf } from '../../../bench/capacity/prom.ts';
import { encodeMedia } from '../../../src/twilio/protocol.ts';

const frame = (fill: number, bytes = 160): Buffer => Buffer.alloc(bytes, fill);

describe('floor AudioBatcher', () => {
  it('hands over one batch per batchMs of frames with the decoded bytes in order', () => {
    const b = new AudioBatcher(80);
    const got: Buffer[] = [];
    for (let i = 0; i < 8; i++) {
      const out = b.push(frame(i));
      if (out) got.push(Buffer.from(out));
    }
    expect(got).toHaveLength(2);
    expect(got[0]).toEqual(Buffer.concat([0, 1, 2, 3].map((i) => frame(i))));
    expect(got[1]).toEqual(Buffer.concat([4, 5, 6, 7].map((i) => frame(i))));
  });

  it('never reuses a batch it handed over (the gRPC stream may still hold it)', () => {
    const b = new AudioBatcher(20);
    const first = b.push(frame(1))!;
    b.push(frame(2));
    expect(first).toEqual(frame(1));
  });

  it('spills a payload larger than the room left into the next batch', () => {
    const b = new AudioBatcher(40);
    expect(b.push(frame(1))).toBeUndefined();
    const full = b.push(frame(2, 320))!;
    expect(full).toEqual(Buffer.concat([frame(1), frame(2)]));
    const next = b.push(frame(3))!;
    expect(next).toEqual(Buffer.concat([frame(2), frame(3)]));
  });
});

describe('floor SentenceSplitter', () => {
  it('returns each sentence once it has ended, the rest at flush', () => {
    const s = new SentenceSplitter();
    expect(s.push('שלום')).toEqual([]);
    expect(s.push(', מה שלומך? אני ')).toEqual(['שלום, מה שלומך?']);
    expect(s.push('כאן לעזור. תודה! ועוד')).toEqual(['אני כאן לעזור.', 'תודה!']);
    expect(s.flush()).toBe('ועוד');
    expect(s.flush()).toBeUndefined();
  });

  it('keeps numbers and abbreviations without a space after the dot in one sentence', () => {
    const s = new SentenceSplitter();
    expect(s.push('המחיר 3.5 שקלים.')).toEqual([]);
    expect(s.flush()).toBe('המחיר 3.5 שקלים.');
  });
});

describe('floor media messages', () => {
  it('cuts audio into Twilio media messages the real agent would send', () => {
    const audio = Buffer.alloc(OUTBOUND_MEDIA_BYTES * 2 + 10, 0x7f);
    const msgs = mediaMessages('MZ1', audio);
    expect(msgs).toEqual([
      encodeMedia('MZ1', audio.subarray(0, 1600)),
      encodeMedia('MZ1', audio.subarray(1600, 3200)),
      encodeMedia('MZ1', audio.subarray(3200)),
    ]);
  });
});

describe('floor metrics', () => {
  it('publishes the counters under the names the capacity harness reads', () => {
    const c = new FloorCounts();
    c.framesIn = 500;
    c.mediaOut = 7;
    c.clears = 2;
    c.sttWrites = 125;
    const samples = parseMetrics(
      metricsText(c, { p50Seconds: 0.011, p99Seconds: 0.03, maxSeconds: 0.2 }, 1234),
    );
    expect(sumOf(samples, 'hva_frames_in_total')).toBe(500);
    expect(sumOf(samples, 'hva_frames_out_total')).toBe(7);
    expect(sumOf(samples, 'hva_barge_ins_total')).toBe(2);
    expect(sumOf(samples, 'hva_floor_stt_writes_total')).toBe(125);
    expect(valueOf(samples, 'hva_event_loop_lag_seconds', { quantile: '0.99' })).toBe(0.03);
    expect(valueOf(samples, 'hva_process_nodejs_heap_size_used_bytes')).toBe(1234);
  });
});
