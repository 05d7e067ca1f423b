// Process signals wired to the drain, as signals.ts decides (the first SIGTERM/SIGINT starts a
// drain, a later SIGTERM continues it, a second SIGINT ends the calls now).
import type { Logger } from '../telemetry/logger.ts';
import type { DrainController } from './drain.ts';
import { signalAction } from './signals.ts';

/** Installs the handlers; returns their removal (idempotent). */
export function installDrainSignals(
  drain: Pick<DrainController, 'phase' | 'start' | 'force'>,
  logger: Logger,
  activeCalls: () => number,
): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    switch (signalAction(signal, drain.phase)) {
      case 'start_drain':
        logger.info({ signal }, 'signal received: draining');
        void drain.start(signal);
        return;
      case 'continue_drain':
        logger.info(
          { signal, activeCalls: activeCalls() },
          'signal received during a drain: the drain continues, calls keep running',
        );
        return;
      case 'end_calls_now':
        logger.warn({ signal }, 'second SIGINT: ending remaining calls now');
        void drain.force(`second ${signal}`);
        return;
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
