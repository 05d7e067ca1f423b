// How steadily the agent's audio reaches a simulated caller: echo jitter within talk spurts and,
// for pass-through agents, the round trip from a frame's send to its echo. Pure: times are passed in.
import { MsHistogram } from './histogram.ts';

/** Bytes per ms of 8 kHz mu-law. */
const BYTES_PER_MS = 8;
/** Send times kept for the round trip (a ring: older frames are not matched). */
const SEND_RING = 1024;

export interface EchoTimingOptions {
  readonly frameBytes: number;
  /** Echoed audio arriving more than this much later than a steady stream would is late. */
  readonly lateFrameMs: number;
  /** Gap after which echoed audio starts a new talk spurt. */
  readonly spurtGapMs: number;
  /** Record the frame send -> echo round trip (pass-through agents echo byte for byte). */
  readonly measureRtt: boolean;
}

export class EchoTiming {
  readonly jitter = new MsHistogram();
  readonly rtt: MsHistogram | undefined;
  /** Echoes later than lateFrameMs. */
  late = 0;
  private readonly sendTimes: Float64Array | undefined;
  private framesSent = 0;
  private echoedBytes = 0;
  private spurtMinTransit = Infinity;
  private spurtBytes = 0;
  private lastArrival = -Infinity;

  private readonly opts: EchoTimingOptions;

  constructor(opts: EchoTimingOptions) {
    this.opts = opts;
    if (opts.measureRtt) {
      this.rtt = new MsHistogram();
      this.sendTimes = new Float64Array(SEND_RING);
    }
  }

  /** A caller frame left at `sentAtMs` (any clock, the same one `onEcho` gets). */
  onFrameSent(sentAtMs: number): void {
    if (this.sendTimes) this.sendTimes[this.framesSent % SEND_RING] = sentAtMs;
    this.framesSent++;
  }

  /** An agent media message of `bytes` arrived at `atMs`. */
  onEcho(atMs: number, bytes: number): void {
    if (this.sendTimes && this.rtt) {
      this.echoedBytes += bytes;
      // The frame holding the message's last byte: a batching agent could not send before it arrived.
      const frame = Math.ceil(this.echoedBytes / this.opts.frameBytes) - 1;
      if (frame >= 0 && frame < this.framesSent && this.framesSent - frame <= SEND_RING) {
        this.rtt.add(atMs - this.sendTimes[frame % SEND_RING]!);
      }
    }
    // Jitter: within a talk spurt, each message should arrive when a steady real-time stream
    // would deliver it (spurt start + bytes so far / 8); lateness is measured against the
    // earliest such transit seen in the spurt.
    if (atMs - this.lastArrival > this.opts.spurtGapMs) {
      this.spurtMinTransit = Infinity;
      this.spurtBytes = 0;
    }
    const transit = atMs - this.spurtBytes / BYTES_PER_MS;
    if (transit < this.spurtMinTransit) this.spurtMinTransit = transit;
    const excess = transit - this.spurtMinTransit;
    this.jitter.add(excess);
    if (excess > this.opts.lateFrameMs) this.late++;
    this.spurtBytes += bytes;
    this.lastArrival = atMs;
  }
}
