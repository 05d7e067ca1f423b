// What a process signal does to the drain. Kubernetes runs the preStop hook (POST /drain) and
// then sends SIGTERM: that SIGTERM, like a repeated one, must continue the drain already under
// way, never end calls. Only a repeated Ctrl-C (SIGINT) in a terminal ends the calls at once.
// Pure.
import type { DrainPhase } from './drain.ts';

export type SignalAction = 'start_drain' | 'continue_drain' | 'end_calls_now';

export function signalAction(signal: NodeJS.Signals, phase: DrainPhase): SignalAction {
  if (phase === 'running') return 'start_drain';
  return signal === 'SIGINT' ? 'end_calls_now' : 'continue_drain';
}
