import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { registry } from '../../../src/telemetry/metrics.ts';
import {
  epochMsToHrTime,
  formatTraceparent,
  initTracing,
  parseTraceparent,
  planTurn,
  type Tracing,
} from '../../../src/telemetry/tracing.ts';

const hrToMs = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;

async function rejectedCount(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('hva_trace_input_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('traceparent', () => {
  it('round-trips a valid W3C traceparent', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const ctx = parseTraceparent(tp);
    expect(ctx).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(formatTraceparent(ctx!)).toBe(tp);
  });
  it.each([
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
  ])('rejects %s', (tp) => {
    expect(parseTraceparent(tp)).toBeUndefined();
  });
});

describe('epochMsToHrTime', () => {
  it('keeps sub-millisecond precision and normalises nanos', () => {
    expect(epochMsToHrTime(1_700_000_000_123.456)).toEqual([1_700_000_000, 123_456_000]);
    expect(epochMsToHrTime(2000)).toEqual([2, 0]);
  });
});

describe('planTurn', () => {
  it('places each stage between its record times and computes latencies', () => {
    const plan = planTurn({
      index: 3,
      rule: 'earlyFinal',
      transcript: 'שלום עולם',
      speechStartMs: 1000,
      speechEndMs: 2000,
      finalMs: 2150,
      llmRequestMs: 2160,
      llmFirstTokenMs: 2500,
      llmEndMs: 2900,
      ttsRequestMs: 2600,
      ttsFirstAudioMs: 2750,
      playbackStartMs: 2760,
      playbackEndMs: 4000,
    });
    expect(plan).toBeDefined();
    expect(plan!.startMs).toBe(1000);
    expect(plan!.endMs).toBe(4000);
    expect(plan!.attributes).toMatchObject({
      'hva.turn.index': 3,
      'hva.turn.rule': 'earlyFinal',
      'hva.turn.transcript_length': 9,
      'hva.latency.stt_ms': 150,
      'hva.latency.llm_first_token_ms': 340,
      'hva.latency.tts_first_audio_ms': 150,
      'hva.latency.e2e_ms': 760,
    });
    expect(plan!.children.map((c) => [c.name, c.startMs, c.endMs])).toEqual([
      ['stt', 2000, 2150],
      ['llm', 2160, 2900],
      ['tts', 2600, 2750],
      ['playback', 2760, 4000],
    ]);
    expect(plan!.children[1]!.events).toEqual([{ name: 'first_token', atMs: 2500 }]);
  });

  it('omits stages that did not happen and clamps an end before its start', () => {
    const plan = planTurn({ index: 0, speechEndMs: 500, finalMs: 400, llmRequestMs: 600 });
    expect(plan!.children.map((c) => [c.name, c.startMs, c.endMs])).toEqual([['stt', 500, 500]]);
  });

  it('one tool span per tool call, named by tool and outcome', () => {
    const plan = planTurn({
      index: 1,
      speechEndMs: 1000,
      llmRequestMs: 1100,
      llmEndMs: 2600,
      tools: [
        { name: 'check_availability', startMs: 1400, endMs: 2200, outcome: 'ok' },
        { name: 'end_call', startMs: 2600, endMs: 2600, outcome: 'action' },
      ],
    });
    const tools = plan!.children.filter((c) => c.name === 'tool');
    expect(tools.map((c) => [c.startMs, c.endMs, c.attributes])).toEqual([
      [1400, 2200, { 'hva.tool.name': 'check_availability', 'hva.tool.outcome': 'ok' }],
      [2600, 2600, { 'hva.tool.name': 'end_call', 'hva.tool.outcome': 'action' }],
    ]);
  });

  it('returns undefined without any usable time', () => {
    expect(planTurn({ index: 0, speechEndMs: Number.NaN })).toBeUndefined();
  });
});

describe('initTracing', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('is a no-op without an endpoint', async () => {
    tracing = await initTracing(defaultConfig(), silentLogger);
    expect(tracing.enabled).toBe(false);
    const call = tracing.startCallSpan({ callSid: 'CA1', streamSid: 'MZ1' });
    expect(call.traceparent).toBeUndefined();
    expect(call.recordTurn({ index: 0, speechEndMs: 1 })).toBe(true);
    expect(tracing.webhookSpan({ route: '/webhook/voice' }).traceparent).toBeUndefined();
  });

  it('builds the span tree with explicit times under the webhook trace', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await initTracing(defaultConfig({ serviceName: 'unit-svc' }), silentLogger, { exporter });
    const hook = tracing.webhookSpan({ route: '/webhook/voice', callSid: 'CA1' });
    hook.end(200);
    const origin = 1_750_000_000_000;
    const call = tracing.startCallSpan({
      callSid: 'CA1',
      streamSid: 'MZ1',
      parentTraceparent: hook.traceparent,
      originEpochMs: origin,
    });
    expect(
      call.recordTurn({
        index: 0,
        speechStartMs: 100,
        speechEndMs: 900,
        finalMs: 1000,
        llmRequestMs: 1000,
        llmFirstTokenMs: 1300,
        llmEndMs: 1500,
      }),
    ).toBe(true);
    call.end(5000, 'stop');
    expect(call.recordTurn({ index: 1, speechEndMs: 6000 })).toBe(false);
    await tracing.flush();

    const spans = exporter.getFinishedSpans();
    const byName = new Map<string, ReadableSpan>(spans.map((s) => [s.name, s]));
    const webhook = byName.get('POST /webhook/voice')!;
    const session = byName.get('session')!;
    const turn = byName.get('turn')!;
    const llm = byName.get('llm')!;
    expect(session.spanContext().traceId).toBe(webhook.spanContext().traceId);
    expect(session.parentSpanContext?.spanId).toBe(webhook.spanContext().spanId);
    expect(turn.parentSpanContext?.spanId).toBe(session.spanContext().spanId);
    expect(llm.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
    expect(hrToMs(session.startTime) - origin).toBe(0);
    expect(hrToMs(session.endTime) - origin).toBe(5000);
    expect(hrToMs(llm.startTime) - origin).toBe(1000);
    expect(hrToMs(llm.endTime) - origin).toBe(1500);
    expect(hrToMs(llm.events[0]!.time) - origin).toBe(1300);
    expect(session.attributes['hva.turns']).toBe(1);
    expect(session.resource.attributes['service.name']).toBe('unit-svc');
  });

  it('counts an invalid parent traceparent and starts a new trace', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await initTracing(defaultConfig(), silentLogger, { exporter });
    const before = await rejectedCount('invalid_traceparent');
    const call = tracing.startCallSpan({
      callSid: 'CA2',
      streamSid: 'MZ2',
      parentTraceparent: 'not-a-traceparent',
    });
    expect(call.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await rejectedCount('invalid_traceparent')).toBe(before + 1);
    call.end();
    await tracing.flush();
    expect(exporter.getFinishedSpans()[0]!.parentSpanContext).toBeUndefined();
  });
});
