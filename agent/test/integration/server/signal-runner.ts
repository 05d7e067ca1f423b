// Child process for the signal test: a real agent with SIGTERM/SIGINT handlers installed.
// Prints one JSON line when listening; exits with the code the drain hands to onExit.
import { startAgent } from '../../../src/app.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { createPassthroughFactory } from '../../../src/call/passthrough.ts';

const agent = await startAgent({
  config: defaultConfig({ port: 0, adminPort: 0, host: '127.0.0.1', drainSeconds: 600 }),
  logger: silentLogger,
  // Echo each frame at once: the test counts echoes to see frames got through.
  handlerFactory: createPassthroughFactory(undefined, { echoBatchMs: 20 }),
  installSignalHandlers: true,
  onExit: (code) => {
    process.stdout.write(`${JSON.stringify({ exit: code })}\n`);
    process.exit(code);
  },
});
process.stdout.write(`${JSON.stringify({ url: agent.url, publicHost: agent.publicHost })}\n`);
