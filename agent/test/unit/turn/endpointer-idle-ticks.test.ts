import { describe, expect, it } from 'vitest';
import { createEndpointer } from '../../../src/turn/endpointer.ts';
import { createPhraseEndTracker } from '../../../src/turn/prosody.ts';
import { createVad } from '../../../src/turn/vad.ts';
import {
  FRAME_MS,
  concat,
  frames,
  silence,
  speechLike,
  toPcm16,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import type { EndpointerInput, EndpointerOutput, VadFrame } from '../../../src/turn/types.ts';
import { FIXTURE_TEXT, fixture, speechSpan, sttScriptFor, testConfig, type SttScript } from './timeline.ts';

// The session skips the 20 ms tick for a call whose endpointer says a tick can change nothing
// (needsTicks false: no utterance open). Skipping must not change a single decision: the same
// call fed every tick and fed only the ticks it asked for gives the same outputs at the same times.

type Timed = { readonly atMs: number; readonly input: EndpointerInput | 'tick'; readonly frame?: Int16Array };

/** Frames, STT events and ticks of one call on the call clock; the clock runs `aheadMs` ahead of audio time. */
function callTimeline(signal: Signal, script: readonly SttScript[], aheadMs: number): Timed[] {
  const vad = createVad({ vadHangoverMs: testConfig().vadHangoverMs });
  const out: Timed[] = [];
  const pcmFrames = frames(toPcm16(concat(signal, silence(3000))));
  pcmFrames.forEach((pcm, i) => {
    const atMs = i * FRAME_MS;
    const frame: VadFrame = { ...vad.process(pcm, atMs) };
    out.push({
      atMs: atMs + FRAME_MS + aheadMs,
      input: { type: 'vad', atMs, frame, frameMs: FRAME_MS },
      frame: pcm,
    });
  });
  for (const e of script) {
    const input: EndpointerInput =
      e.kind === 'partial'
        ? {
            type: 'partial',
            partial: {
              text: e.text,
              stability: e.stability ?? 0,
              audioTimeMs: e.audioTimeMs ?? e.atMs,
              receivedAtMs: e.atMs,
            },
          }
        : {
            type: 'final',
            final: {
              text: e.text,
              confidence: 0.9,
              audioStartMs: e.audioStartMs ?? 0,
              audioEndMs: e.audioEndMs ?? e.atMs,
              receivedAtMs: e.atMs,
            },
          };
    out.push({ atMs: e.atMs, input });
  }
  const endMs = pcmFrames.length * FRAME_MS + aheadMs + 100;
  for (let t = 7; t < endMs; t += 20) out.push({ atMs: t, input: 'tick' });
  return out.sort((a, b) => a.atMs - b.atMs);
}

function run(
  timeline: readonly Timed[],
  skipIdleTicks: boolean,
  prosody: boolean,
): { outputs: (EndpointerOutput & { outAtMs: number })[]; ticksFed: number; ticks: number } {
  const tracker = prosody ? createPhraseEndTracker() : undefined;
  const ep = createEndpointer(testConfig(), tracker);
  const outputs: (EndpointerOutput & { outAtMs: number })[] = [];
  let ticks = 0;
  let ticksFed = 0;
  for (const t of timeline) {
    let input = t.input;
    if (input === 'tick') {
      ticks++;
      if (skipIdleTicks && ep.needsTicks === false) continue;
      ticksFed++;
      input = { type: 'tick', atMs: t.atMs };
    } else if (input.type === 'vad' && t.frame) tracker?.push(t.frame, input.frame.voiced);
    for (const o of ep.handle(input)) outputs.push({ ...o, outAtMs: t.atMs });
  }
  return { outputs, ticksFed, ticks };
}

/** Fixture utterances with pauses between them, and the STT script a streaming recognizer would send. */
function conversation(
  names: readonly string[],
  gapMs: number,
  finalDelayMs: number,
): { signal: Signal; script: SttScript[] } {
  const parts: Signal[] = [];
  const script: SttScript[] = [];
  let offsetMs = 0;
  for (const name of names) {
    const clip = fixture(name);
    const span = speechSpan(clip);
    for (const e of sttScriptFor(FIXTURE_TEXT[name] ?? name, span, { finalDelayMs, stability: 0.8 }))
      script.push({
        ...e,
        atMs: e.atMs + offsetMs,
        ...(e.kind === 'partial' ? { audioTimeMs: (e.audioTimeMs ?? e.atMs) + offsetMs } : {}),
        ...(e.kind === 'final'
          ? {
              audioStartMs: (e.audioStartMs ?? 0) + offsetMs,
              audioEndMs: (e.audioEndMs ?? e.atMs) + offsetMs,
            }
          : {}),
      } as SttScript);
    parts.push(clip, silence(gapMs));
    offsetMs += clip.length / 8 + gapMs;
  }
  return { signal: concat(...parts), script };
}

describe('endpointer: ticks skipped while no utterance is open', () => {
  it('needsTicks is false before speech and after the turn ends, true while an utterance is open', () => {
    const ep = createEndpointer(testConfig());
    expect(ep.needsTicks).toBe(false);
    const out = ep.handle({
      type: 'partial',
      partial: { text: 'שלום', stability: 0.5, audioTimeMs: 100, receivedAtMs: 200 },
    });
    expect(out.map((o) => o.type)).toContain('speechStarted');
    expect(ep.needsTicks).toBe(true);
    ep.handle({
      type: 'final',
      final: { text: 'שלום.', confidence: 0.9, audioStartMs: 0, audioEndMs: 400, receivedAtMs: 600 },
    });
    expect(ep.needsTicks).toBe(false);
  });

  const cases: {
    name: string;
    names: string[];
    gapMs: number;
    finalDelayMs: number;
    aheadMs: number;
    prosody: boolean;
  }[] = [
    {
      name: 'six fixtures, finals late, clock 13 ms ahead of audio',
      names: ['hello', 'question', 'address', 'thanks', 'long', 'short'],
      gapMs: 2500,
      finalDelayMs: 900,
      aheadMs: 13,
      prosody: false,
    },
    {
      name: 'short gaps (take the turn back territory), prosody cues',
      names: ['hello', 'address', 'question'],
      gapMs: 700,
      finalDelayMs: 1500,
      aheadMs: 3,
      prosody: true,
    },
    {
      name: 'finals before the silence rule, clock 35 ms ahead',
      names: ['thanks', 'long', 'short'],
      gapMs: 1800,
      finalDelayMs: 300,
      aheadMs: 35,
      prosody: true,
    },
  ];
  for (const c of cases) {
    it(`same outputs at the same times: ${c.name}`, () => {
      const { signal, script } = conversation(c.names, c.gapMs, c.finalDelayMs);
      const timeline = callTimeline(signal, script, c.aheadMs);
      const every = run(timeline, false, c.prosody);
      const skipping = run(timeline, true, c.prosody);
      expect(every.outputs.filter((o) => o.type === 'turnEnded').length).toBeGreaterThanOrEqual(
        c.names.length - 1,
      );
      expect(skipping.outputs).toEqual(every.outputs);
      // The point of it: most ticks of a call fall where nobody is speaking.
      expect(skipping.ticksFed).toBeLessThan(every.ticksFed * 0.7);
    });
  }

  it('a VAD-only utterance (noise, no words) is abandoned the same way', () => {
    const signal = concat(silence(500), speechLike(900, 0.2), silence(2500));
    const timeline = callTimeline(signal, [], 11);
    const every = run(timeline, false, false);
    const skipping = run(timeline, true, false);
    expect(every.outputs.map((o) => o.type)).toContain('speechStarted');
    expect(skipping.outputs).toEqual(every.outputs);
  });
});
