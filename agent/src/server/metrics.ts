// Edge metrics (HTTP routes, Media Streams sockets, drain) on the shared registry.
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const activeCalls = new Gauge({
  name: 'hva_active_calls',
  help: 'Calls with a live Media Streams socket that has received start.',
  registers: [registry],
});

export const callsTotal = new Counter({
  name: 'hva_calls_total',
  help: 'Calls started (start event accepted) since boot.',
  registers: [registry],
});

/**
 * A counter bumped on the per-frame hot path: a plain integer, published to prom-client only when
 * /metrics is scraped (prom-client's inc() allocates and validates on every call, 50+ times per
 * second per call here). Same exposition as a Counter; the value is process-wide.
 */
export class HotCounter {
  value = 0;

  constructor(name: string, help: string) {
    const read = (): number => this.value;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  inc(n = 1): void {
    this.value += n;
  }
}

export const framesIn = new HotCounter('hva_frames_in_total', 'Inbound media frames accepted.');

export const framesOut = new HotCounter(
  'hva_frames_out_total',
  'Outbound media messages sent to Twilio (any size: the edge sends audio as handed over, up to 200 ms per message).',
);

export const malformedFrames = new Counter({
  name: 'hva_malformed_frames_total',
  help: 'Inbound frames rejected by the protocol layer, by kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const lateFrames = new HotCounter(
  'hva_late_frames_total',
  'Inbound media frames that arrived out of order or held up beyond the lateness threshold.',
);

export const droppedFrames = new HotCounter(
  'hva_dropped_frames_total',
  'Inbound media frames missing (gaps in chunk numbers).',
);

export const streamStatusEvents = new Counter({
  name: 'hva_stream_status_events_total',
  help: 'Twilio stream status callbacks received, by StreamEvent.',
  labelNames: ['event'] as const,
  registers: [registry],
});

export const refusedStreams = new Counter({
  name: 'hva_refused_streams_total',
  help: 'Media Streams sockets refused, by reason (draining, max_calls, not_ready, signature, not_found, stream_token).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const rejectedRequests = new Counter({
  name: 'hva_rejected_requests_total',
  help: 'Requests and media sockets rejected before a call started, by route and reason (signature, dev_token_remote, stream token problems, pending_evicted, start_timeout, token).',
  labelNames: ['route', 'reason'] as const,
  registers: [registry],
});

export const callsLost = new Counter({
  name: 'hva_calls_lost_total',
  help: 'Started calls whose Media Streams socket closed or failed without a stop (network loss): Twilio does not reconnect a stream, so each is a call cut off mid-conversation. By reason (socket_closed, socket_error).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const callsEndedByEdge = new Counter({
  name: 'hva_calls_ended_by_edge_total',
  help: 'Started calls the edge ended because the peer misbehaved, by reason (media_timeout, slow_consumer).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const peerValuesRejected = new Counter({
  name: 'hva_peer_values_rejected_total',
  help: 'Peer-supplied media values not taken at face value, by field (timestamp_ahead: audio time clamped to the call clock; chunk_jump: implausible chunk gap not counted as dropped frames).',
  labelNames: ['field'] as const,
  registers: [registry],
});

export const signatureRejections = new Counter({
  name: 'hva_signature_rejections_total',
  help: 'Requests rejected with 403 for a missing or invalid X-Twilio-Signature, by route.',
  labelNames: ['route'] as const,
  registers: [registry],
});

export const handlerErrors = new Counter({
  name: 'hva_call_handler_errors_total',
  help: 'Exceptions thrown by call handlers (caught by the edge), by method.',
  labelNames: ['method'] as const,
  registers: [registry],
});

export const sinkAfterClose = new Counter({
  name: 'hva_sink_after_close_total',
  help: 'MediaSink calls made after the stream closed (ignored).',
  registers: [registry],
});

export const deletionCostUpdates = new Counter({
  name: 'hva_deletion_cost_updates_total',
  help: 'Pod deletion-cost annotation patches, by result.',
  labelNames: ['result'] as const,
  registers: [registry],
});

// Event-loop delay: one histogram per process, shared by every running agent (ref-counted so
// tests that start several agents do not fight over it). Each scrape reads and resets it, so the
// quantiles cover the interval since the previous scrape.
let histogram: ELDHistogram | undefined;
let users = 0;

export const eventLoopLag = new Gauge({
  name: 'hva_event_loop_lag_seconds',
  help: 'Event-loop delay since the previous scrape (quantile 0.5, 0.99, max), from perf_hooks.monitorEventLoopDelay.',
  labelNames: ['quantile'] as const,
  registers: [registry],
  collect() {
    if (histogram === undefined || histogram.count === 0) return;
    this.set({ quantile: '0.5' }, histogram.percentile(50) / 1e9);
    this.set({ quantile: '0.99' }, histogram.percentile(99) / 1e9);
    this.set({ quantile: 'max' }, histogram.max / 1e9);
    histogram.reset();
  },
});

export function acquireEventLoopMonitor(): () => void {
  if (histogram === undefined) {
    histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
  }
  users += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0 && histogram !== undefined) {
      histogram.disable();
      histogram = undefined;
    }
  };
}
