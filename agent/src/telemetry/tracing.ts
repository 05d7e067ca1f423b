// OpenTelemetry traces for calls: webhook -> session -> turn -> stt / llm / tts / playback.
//
// Spans are built from the turn record after the fact, with EXPLICIT start/end times taken from
// the call clock, so spans, logs and metrics always agree and nothing on the audio path waits
// for tracing. Exported over OTLP/HTTP (protobuf) to `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`;
// tracing is off (a no-op implementation, zero cost) when the endpoint is empty.
//
// The voice webhook's trace continues into the call: `webhookSpan()` returns a W3C traceparent
// that the edge puts into TwiML as <Parameter name="traceparent" value="..."/>; Twilio echoes it
// in the Media Stream `start` message (customParameters.traceparent), and the session passes it
// to `startCallSpan({ parentTraceparent })`.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, HrTime, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Counter } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { Logger } from './logger.ts';
import { registry } from './metrics.ts';

/** Name of the TwiML <Parameter> (and Media Streams customParameters key) that carries the trace. */
export const TRACEPARENT_PARAMETER = 'traceparent';

/**
 * What a turn span is built from. Every time is in ms on the call clock (0 = the stream's
 * `start`, same origin as AudioChunk.audioTimeMs / MediaSink.now()). A missing time means the
 * stage did not happen (e.g. no playback after a barge-in); its span is then omitted.
 */
export interface TurnTraceRecord {
  /** 0-based turn index within the call. */
  readonly index: number;
  /** Which rule ended the caller's utterance (TurnEndRule: silence | noVoiceTimeout | sttFinal | earlyFinal). */
  readonly rule?: string;
  /** The final transcript; only its length is recorded (no caller speech in traces). */
  readonly transcript?: string;
  readonly speechStartMs?: number;
  readonly speechEndMs?: number;
  /** Final (or early final) transcript available. */
  readonly finalMs?: number;
  readonly llmRequestMs?: number;
  readonly llmFirstTokenMs?: number;
  readonly llmEndMs?: number;
  readonly ttsRequestMs?: number;
  readonly ttsFirstAudioMs?: number;
  /** First agent audio frame sent to Twilio. */
  readonly playbackStartMs?: number;
  /** Last mark confirmed played, or the moment playback was cleared. */
  readonly playbackEndMs?: number;
  /** The caller barged in during this turn's playback. */
  readonly interrupted?: boolean;
  /** The LLM answer was started preemptively and kept. */
  readonly preemptiveHit?: boolean;
  /** Tool calls of the answer (tools/loop.ts ToolTiming): one 'tool' span each. */
  readonly tools?: readonly { name: string; startMs: number; endMs: number; outcome: string }[];
}

export interface CallSpanInfo {
  readonly callSid: string;
  readonly streamSid: string;
  /** W3C traceparent from the webhook (customParameters.traceparent); invalid values start a new trace (counted). */
  readonly parentTraceparent?: string;
  /** Wall-clock epoch ms at call-clock 0. Default: derived from startedAtMs, else now. */
  readonly originEpochMs?: number;
  /** performance.now() at call-clock 0 (CallStartInfo.startedAtMs). */
  readonly startedAtMs?: number;
}

export interface CallTrace {
  /** The session span's traceparent (for logs and outgoing requests); undefined when tracing is off. */
  readonly traceparent: string | undefined;
  readonly traceId: string | undefined;
  /** Emits one 'turn' span with its 'stt' / 'llm' / 'tts' / 'playback' children. Returns false when rejected (counted). */
  recordTurn(record: TurnTraceRecord): boolean;
  /** Ends the session span at `atMs` on the call clock (default: now). Idempotent. */
  end(atMs?: number, reason?: string): void;
}

export interface WebhookSpanInfo {
  readonly callSid?: string;
  /** Route, e.g. '/webhook/voice'. */
  readonly route: string;
  /** Incoming traceparent header, if any (a load balancer or test client may send one). */
  readonly traceparent?: string;
}

export interface WebhookSpan {
  /** Put this into TwiML <Parameter name="traceparent">; undefined when tracing is off. */
  readonly traceparent: string | undefined;
  end(statusCode: number): void;
}

