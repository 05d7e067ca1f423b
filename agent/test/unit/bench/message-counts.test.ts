import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../../bench/capacity/prom.ts';
import { messageCounts } from '../../../bench/capacity/step.ts';
import type { EmulatorStats } from '../../../bench/capacity/protocol.ts';
import { summarizeStep } from '../../../bench/capacity/summary.ts';
import { stepInputs } from './fixtures.ts';

const emulators = (speech: Record<string, number>, streams: number, syntheses: number): EmulatorStats => ({
  speech,
  openai: { streams },
  tts: { syntheses },
  cpuMs: 0,
  rssBytes: 0,
});

describe('messageCounts', () => {
  it("takes each kind's growth over the window from the agent's /metrics and the emulators", () => {
    const m0 = parseMetrics('hva_frames_in_total 100\nhva_frames_out_total 4\nhva_barge_ins_total 1\n');
    const m1 = parseMetrics('hva_frames_in_total 600\nhva_frames_out_total 24\nhva_barge_ins_total 3\n');
    const e0 = emulators({ audioMessages: 10, interimsSent: 5, finalsSent: 1, streamsOpened: 2 }, 1, 3);
    const e1 = emulators({ audioMessages: 135, interimsSent: 25, finalsSent: 4, streamsOpened: 3 }, 3, 9);
    expect(messageCounts(m0, m1, e0, e1)).toEqual({
      twilioMediaIn: 500,
      twilioMediaOut: 20,
      clears: 2,
      sttAudioMessages: 125,
      sttResults: 23,
      sttStreams: 1,
      llmStreams: 2,
      ttsSyntheses: 6,
    });
  });

  it('counts a kind an emulator does not report as 0', () => {
    const none = emulators({}, 0, 0);
    expect(messageCounts([], [], none, none).sttAudioMessages).toBe(0);
  });
});

describe('summarizeStep: messages per call-second', () => {
  it('divides each count by the call-seconds inside the window', () => {
    // Two calls open for the whole 40 s window: 80 call-seconds.
    const r = summarizeStep(stepInputs({ messageCounts: { twilioMediaIn: 4000, sttAudioMessages: 1000 } }));
    expect(r.messagesPerCallSecond).toEqual({ twilioMediaIn: 50, sttAudioMessages: 12.5 });
  });

  it('leaves the rates out when nothing was counted', () => {
    expect(summarizeStep(stepInputs()).messagesPerCallSecond).toBeUndefined();
  });
});
