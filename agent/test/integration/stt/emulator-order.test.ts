// What the Speech emulator answers, seen through the real client and the resilient wrapper:
// interims are growing prefixes of the line the final will carry (also across rotations and
// replays), and a stream answers in audio order even when the drawn latencies would reorder it.
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { BUILTIN_PROFILE } from '../../../src/sim/speech/profile.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { FRAME_MS as VAD_FRAME_MS, segmentAll } from '../../../src/sim/speech/vad.ts';
import { createRawGoogleProvider, createSttProvider } from '../../../src/stt/index.ts';
import type { StreamingStt } from '../../../src/stt/types.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { callAudio, feed, fixtureMulaw, record, TRANSCRIPTS } from './harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function emulator(opts: Parameters<typeof startSpeechEmulator>[0]): Promise<SpeechEmulator> {
  const e = await startSpeechEmulator(opts);
  cleanups.push(() => e.close());
  return e;
}

function provider(e: SpeechEmulator, rotationSeconds = 290): StreamingStt {
  const p = createSttProvider(
    defaultConfig({ sttEndpoint: e.address, maxCalls: 4, sttRotationSeconds: rotationSeconds }),
  );
  cleanups.push(async () => p.close?.());
  return p;
}

/**
 * Index of the clip a result at call time `t` belongs to: the last clip starting at or before
 * `t`, its start taken down to the emulator's VAD frame (agent/src/sim/speech/vad.ts). The
 * emulator hears 20 ms frames, so an utterance starts where the frame holding its first voiced
 * sample starts, up to a frame before the clip (clips are not whole frames long), and an
 * interim heard before a word's worth of the utterance is stamped at that start.
 */
function clipAt(spans: ReadonlyArray<readonly [number, number]>, t: number): number {
  let i = -1;
  for (let k = 0; k < spans.length; k++)
    if (Math.floor(spans[k]![0] / VAD_FRAME_MS) * VAD_FRAME_MS <= t) i = k;
  return i;
}

describe('speech emulator answers', () => {
  it('interims are growing prefixes of the line their final carries, across rotations', async () => {
    const e = await emulator({ latencyScale: 0.5, seed: 11 });
    // Rotation at 5 s (the minimum) over ~17 s: streams rotate and replay mid-call.
    const audio = callAudio(['hello', 'question', 'thanks', 'address', 'short'], 1000);
    // Whatever the timing, an utterance the emulator hears starts where its own VAD says, and
    // that start must count as its clip's (two of these clips start 1 and 17 ms into a frame).
    const starts = segmentAll(audio.mulaw, 'MULAW').map(([startMs]) => clipAt(audio.spans, startMs));
    expect(starts).toEqual(audio.spans.map((_, i) => i));
    const callId = 'interim-prefix';
    e.setScript(callId, audio.lines);
    const rec = record();
    const t0 = performance.now();
    const stream = provider(e, 5).open(
      { callId, logger: silentLogger, now: () => performance.now() - t0 },
      rec.listener,
    );
    await feed(stream, audio, { mark: true });
    await rec.waitForFinals(audio.lines.length, 10_000);
    await stream.close();

    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.partials.length).toBeGreaterThan(5);
    const wrong = rec.partials
      .map((p) => ({ p, i: clipAt(audio.spans, p.audioTimeMs) }))
      .filter(({ p, i }) => i < 0 || !audio.lines[i]!.startsWith(p.text))
      .map(({ p, i }) => `${Math.round(p.audioTimeMs)} ms: ${JSON.stringify(p.text)} vs ${audio.lines[i]}`);
    expect(wrong).toEqual([]);
    // Each utterance's interims grow (more words as more audio was heard) until its final.
    let prev = { i: -1, words: 0 };
    for (const p of rec.partials) {
      const i = clipAt(audio.spans, p.audioTimeMs);
      const words = p.text.split(' ').length;
      if (i === prev.i) expect(words).toBeGreaterThanOrEqual(prev.words);
      prev = { i, words };
    }
  });

  it('a stream answers in audio order even when later utterances draw shorter latencies', async () => {
    // A very wide final latency, and all audio at once (like a replayed buffer): every final is
    // scheduled at the same moment with its own random delay.
    const e = await emulator({
      seed: 3,
      profile: {
        ...BUILTIN_PROFILE,
        finalAfterSpeechEndMs: { p50: 700, p95: 2500 },
        firstPartialAfterSpeechStartMs: { p50: 50, p95: 100 },
      },
    });
    const audio = callAudio(['hello', 'question', 'thanks', 'address', 'short', 'hello'], 1000);
    const callId = 'burst-order';
    e.setScript(callId, audio.lines);
    const rec = record();
    const stream = provider(e).open({ callId, logger: silentLogger, now: () => 0 }, rec.listener);
    for (let off = 0; off < audio.mulaw.length; off += 640)
      stream.write({ mulaw: audio.mulaw.subarray(off, off + 640), audioTimeMs: off / 8 });
    await rec.waitForFinals(audio.lines.length, 10_000);
    await stream.close();
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    // Every final's audio follows the previous one's.
    for (let i = 1; i < rec.finals.length; i++)
      expect(rec.finals[i]!.audioEndMs).toBeGreaterThan(rec.finals[i - 1]!.audioEndMs);
  });

  it("a one-shot request keeps its utterance's line even when a stream hears a later utterance before it is answered", async () => {
    const e = await emulator({ latencyScale: 0.2, seed: 5 });
    const callId = 'oneshot-vs-stream';
    const lines = [TRANSCRIPTS.question!, TRANSCRIPTS.address!];
    e.setScript(callId, lines);
    e.injectFault({ kind: 'recognizeSlow', extraMs: 1500, callId });
    const raw = createRawGoogleProvider(defaultConfig({ sttEndpoint: e.address, maxCalls: 2 }));
    cleanups.push(() => raw.close());
    const silence = Buffer.alloc(8000, 0xff);
    // The first utterance (call time 0) goes out one-shot and is answered late...
    const oneShot = raw.recognize(callId, Buffer.concat([fixtureMulaw('question'), silence]), undefined, {
      baseMs: 0,
    });
    // ...while a stream placed after it (call time 5 s) hears the next utterance.
    const streamed = await new Promise<string>((resolve, reject) => {
      const s = raw.open(
        callId,
        {
          onOpen: () => undefined,
          onResult: (r) => {
            if (r.isFinal) {
              s.cancel();
              resolve(r.text);
            }
          },
          onSpeechEvent: () => undefined,
          onError: reject,
          onEnd: () => reject(new Error('stream ended without a final')),
        },
        { baseMs: 5000 },
      );
      const audio = Buffer.concat([fixtureMulaw('address'), silence]);
      for (let off = 0; off < audio.length; off += 640) s.write(audio.subarray(off, off + 640));
    });
    expect((await oneShot).text).toBe(lines[0]);
    expect(streamed).toBe(lines[1]);
  });
});
