// The agent side of `npm run bench:edge`, run as a child process: the real edge (startAgent:
// fastify, signature check, Media Streams protocol, marks, metrics) with the pass-through call
// handler instead of STT/LLM/TTS. It reports its own event-loop delay, CPU and memory to the
// parent over IPC, so the parent's hundreds of simulated callers do not disturb the numbers.
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startAgent } from '../src/app.ts';
import { passthroughFactory } from '../src/sim/passthrough.ts';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/telemetry/logger.ts';

export type ParentMessage = { type: 'reset' } | { type: 'sample' } | { type: 'close' };
export type ChildMessage =
  | { type: 'ready'; url: string; port: number; publicHost: string; rss: number }
  | {
      type: 'sample';
      elapsedMs: number;
      lagP50Ms: number;
      lagP99Ms: number;
      lagMaxMs: number;
      lagMeanMs: number;
      cpuUserMs: number;
      cpuSystemMs: number;
      rss: number;
      heapUsed: number;
      activeCalls: number;
      /** Garbage-collection pauses since the reset: count, total and longest (ms). */
      gcCount: number;
      gcTotalMs: number;
      gcMaxMs: number;
    };

if (!process.send) throw new Error('edge-agent.ts is started by bench/edge.ts over IPC');
const send = (m: ChildMessage) => process.send!(m);

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const agent = await startAgent({
  config,
  logger,
  handlerFactory: passthroughFactory,
  installSignalHandlers: false,
});

// 1 ms sampling: the target (p99 < 10 ms) needs better resolution than the agent's own 10 ms gauge.
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
let cpu = process.cpuUsage();
let since = performance.now();
let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += e.duration;
    if (e.duration > gc.maxMs) gc.maxMs = e.duration;
  }
}).observe({ entryTypes: ['gc'] });

process.on('message', (m: ParentMessage) => {
  if (m.type === 'reset') {
    lag.reset();
    cpu = process.cpuUsage();
    since = performance.now();
    gc = { count: 0, totalMs: 0, maxMs: 0 };
  } else if (m.type === 'sample') {
    const used = process.cpuUsage(cpu);
    const mem = process.memoryUsage();
    send({
      type: 'sample',
      elapsedMs: performance.now() - since,
      // monitorEventLoopDelay reports the timer's total delay; subtract the 1 ms sampling interval.
      lagP50Ms: Math.max(0, lag.percentile(50) / 1e6 - 1),
      lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - 1),
      lagMaxMs: Math.max(0, lag.max / 1e6 - 1),
      lagMeanMs: Math.max(0, lag.mean / 1e6 - 1),
      cpuUserMs: used.user / 1000,
      cpuSystemMs: used.system / 1000,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      activeCalls: agent.activeCalls(),
      gcCount: gc.count,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
    });
  } else if (m.type === 'close') {
    lag.disable();
    void agent.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  void agent.close().then(() => process.exit(0));
});

send({
  type: 'ready',
  url: agent.url,
  port: agent.port,
  publicHost: agent.publicHost,
  rss: process.memoryUsage().rss,
});