export interface Tracing {
  readonly enabled: boolean;
  startCallSpan(info: CallSpanInfo): CallTrace;
  webhookSpan(info: WebhookSpanInfo): WebhookSpan;
  /** Exports everything buffered so far. Never rejects (failures are counted and logged). */
  flush(): Promise<void>;
  /** Flushes and stops the exporter; later spans are dropped. Never rejects. */
  shutdown(): Promise<void>;
}

// Declared once even if this module is evaluated twice (e.g. src and dist in one process).
function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}
const traceExportFailures = counter(
  'hva_trace_export_failures_total',
  'OTLP trace export batches that failed (collector unreachable or rejecting).',
);
const traceSpansExported = counter(
  'hva_trace_spans_exported_total',
  'Spans exported successfully over OTLP.',
);
const traceInputRejected = counter(
  'hva_trace_input_rejected_total',
  'Tracing inputs ignored: invalid traceparent, turn after call end, or a turn record without usable times.',
  ['reason'],
);

// --- W3C traceparent (pure) -------------------------------------------------------------------

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a W3C traceparent into a remote span context; undefined when malformed or all-zero. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 0xff, isRemote: true };
}

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

// --- time (pure) ------------------------------------------------------------------------------

/** Epoch milliseconds (fractional) -> OTel HrTime, exact to the microsecond. */
export function epochMsToHrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  // Rounded to whole microseconds: a double holding epoch ms is only ~0.25 us precise.
  const nanos = Math.round((epochMs - seconds * 1000) * 1e3) * 1e3;
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

/** A child span to emit: name and [start, end] on the call clock. */
export interface PlannedSpan {
  readonly name: 'stt' | 'llm' | 'tts' | 'playback' | 'tool';
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly events?: readonly { readonly name: string; readonly atMs: number }[];
}

