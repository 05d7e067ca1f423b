// The Google-like result shape (../shared/bench/google-like-profile.json behaviour) through the
// real @google-cloud/speech client and the resilient wrapper, v1 and v2: every interim the agent
// sees is the whole response (stable head + unstable tail joined), never only the tail; v2
// carries no stability; finals are punctuated sentences.
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { parseBehaviour } from '../../../src/sim/speech/behaviour.ts';
import { startSpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { BUILTIN_PROFILE } from '../../../src/sim/speech/profile.ts';
import { createSttProvider } from '../../../src/stt/index.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { callAudio, feed, record } from './harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

// The profile's behaviour without tail revisions, so every joined interim is a word prefix.
const behaviour = parseBehaviour({
  interimPunctuation: 'none',
  finalPunctuation: 'sentence',
  resultsPerInterimResponse: 'stableHeadUnstableTail',
  unstableTailWords: { min: 1, max: 2 },
  stabilityV1: { stableHead: 0.9, unstableTail: 0.01 },
  stabilityV2: 'unset',
  tailRevisionProbability: 0,
});

describe.each(['v1', 'v2'] as const)('Google-shaped results through the real client (%s)', (version) => {
  it('one interim per response, head and tail joined in order', async () => {
    const e = await startSpeechEmulator({
      latencyScale: 0.3,
      seed: 5,
      profile: { ...BUILTIN_PROFILE, behaviour },
    });
    cleanups.push(() => e.close());
    const p = createSttProvider(
      defaultConfig({
        sttEndpoint: e.address,
        maxCalls: 2,
        sttApiVersion: version,
        ...(version === 'v2'
          ? { sttModel: 'chirp_3', googleProject: 'test-project', sttLocation: 'eu' }
          : {}),
      }),
    );
    cleanups.push(async () => p.close?.());
    const audio = callAudio(['address'], 1000);
    const callId = `shape-${version}`;
    e.setScript(callId, audio.lines);
    const rec = record();
    const t0 = performance.now();
    const stream = p.open({ callId, logger: silentLogger, now: () => performance.now() - t0 }, rec.listener);
    await feed(stream, audio);
    await rec.waitForFinals(1, 10_000);
    await stream.close();

    const line = audio.lines[0]!;
    const bare = line.replace(/[.,?!]/g, '');
    expect(rec.finals.map((f) => f.text)).toEqual([line]);
    expect(rec.partials.length).toBeGreaterThan(3);
    for (const partial of rec.partials) expect(bare.startsWith(partial.text), partial.text).toBe(true);
    // Longer than any tail (1-2 words): the head was not lost.
    expect(Math.max(...rec.partials.map((x) => x.text.split(' ').length))).toBeGreaterThan(3);
    const stabilities = new Set(
      rec.partials
        .filter((x) => x.text.split(' ').length > 2)
        .map((x) => Math.round(x.stability * 100) / 100), // float32 on the wire
    );
    expect([...stabilities]).toEqual(version === 'v1' ? [0.01] : [0]);
  });
});

describe('a tail guess is revised by the next interim (profile tailRevision), not left to the final', () => {
  it('the last interim before each final shows the words the final carries', async () => {
    const e = await startSpeechEmulator({
      latencyScale: 0.3,
      seed: 3,
      // Finals well after the speech end, so every revising interim comes before its final.
      profile: {
        ...BUILTIN_PROFILE,
        finalAfterSpeechEndMs: { p50: 3000, p95: 3500 },
        behaviour: { ...behaviour, tailRevisionProbability: 0.3 },
      },
    });
    cleanups.push(() => e.close());
    const p = createSttProvider(defaultConfig({ sttEndpoint: e.address, maxCalls: 2 }));
    cleanups.push(async () => p.close?.());
    const names = ['hello', 'question', 'address', 'thanks', 'short'];
    const audio = callAudio(names, 1800);
    const callId = 'tail-revised';
    e.setScript(callId, audio.lines);
    const rec = record();
    // The last interim before each final, in arrival order.
    const lastBeforeFinal: string[] = [];
    let lastPartial = '';
    const listener = {
      ...rec.listener,
      onPartial: (x: Parameters<typeof rec.listener.onPartial>[0]) => {
        lastPartial = x.text;
        rec.listener.onPartial(x);
      },
      onFinal: (x: Parameters<typeof rec.listener.onFinal>[0]) => {
        lastBeforeFinal.push(lastPartial);
        rec.listener.onFinal(x);
      },
    };
    const t0 = performance.now();
    const stream = p.open({ callId, logger: silentLogger, now: () => performance.now() - t0 }, listener);
    await feed(stream, audio);
    await rec.waitForFinals(names.length, 15_000);
    await stream.close();

    const bare = (text: string) => text.replace(/[.,?!]/g, '').trim();
    expect(lastBeforeFinal).toHaveLength(names.length);
    for (const [i, last] of lastBeforeFinal.entries())
      expect(last, `line ${i}`).toBe(bare(rec.finals[i]!.text));
    // Guesses were shown on the way (the profile's 30 %), and revised.
    expect(rec.partials.some((x) => !audio.lines.some((l) => bare(l).startsWith(x.text)))).toBe(true);
  });
});
