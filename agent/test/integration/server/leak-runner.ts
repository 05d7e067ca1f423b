// Child process for the leak test (needs --expose-gc): opens and closes many calls through real
// WebSockets against a real agent and prints heap and active-resource figures as one JSON line.
import { startAgent } from '../../../src/app.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { createPassthroughFactory } from '../../../src/sim/passthrough.ts';
import { TestTwilioClient, until } from './twilio-client.ts';

const CALLS = Number(process.argv[2] ?? 300);
const CONCURRENCY = 50;
const FRAMES_PER_CALL = 10;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc!();
  }
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

const agent = await startAgent({
  config: defaultConfig({ port: 0, adminPort: 0, host: '127.0.0.1', maxCalls: 1000 }),
  logger: silentLogger,
  // Echo each frame at once: the test counts echoes to see frames got through.
  handlerFactory: createPassthroughFactory(undefined, { echoBatchMs: 20 }),
  onExit: () => {},
});

async function oneCall(): Promise<void> {
  const c = await TestTwilioClient.connect(agent);
  c.connected();
  c.start({ from: '+972500000000' });
  for (let i = 0; i < FRAMES_PER_CALL; i++) c.media(Buffer.alloc(160, i));
  await c.waitFor((m) => m.filter((x) => x.event === 'media').length === FRAMES_PER_CALL);
  c.stop();
  await c.closed;
}

async function calls(n: number): Promise<void> {
  for (let done = 0; done < n; done += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n - done) }, () => oneCall()));
  }
  await until(() => agent.activeCalls() === 0);
}

await calls(50); // warm up JIT, pools and module state
await settle();
const baselineHeap = process.memoryUsage().heapUsed;
const baselineResources = resources();
await calls(CALLS);
await settle();
const afterHeap = process.memoryUsage().heapUsed;
const afterResources = resources();
await agent.close();
process.stdout.write(
  `${JSON.stringify({ calls: CALLS, baselineHeap, afterHeap, baselineResources, afterResources })}\n`,
);