export interface TurnPlan {
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly children: readonly PlannedSpan[];
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Pure: turn record -> the turn span and its children. Returns undefined when the record holds
 * no usable time. A stage span needs both ends; an end before its start is clamped to the start.
 */
export function planTurn(r: TurnTraceRecord): TurnPlan | undefined {
  const span = (
    name: PlannedSpan['name'],
    start: number | undefined,
    end: number | undefined,
    attributes: Attributes,
    events?: PlannedSpan['events'],
  ): PlannedSpan | undefined =>
    finite(start) && finite(end)
      ? { name, startMs: start, endMs: Math.max(start, end), attributes, ...(events ? { events } : {}) }
      : undefined;
  const diff = (a: number | undefined, b: number | undefined): number | undefined =>
    finite(a) && finite(b) ? Math.max(0, b - a) : undefined;

  const sttMs = diff(r.speechEndMs, r.finalMs);
  const llmFirstTokenMs = diff(r.llmRequestMs, r.llmFirstTokenMs);
  const ttsFirstAudioMs = diff(r.ttsRequestMs, r.ttsFirstAudioMs);
  const e2eMs = diff(r.speechEndMs, r.playbackStartMs);

  const children = [
    span('stt', r.speechEndMs, r.finalMs, { 'hva.latency_ms': sttMs ?? 0 }),
    span(
      'llm',
      r.llmRequestMs,
      r.llmEndMs ?? r.llmFirstTokenMs,
      { 'hva.first_token_ms': llmFirstTokenMs ?? -1, 'hva.preemptive_hit': r.preemptiveHit ?? false },
      finite(r.llmFirstTokenMs) ? [{ name: 'first_token', atMs: r.llmFirstTokenMs }] : undefined,
    ),
    span('tts', r.ttsRequestMs, r.ttsFirstAudioMs, { 'hva.first_audio_ms': ttsFirstAudioMs ?? -1 }),
    span('playback', r.playbackStartMs, r.playbackEndMs, { 'hva.interrupted': r.interrupted ?? false }),
    ...(r.tools ?? []).map((t) =>
      span('tool', t.startMs, t.endMs, { 'hva.tool.name': t.name, 'hva.tool.outcome': t.outcome }),
    ),
  ].filter((s): s is PlannedSpan => s !== undefined);

  const times = [
    r.speechStartMs,
    r.speechEndMs,
    r.finalMs,
    r.llmRequestMs,
    r.llmFirstTokenMs,
    r.llmEndMs,
    r.ttsRequestMs,
    r.ttsFirstAudioMs,
    r.playbackStartMs,
    r.playbackEndMs,
  ].filter(finite);
  if (times.length === 0) return undefined;

  const attributes: Attributes = {
    'hva.turn.index': r.index,
    'hva.turn.interrupted': r.interrupted ?? false,
    'hva.turn.transcript_length': r.transcript?.length ?? 0,
  };
  if (r.rule !== undefined) attributes['hva.turn.rule'] = r.rule;
  if (sttMs !== undefined) attributes['hva.latency.stt_ms'] = sttMs;
  if (llmFirstTokenMs !== undefined) attributes['hva.latency.llm_first_token_ms'] = llmFirstTokenMs;
  if (ttsFirstAudioMs !== undefined) attributes['hva.latency.tts_first_audio_ms'] = ttsFirstAudioMs;
  if (e2eMs !== undefined) attributes['hva.latency.e2e_ms'] = e2eMs;

  return { startMs: Math.min(...times), endMs: Math.max(...times), attributes, children };
}

// --- no-op implementation (tracing off) --------------------------------------------------------

const NOOP_CALL: CallTrace = {
  traceparent: undefined,
  traceId: undefined,
  recordTurn: () => true,
  end: () => {},
};
const NOOP_WEBHOOK: WebhookSpan = { traceparent: undefined, end: () => {} };

function noopTracing(): Tracing {
  return {
    enabled: false,
    startCallSpan: () => NOOP_CALL,
    webhookSpan: () => NOOP_WEBHOOK,
    flush: async () => {},
    shutdown: async () => {},
  };
}

// --- the real implementation -------------------------------------------------------------------

type ExportDone = Parameters<SpanExporter['export']>[1];
/** ExportResultCode.SUCCESS in @opentelemetry/core (not a direct dependency). */
const EXPORT_SUCCESS = 0;

/** Counts export results so a broken collector shows up in metrics, not only in diag logs. */
class CountingExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  private readonly logger: Logger;
  private lastFailureLogAt = 0;
  constructor(inner: SpanExporter, logger: Logger) {
    this.inner = inner;
    this.logger = logger;
  }
  export(spans: ReadableSpan[], done: ExportDone): void {
    this.inner.export(spans, (result) => {
      if (result.code === EXPORT_SUCCESS) traceSpansExported.inc(spans.length);
      else {
        traceExportFailures.inc();
        // At most one line a minute: a dead collector must not flood the logs.
        if (Date.now() - this.lastFailureLogAt > 60_000) {
          this.lastFailureLogAt = Date.now();
          this.logger.warn({ err: result.error?.message, spans: spans.length }, 'OTLP trace export failed');
        }
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export interface TracingOptions {
  /** Replaces the OTLP exporter (tests). */
  readonly exporter?: SpanExporter;
  /** Batch delay before an export, ms (default 2000). */
  readonly scheduledDelayMs?: number;
}

/** Starts tracing from config: OTLP/HTTP to config.otlpEndpoint, off when it is empty. */
export async function initTracing(
  config: Pick<Config, 'otlpEndpoint' | 'serviceName' | 'podName' | 'region'>,
  logger: Logger,
  options: TracingOptions = {},
): Promise<Tracing> {
  if (config.otlpEndpoint === '' && options.exporter === undefined) {
    logger.info('Tracing disabled (OTEL_EXPORTER_OTLP_ENDPOINT is empty)');
    return noopTracing();
  }
  const url = `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter = new CountingExporter(
    options.exporter ?? new OTLPTraceExporter({ url, timeoutMillis: 5_000 }),
    logger,
  );
  const resourceAttributes: Attributes = {
    'service.name': config.serviceName,
    'cloud.region': config.region,
  };
  if (config.podName !== '') resourceAttributes['k8s.pod.name'] = config.podName;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: options.scheduledDelayMs ?? 2000,
        maxQueueSize: 8192,
        maxExportBatchSize: 512,
      }),
    ],
  });
  const tracer = provider.getTracer('hebrew-voice-agent');
  let stopped = false;
  logger.info(
    { url: options.exporter ? '(custom exporter)' : url, serviceName: config.serviceName },
    'Tracing enabled',
  );

  return {
    enabled: true,
    startCallSpan: (info) => (stopped ? NOOP_CALL : new OtelCallTrace(tracer, info, logger)),
    webhookSpan: (info) => (stopped ? NOOP_WEBHOOK : startWebhookSpan(tracer, info)),
    // A failed export is already counted and logged by CountingExporter; flushing and shutting
    // down must never fail the caller (a dead collector must not break a drain).
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: async () => {
      if (stopped) return;
      stopped = true;
      await provider.shutdown().catch(() => undefined);
    },
  };
}

function parentContext(traceparent: string | undefined): Context {
  if (traceparent === undefined || traceparent === '') return ROOT_CONTEXT;
  const parent = parseTraceparent(traceparent);
  if (parent === undefined) {
    traceInputRejected.inc({ reason: 'invalid_traceparent' });
    return ROOT_CONTEXT;
  }
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

function startWebhookSpan(tracer: Tracer, info: WebhookSpanInfo): WebhookSpan {
  const attributes: Attributes = { 'http.route': info.route, 'http.request.method': 'POST' };
  if (info.callSid !== undefined) attributes['twilio.call_sid'] = info.callSid;
  const span = tracer.startSpan(
    `POST ${info.route}`,
    { kind: SpanKind.SERVER, attributes },
    parentContext(info.traceparent),
  );
  const ctx = span.spanContext();
  let ended = false;
  return {
    traceparent: formatTraceparent(ctx),
    end(statusCode) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

class OtelCallTrace implements CallTrace {
  readonly traceparent: string;
  readonly traceId: string;
  private readonly tracer: Tracer;
  private readonly logger: Logger;
  private readonly originEpochMs: number;
  private readonly session: Span;
  private readonly sessionContext: Context;
  private ended = false;
  private turns = 0;

  constructor(tracer: Tracer, info: CallSpanInfo, logger: Logger) {
    this.tracer = tracer;
    this.logger = logger;
    this.originEpochMs =
      info.originEpochMs ??
      (info.startedAtMs !== undefined ? performance.timeOrigin + info.startedAtMs : Date.now());
    this.session = tracer.startSpan(
      'session',
      {
        kind: SpanKind.SERVER,
        startTime: this.at(0),
        attributes: { 'twilio.call_sid': info.callSid, 'twilio.stream_sid': info.streamSid },
      },
      parentContext(info.parentTraceparent),
    );
    this.sessionContext = trace.setSpan(ROOT_CONTEXT, this.session);
    const ctx = this.session.spanContext();
    this.traceparent = formatTraceparent(ctx);
    this.traceId = ctx.traceId;
  }

  private at(callMs: number): HrTime {
    return epochMsToHrTime(this.originEpochMs + callMs);
  }

  recordTurn(record: TurnTraceRecord): boolean {
    if (this.ended) {
      traceInputRejected.inc({ reason: 'turn_after_end' });
      this.logger.debug({ turn: record.index }, 'turn recorded after the call span ended; not traced');
      return false;
    }
    const plan = planTurn(record);
    if (plan === undefined) {
      traceInputRejected.inc({ reason: 'turn_without_times' });
      return false;
    }
    this.turns++;
    const turn = this.tracer.startSpan(
      'turn',
      { startTime: this.at(plan.startMs), attributes: plan.attributes },
      this.sessionContext,
    );
    const turnContext = trace.setSpan(ROOT_CONTEXT, turn);
    for (const child of plan.children) {
      const span = this.tracer.startSpan(
        child.name,
        { startTime: this.at(child.startMs), attributes: child.attributes },
        turnContext,
      );
      for (const event of child.events ?? []) span.addEvent(event.name, this.at(event.atMs));
      span.end(this.at(child.endMs));
    }
    turn.end(this.at(plan.endMs));
    return true;
  }

  end(atMs?: number, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.session.setAttribute('hva.turns', this.turns);
    if (reason !== undefined) this.session.setAttribute('hva.end_reason', reason);
    const endEpoch = atMs !== undefined ? this.originEpochMs + atMs : Date.now();
    this.session.end(epochMsToHrTime(Math.max(endEpoch, this.originEpochMs)));
  }
}
