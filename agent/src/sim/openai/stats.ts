// What the OpenAI emulator measures of itself (late first tokens, connections, warm-ups, the
// event loop's delay) and the connection set-up cost it emulates (connectionSetupMs: a request on
// a connection still in its handshake waits for it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { logNormalSampler } from '../profile.ts';
import { wait } from './http.ts';
import type { OpenAiEmulatorStats, OpenAiLatency } from './types.ts';

/** A first token sent up to this late is on time (timer granularity). */
const LATE_TOLERANCE_MS = 2;
/** The late first tokens kept for the report. */
const LATE_SAMPLES_KEPT = 10_000;

export class EmulatorStats {
  readonly counts = {
    streams: 0,
    lateFirstTokens: 0,
    firstTokenLateMsMax: 0,
    firstTokenLateMs: [] as number[],
    connections: 0,
    modelRequests: 0,
    coldRequests: 0,
    coldChats: 0,
  };
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly setupCost: (() => number) | undefined;
  /** When each connection's (emulated) handshake is over: requests on it are read from then on. */
  private readonly readyAt = new WeakMap<object, number>();

  constructor(latency: OpenAiLatency, random: () => number) {
    this.loopDelay.enable();
    this.setupCost =
      latency.connectionSetupMs === undefined
        ? undefined
        : logNormalSampler(latency.connectionSetupMs, random);
  }

  onConnection(socket: Socket): void {
    this.counts.connections++;
    if (this.setupCost) this.readyAt.set(socket, performance.now() + this.setupCost());
  }

  /** A request on a connection still in its handshake waits for it (what TLS set-up costs). */
  async awaitHandshake(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ready = this.readyAt.get(req.socket) ?? 0;
    if (ready <= performance.now()) return;
    this.counts.coldRequests++;
    if (req.method === 'POST') this.counts.coldChats++;
    await wait(ready - performance.now(), res);
  }

  /** The first token left later than due (event loop busy): the emulator's own cost. */
  noteFirstToken(due: number, sentAt: number): void {
    const c = this.counts;
    c.streams++;
    const late = sentAt - due;
    if (late <= LATE_TOLERANCE_MS) return;
    c.lateFirstTokens++;
    c.firstTokenLateMsMax = Math.max(c.firstTokenLateMsMax, late);
    c.firstTokenLateMs.push(late);
    if (c.firstTokenLateMs.length > LATE_SAMPLES_KEPT) c.firstTokenLateMs.shift();
  }

  snapshot(): OpenAiEmulatorStats {
    // The histogram's delay includes its own sampling interval.
    const loopMs = (ns: number): number => (this.loopDelay.count === 0 ? 0 : Math.max(0, ns / 1e6 - 10));
    return {
      ...this.counts,
      firstTokenLateMs: [...this.counts.firstTokenLateMs],
      eventLoopDelayMs: {
        p50: loopMs(this.loopDelay.percentile(50)),
        p99: loopMs(this.loopDelay.percentile(99)),
        max: loopMs(this.loopDelay.max),
      },
    };
  }

  stop(): void {
    this.loopDelay.disable();
  }
}
