// Child process for the signal and rollout tests: a real agent with SIGTERM/SIGINT handlers
// installed. Prints one JSON line when listening, one per drain log event, and {"exit":code}
// when the drain hands its code to onExit.
import { Writable } from 'node:stream';
import { startAgent } from '../../../src/app.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { createPassthroughFactory } from '../../../src/sim/passthrough.ts';

// Drain and signal log lines go to stdout so the test can wait on them (no sleeping).
const interesting = /drain|signal|call ended|call started/;
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      const { msg, reason } = JSON.parse(line) as { msg: string; reason?: string };
      if (interesting.test(msg)) process.stdout.write(`${JSON.stringify({ log: msg, reason })}\n`);
    }
    cb();
  },
});

const agent = await startAgent({
  // The test's clients send media only when a step needs it (not every 20 ms like Twilio), and on
  // a loaded machine steps can be far apart: no media timeout here.
  config: defaultConfig({
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    drainSeconds: 600,
    mediaTimeoutMs: 600_000,
  }),
  logger: createLogger('info', sink),
  // Echo each frame at once: the test counts echoes to see frames got through.
  handlerFactory: createPassthroughFactory(undefined, { echoBatchMs: 20 }),
  installSignalHandlers: true,
  onExit: (code) => {
    process.stdout.write(`${JSON.stringify({ exit: code })}\n`);
    process.exit(code);
  },
});
process.stdout.write(
  `${JSON.stringify({ url: agent.url, publicHost: agent.publicHost, adminUrl: agent.adminUrl, adminPort: agent.adminPort })}\n`,
);
