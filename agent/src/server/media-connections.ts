// The agent's accepted media sockets, started or not (StreamGate tells them apart): each becomes
// a MediaConnection unless the gate refuses it (1013 Try Again Later: Twilio then continues with
// the TwiML after <Connect>, the fallback), and leaves the set when its call has finished.
import type { WebSocket } from 'ws';
import type { Config } from '../config/schema.ts';
import type { CallHandlerFactory, CallStartInfo } from '../call/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { MediaConnection } from '../twilio/connection.ts';
import type { StreamGate } from './stream-gate.ts';

/** Base64 JSON media messages take about 1.4 bytes per mu-law byte on the wire. */
const WIRE_BYTES_PER_AUDIO_SECOND = 8000 * 1.4;

export interface MediaConnectionsDeps {
  readonly config: Pick<Config, 'startTimeoutMs' | 'mediaTimeoutMs' | 'outboundBufferSeconds'>;
  readonly logger: Logger;
  readonly gate: Pick<StreamGate, 'refuseSocket' | 'admitStart' | 'started' | 'finished' | 'addPending'>;
  /** A socket without a valid `start` by then is closed (1008). Default config.startTimeoutMs. */
  readonly startTimeoutMs?: number;
  readonly completeCall?: (info: CallStartInfo) => Promise<void>;
  /** After a connection left the set. */
  readonly onFinished: () => void;
}

export class MediaConnections {
  private readonly open = new Set<MediaConnection>();
  private seq = 0;

  private readonly d: MediaConnectionsDeps;

  constructor(deps: MediaConnectionsDeps) {
    this.d = deps;
  }

  get size(): number {
    return this.open.size;
  }

  accept(ws: WebSocket, handlerFactory: CallHandlerFactory): void {
    const { config, gate } = this.d;
    const refusal = gate.refuseSocket();
    if (refusal !== undefined) return ws.close(1013, refusal);
    this.seq += 1;
    const conn = new MediaConnection({
      socket: ws,
      logger: this.d.logger,
      handlerFactory,
      connectionId: `ws-${this.seq}`,
      startTimeoutMs: this.d.startTimeoutMs ?? config.startTimeoutMs,
      mediaTimeoutMs: config.mediaTimeoutMs,
      outboundBufferBytes: Math.round(config.outboundBufferSeconds * WIRE_BYTES_PER_AUDIO_SECOND),
      admitStart: gate.admitStart,
      ...(this.d.completeCall ? { completeCall: this.d.completeCall } : {}),
      onStarted: (c) => gate.started(c),
      onFinished: (c) => {
        this.open.delete(c);
        gate.finished(c);
        this.d.onFinished();
      },
    });
    this.open.add(conn);
    gate.addPending(conn);
  }

  async endAll(reason: string): Promise<void> {
    await Promise.all([...this.open].map((c) => c.end(reason, 1001)));
  }
}
