// Recognition through the real @google-cloud/speech clients against the local Speech emulator:
// each fault and its recovery, rotation without lost or repeated words, fallback and return.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { createSttProvider } from '../../../src/stt/index.ts';
import type { ResilienceTuning } from '../../../src/stt/resilient.ts';
import type { StreamingStt } from '../../../src/stt/types.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { callAudio, feed, record, watchLoopBusy, type CallAudio } from './harness.ts';

let emu: SpeechEmulator;
const providers: StreamingStt[] = [];

beforeAll(async () => {
  emu = await startSpeechEmulator({ latencyScale: 0.5, seed: 7 });
});
afterAll(async () => {
  await Promise.all(providers.map((p) => p.close?.()));
  await emu.close();
});

function provider(
  e: SpeechEmulator,
  over: Partial<Config> = {},
  tuning: Partial<ResilienceTuning> = {},
): StreamingStt {
  const config = defaultConfig({ sttEndpoint: e.address, maxCalls: 10, ...over });
  const p = createSttProvider(config, { tuning });
  providers.push(p);
  return p;
}

async function runCall(
  p: StreamingStt,
  e: SpeechEmulator,
  callId: string,
  audio: CallAudio,
  opts: { mark?: boolean } = {},
) {
  e.setScript(callId, audio.lines);
  const rec = record();
  const t0 = performance.now();
  const stream = p.open({ callId, logger: silentLogger, now: () => performance.now() - t0 }, rec.listener);
  await feed(stream, audio, { mark: opts.mark ?? true });
  await rec.waitForFinals(audio.lines.length, 10_000);
  await stream.close();
  return rec;
}

describe.concurrent('streaming recognition against the emulator', () => {
  it('v1: finals follow the script, interims arrive, the call id travels as metadata', async () => {
    const audio = callAudio(['hello', 'question']);
    const rec = await runCall(provider(emu), emu, 'v1-basic', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.partials.length).toBeGreaterThan(2);
    expect(emu.stats().callIds).toContain('v1-basic');
    // Finals are on the call clock: each ends inside its clip's span, before the next clip starts.
    rec.finals.forEach((f, i) => {
      expect(f.audioEndMs).toBeGreaterThan(audio.spans[i]![0]);
      expect(f.audioEndMs).toBeLessThan(audio.spans[i + 1]?.[0] ?? Infinity);
    });
    expect(rec.errors).toEqual([]);
  });

  it('v2 chirp_3: finals follow the script through the raw bidirectional call', async () => {
    const audio = callAudio(['thanks', 'short']);
    const p = provider(emu, {
      sttApiVersion: 'v2',
      sttModel: 'chirp_3',
      googleProject: 'test-project',
      sttLocation: 'eu',
    });
    const rec = await runCall(p, emu, 'v2-basic', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors).toEqual([]);
  });

  it('UNAVAILABLE at open: retried at once, then streams; nothing lost', async () => {
    emu.injectFault({ kind: 'unavailableAtOpen', count: 2, callId: 'fault-open' });
    const audio = callAudio(['hello', 'thanks']);
    const rec = await runCall(provider(emu), emu, 'fault-open', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors.map((e) => [e.code, e.retryable])).toEqual([
      ['UNAVAILABLE', true],
      ['UNAVAILABLE', true],
    ]);
    expect(rec.states.map((s) => s.state)).toEqual(['connecting', 'retrying', 'streaming', 'closed']);
  });

  it('mid-stream UNAVAILABLE during speech: reopened with replay, no word lost or repeated', async () => {
    emu.injectFault({ kind: 'unavailableAfter', afterMs: 2000, callId: 'fault-mid' });
    const audio = callAudio(['hello', 'question']);
    const rec = await runCall(provider(emu), emu, 'fault-mid', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors.map((e) => e.code)).toEqual(['UNAVAILABLE']);
  });

  it('OUT_OF_RANGE (stream duration) at N seconds: reopened, nothing lost', async () => {
    emu.injectFault({ kind: 'outOfRangeAt', seconds: 3, callId: 'fault-oor' });
    const audio = callAudio(['hello', 'question']);
    const rec = await runCall(provider(emu), emu, 'fault-oor', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors.map((e) => [e.code, e.message])).toEqual([
      ['OUT_OF_RANGE', 'Exceeded maximum allowed stream duration of 305 seconds.'],
    ]);
  });

  it('a stalled stream is detected after a VAD utterance gets no result, and restarted with replay', async () => {
    emu.injectFault({ kind: 'stall', afterMs: 0, durationMs: 4000, callId: 'fault-stall' });
    const audio = callAudio(['short', 'thanks'], 1500);
    const rec = await runCall(provider(emu, {}, { stallTimeoutMs: 1200 }), emu, 'fault-stall', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors.map((e) => e.code)).toEqual(['STALL']);
  });

  it('slow responses arrive late but complete, without restarts', async () => {
    emu.injectFault({ kind: 'slow', extraMs: 700, callId: 'fault-slow' });
    const audio = callAudio(['question', 'short']);
    const rec = await runCall(provider(emu), emu, 'fault-slow', audio);
    expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
    expect(rec.errors).toEqual([]);
  });

  // Was flaky (about 1 run in 4) until the handoff back to streaming stopped cutting an utterance
  // the caller was still speaking when no utterance had been cut during the fallback (see the
  // unit test 'a handoff while an utterance is still being spoken ...' in stt/resilient.test.ts).
  it('retries exhausted -> fallback one-shot -> back to streaming, while another call is unaffected', async () => {
    // Initial open + 1 retry fail -> fallback; the first re-probe fails; the second opens,
    // 4.5-7.5 s in (jittered): after the first utterance was cut (one-shot), before the last.
    emu.injectFault({ kind: 'unavailableAtOpen', count: 3, callId: 'fallback-a' });
    // A stream that neither answers nor fails counts as healthy after healthyAfterMs of wall
    // time; an UNAVAILABLE at open is the emulator's first word, so after a long enough pause of
    // this process (seen: 1.8 s at load 8) the healthy timer ran before the queued error and the
    // call reconnected instead of falling back. Nothing here needs that timer: streams confirm
    // on their response headers.
    const pA = provider(emu, { sttRetryAttempts: 1 }, { probeInitialMs: 2000, healthyAfterMs: 60_000 });
    const audioA = callAudio(['hello', 'question', 'thanks', 'short'], 1200);
    const audioB = callAudio(['address', 'thanks', 'question', 'short'], 1200);
    const loop = watchLoopBusy();
    const [recA, recB] = await Promise.all([
      runCall(pA, emu, 'fallback-a', audioA),
      runCall(provider(emu), emu, 'fallback-b', audioB),
    ]);
    const longestBusyMs = loop.stop();
    expect(recA.finals.map((f) => f.text)).toEqual(audioA.lines);
    const states = recA.states.map((s) => s.state);
    expect(states.slice(0, 4)).toEqual(['connecting', 'retrying', 'fallback', 'streaming']);
    expect(recA.finals.some((f) => f.fromFallback === true)).toBe(true);
    expect(recA.finals.at(-1)!.fromFallback).toBeUndefined();
    // The other call: every final, none from fallback, each within a normal delay after its speech.
    expect(recB.finals.map((f) => f.text)).toEqual(audioB.lines);
    expect(recB.errors).toEqual([]);
    recB.finals.forEach((f, i) => expect(f.receivedAtMs - audioB.spans[i]![1]).toBeLessThan(2500));
    // No event-loop stall while one-shot requests were in flight: no stretch of work in this
    // thread (both calls, the emulator, the clients) held the loop for 250 ms of CPU. Counted
    // in CPU time, not wall time: on a loaded machine the loop also waits for a core.
    expect(longestBusyMs).toBeLessThan(250);
  });

  it('fallback one-shot requests run concurrently', async () => {
    emu.injectFault({ kind: 'recognizeSlow', extraMs: 3000, count: 3, callId: 'oneshot-only' });
    const audio = callAudio(['short', 'short', 'short'], 600);
    const before = emu.stats().recognizeInFlightMax;
    const rec = await runCall(provider(emu, { sttStreaming: false }), emu, 'oneshot-only', audio);
    expect(rec.finals.map((f) => [f.text, f.fromFallback])).toEqual(audio.lines.map((l) => [l, true]));
    expect(Math.max(before, emu.stats().recognizeInFlightMax)).toBeGreaterThanOrEqual(3);
  });
});

