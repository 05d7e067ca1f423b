// CI smoke of `npm run bench` (agent/bench/capacity): the same three processes (agent, emulators,
// callers) and the same step and report code, with three whole calls on the reference profile.
// It fails when the harness breaks: a process that does not start, calls that fail or go
// unanswered, figures that are missing, a report that does not render. About a minute; the
// agent runs from source (agent/src/main.ts) to spare CI the 17 s build, which
// scripts/prod-smoke.sh already proves.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorsHandle } from '../../../bench/capacity/harness.ts';
import { writeSweep } from '../../../bench/capacity/main.ts';
import type { SweepReport } from '../../../bench/capacity/report.ts';
import { SMOKE_CALLS as CALLS, smokeStepOptions, startSmokeEmulators } from './smoke-step.ts';
import { runStep } from '../../../bench/capacity/step.ts';
import type { StepResult } from '../../../bench/capacity/summary.ts';

describe('npm run bench: smoke', () => {
  let emulators: EmulatorsHandle;
  let step: StepResult;
  const out = mkdtempSync(join(tmpdir(), 'hva-bench-smoke-'));

  beforeAll(async () => {
    emulators = await startSmokeEmulators();
    step = await runStep({ ...smokeStepOptions(emulators, '5b0e') });
  }, 150_000);

  afterAll(async () => {
    await emulators?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('carries every whole call to its end with every turn answered', () => {
    expect(step.measuredCalls).toBe(CALLS);
    expect(step.outcomes).toEqual({ completed: CALLS });
    expect(step.callerTurns).toBe(CALLS * 5);
    expect(step.turnsNotAnswered).toBe(0);
    expect(step.latencyS.n).toBeGreaterThanOrEqual(CALLS * 5);
    expect(step.callerGapS.n).toBe(CALLS * 5);
    expect(step.errorTotal).toBe(0);
    expect(step.broken).toBeUndefined();
  });

  it('measures the barge-in of every call', () => {
    expect(step.callerClears).toBeGreaterThanOrEqual(CALLS);
    expect(step.bargeIns).toBeGreaterThanOrEqual(CALLS);
  });

  it("reads the agent process's own CPU, memory and event-loop lag", () => {
    expect(step.callSeconds).toBeGreaterThan(0);
    expect(step.cpuMsPerCallSecond).toBeGreaterThan(0);
    expect(step.rssIdleMb).toBeGreaterThan(30);
    expect(step.heapUsedMb).toBeGreaterThan(5);
    expect(Number.isFinite(step.lagP99Ms)).toBe(true);
    expect(step.lagMaxMs).toBeGreaterThanOrEqual(step.lagP99Ms);
  });

  it('writes the JSON, Markdown and SVG report', () => {
    const report: SweepReport = {
      kind: 'sweep',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      command: 'capacity smoke',
      machine: {
        revision: 'abc1234',
        cpus: 1,
        cpuModel: 'ci',
        memoryGiB: 1,
        node: process.version,
        kernel: '',
      },
      durationS: 5,
      emulatorOptions: {},
      profiles: [{ name: 'reference', path: '../shared/bench/reference-profile.json', steps: [step] }],
    };
    writeSweep(report, out);
    const md = readFileSync(join(out, 'capacity.md'), 'utf8');
    expect(md).toMatch(new RegExp(`^\\| ${CALLS} \\| ${CALLS} \\| ${CALLS * 5} \\(0\\) \\|`, 'm'));
    for (const f of ['sweep.json', 'latency.svg', 'cpu.svg', 'lag.svg', 'cdf-reference.svg'])
      expect(existsSync(join(out, 'capacity', f)), f).toBe(true);
  });
});
