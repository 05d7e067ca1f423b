import { describe, expect, it } from 'vitest';
import {
  chaosCalls,
  chaosReportOf,
  checkFitsWindow,
  renderChaosMarkdown,
  type ChaosReport,
} from '../../../bench/capacity/chaos.ts';
import type { MachineFacts } from '../../../bench/capacity/report.ts';
import { summarizeStep } from '../../../bench/capacity/summary.ts';
import { parseFaultPlan } from '../../../src/sim/faults/plan.ts';
import { call, stepInputs } from './fixtures.ts';

describe('chaos mode', () => {
  it('reads the callers summaries on each stream clock, with what the caller heard', () => {
    const [c] = chaosCalls([
      call({
        index: 1,
        outcome: 'dropped',
        turns: [
          {
            label: 'hello',
            speechStartAtMs: 2100,
            speechEndAtMs: 5000,
            gapMs: 300,
            marksPlayed: ['answer-1-1'],
            firstMarkPlayedAtMs: 6300,
          },
          { label: 'question', speechEndAtMs: 15_000, gapMs: undefined, marksCleared: ['apology-2-2'] },
        ],
      }),
    ]);
    expect(c).toEqual({
      callSid: 'CA1',
      outcome: 'dropped',
      startedAtEpochMs: 1100,
      durationMs: 40_000,
      turns: [
        {
          label: 'hello',
          speechStartMs: 1000,
          speechEndMs: 3900,
          agentAudioStartMs: 4200,
          marksPlayed: ['answer-1-1'],
          firstMarkPlayedMs: 5200,
        },
        // No speech start from an older callers process: the turn is taken to start at its end.
        { label: 'question', speechStartMs: 13_900, speechEndMs: 13_900, marksCleared: ['apology-2-2'] },
      ],
    });
  });

  it('refuses a window that ends after the measurement window, or a drop that never fires', () => {
    expect(() => checkFitsWindow(parseFaultPlan(['tts-outage:at=115s,for=10s']), 120)).toThrow(
      /ends after the 120 s window/,
    );
    expect(() => checkFitsWindow(parseFaultPlan(['ws-drop:every=3m']), 120)).toThrow(/never fires/);
    expect(() =>
      checkFitsWindow(
        parseFaultPlan(['tts-outage:at=30s,for=10s', 'ws-drop:every=60s', 'stt-stream-fail:20%']),
        120,
      ),
    ).not.toThrow();
  });

  it('renders each run with its load, its fault table and the whole run', () => {
    const step = summarizeStep(stepInputs());
    const reports = chaosReportOf(
      {
        specs: ['ws-drop:every=10s'],
        seed: 1,
        epochMs: 1100,
        events: [{ fault: 'ws-drop', type: 'injected', atEpochMs: 11_100, callId: 'CA1', detail: 'drop' }],
        calls: [call({ index: 1, outcome: 'dropped' }), call({ index: 2 })],
        agentLostCalls: 1,
      },
      1,
    );
    expect(reports[0]).toMatchObject({ injected: 1, callsAffected: 1, collateral: { calls: 0 } });
    const report: ChaosReport = {
      kind: 'chaos',
      startedAt: '2026-12-01T14:20:00.000Z',
      finishedAt: '2026-12-01T14:35:00.000Z',
      command: 'npm run bench -- --chaos',
      // (b13's branch adds `revision` to MachineFacts: this literal fits either shape.)
      machine: {
        revision: 'test',
        cpus: 2,
        cpuModel: 'test cpu',
        memoryGiB: 24,
        node: 'v24',
        kernel: 'k',
      } as MachineFacts,
      profile: 'reference',
      calls: 100,
      durationS: 120,
      runs: [{ faults: ['ws-drop:every=10s,start=10s'], seed: 1, step, reports }],
    };
    const md = renderChaosMarkdown(report);
    expect(md).toContain('### `ws-drop:every=10s,start=10s`');
    expect(md).toContain('Seed 1; load 0.50 -> 0.80');
    expect(md).toContain('| `ws-drop:every=10s,start=10s` | 1 | 1 | 1 | 1 |');
    expect(md).toContain('- agent counted 1 of 1 dropped calls as lost (hva_calls_lost_total)');
    expect(md).toContain('| 2 | 2 |'); // the step table row: 2 calls, 2 measured
  });
});