describe('the event-loop stall watcher', () => {
  it('counts a synchronous stretch of work whole, in CPU time', () => {
    const loop = watchLoopBusy();
    // 300 ms of this thread's CPU without yielding, however long the machine takes to give it.
    const start = process.threadCpuUsage();
    for (;;) {
      const spent = process.threadCpuUsage(start);
      if (spent.user + spent.system >= 300_000) break;
    }
    expect(loop.stop()).toBeGreaterThanOrEqual(300);
  });
});

describe('rotation', () => {
  it('rotates at a short limit before the stream limit and loses or repeats no words', async () => {
    const e = await startSpeechEmulator({ latencyScale: 0.5, streamLimitSeconds: 6, seed: 3 });
    try {
      const audio = callAudio(['hello', 'question', 'address', 'thanks', 'short']);
      const p = createSttProvider(
        defaultConfig({ sttEndpoint: e.address, sttRotationSeconds: 5, maxCalls: 1 }),
      );
      try {
        const rec = await runCall(p, e, 'rotation', audio);
        expect(rec.finals.map((f) => f.text)).toEqual(audio.lines);
        expect(rec.errors).toEqual([]);
        expect(e.stats().errorsSent).toEqual({});
        expect(e.stats().streamsOpened).toBeGreaterThanOrEqual(3);
        // Timestamps stay on the call clock across streams: increasing, each near its clip.
        rec.finals.forEach((f, i) => {
          expect(f.audioEndMs).toBeGreaterThan(audio.spans[i]![0]);
          expect(f.audioEndMs).toBeLessThan(audio.spans[i + 1]?.[0] ?? Infinity);
        });
      } finally {
        await p.close!();
      }
    } finally {
      await e.close();
    }
  });
});
