// What the two `npm run bench` smokes share: the emulators' process on the reference profile and
// one step of three whole calls, the agent from source (agent/src/main.ts), measured from the start.
import { join } from 'node:path';
import {
  AGENT_SRC_ENTRY,
  REPO_ROOT,
  startEmulators,
  type EmulatorsHandle,
} from '../../../bench/capacity/harness.ts';

export const SMOKE_CALLS = 3;

export const startSmokeEmulators = (): Promise<EmulatorsHandle> =>
  startEmulators({
    profile: join(REPO_ROOT, '..', 'shared', 'bench', 'reference-profile.json'),
    seed: 1,
    options: {},
  });

/** runStep options for the smoke step; `runIdPrefix` must be hex (it becomes part of call SIDs). */
export const smokeStepOptions = (emulators: EmulatorsHandle, runIdPrefix: string) => ({
  profileName: 'reference',
  calls: SMOKE_CALLS,
  // The window ends as soon as the three calls have (about 45 s).
  durationS: 90,
  maxCalls: SMOKE_CALLS,
  emulators,
  runId: `${runIdPrefix}${Date.now().toString(16)}`,
  agentEntry: AGENT_SRC_ENTRY,
  measureFromStart: true,
  log: (): void => undefined,
});
