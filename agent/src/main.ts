// The agent process: config from the environment, then bootAgent. Works with no cloud
// credentials at all (embedded Speech emulator, scripted responder, local espeak-ng).
import { bootAgent } from './runtime/boot.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createLogger } from './telemetry/logger.ts';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    // Before the logger exists (its level is config too): plain stderr, then a non-zero exit.
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const logger = createLogger(config.logLevel);
try {
  // Listen at once (liveness); /readyz stays false until the synthesiser and cached phrases are up.
  await bootAgent(config, logger, { installSignalHandlers: true, waitForProviders: false });
} catch (err) {
  logger.fatal({ err }, `agent failed to start: ${err instanceof Error ? err.message : String(err)}`);
  // Let pino flush the line before exiting.
  setTimeout(() => process.exit(1), 50);
}
