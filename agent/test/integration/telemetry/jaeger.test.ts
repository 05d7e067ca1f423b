// Exports a call (webhook + session + two turns) over real OTLP/HTTP to a real Jaeger v2 and
// checks the span tree and the explicit timings through Jaeger's query API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test-env/net.ts';
import {
  startJaeger,
  type JaegerInstance,
  type JaegerSpan,
  type JaegerTrace,
} from '../../../../test-env/jaeger.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { registry } from '../../../src/telemetry/metrics.ts';
import { initTracing, type TurnTraceRecord } from '../../../src/telemetry/tracing.ts';

let jaeger: JaegerInstance;

beforeAll(async () => {
  jaeger = await startJaeger();
});
afterAll(async () => {
  await jaeger?.stop();
});

const tag = (s: JaegerSpan, key: string): unknown => s.tags.find((t) => t.key === key)?.value;
const children = (t: JaegerTrace, parent: JaegerSpan): JaegerSpan[] =>
  t.spans
    .filter((s) => s.references.some((r) => r.refType === 'CHILD_OF' && r.spanID === parent.spanID))
    .sort((a, b) => a.startTime - b.startTime);

const turns: TurnTraceRecord[] = [
  {
    index: 0,
    rule: 'sttFinal',
    transcript: 'מה השעה',
    speechStartMs: 1200,
    speechEndMs: 2100,
    finalMs: 2350,
    llmRequestMs: 2360,
    llmFirstTokenMs: 2700,
    llmEndMs: 3100,
    ttsRequestMs: 2800,
    ttsFirstAudioMs: 2950,
    playbackStartMs: 2960,
    playbackEndMs: 4500,
  },
  {
    index: 1,
    rule: 'earlyFinal',
    transcript: 'תודה רבה',
    speechStartMs: 6000,
    speechEndMs: 6800,
    finalMs: 6900,
    llmRequestMs: 6650,
    llmFirstTokenMs: 7000,
    llmEndMs: 7200,
    ttsRequestMs: 7050,
    ttsFirstAudioMs: 7180,
    playbackStartMs: 7190,
    playbackEndMs: 7600,
    interrupted: true,
    preemptiveHit: true,
  },
];

describe('tracing into a real Jaeger v2', () => {
  it('exports webhook > session > turn > stt/llm/tts/playback with the record timings', async () => {
    const service = `hva-it-${process.pid}-${Date.now()}`;
    const tracing = await initTracing(
      defaultConfig({ otlpEndpoint: jaeger.otlpHttpEndpoint, serviceName: service }),
      silentLogger,
    );
    try {
      const hook = tracing.webhookSpan({ route: '/webhook/voice', callSid: 'CA0123' });
      hook.end(200);
      expect(hook.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

      const origin = Date.now() - 10_000; // a call that started 10 s ago, on whole ms for exact checks
      const call = tracing.startCallSpan({
        callSid: 'CA0123',
        streamSid: 'MZ0456',
        parentTraceparent: hook.traceparent,
        originEpochMs: origin,
      });
      for (const t of turns) expect(call.recordTurn(t)).toBe(true);
      call.end(8000, 'caller hung up');
      await tracing.flush();

      const [trace] = await jaeger.waitForTraces(
        service,
        (ts) => ts.length === 1 && ts[0]!.spans.length === 12,
      );
      expect(trace!.traceID).toBe(call.traceId);
      expect(hook.traceparent!.split('-')[1]).toBe(call.traceId);
      expect(Object.values(trace!.processes)[0]!.serviceName).toBe(service);

      const root = trace!.spans.filter((s) => s.references.length === 0);
      expect(root.map((s) => s.operationName)).toEqual(['POST /webhook/voice']);
      const [session] = children(trace!, root[0]!);
      expect(session!.operationName).toBe('session');
      expect(tag(session!, 'twilio.call_sid')).toBe('CA0123');
      expect(tag(session!, 'hva.turns')).toBe(2);
      expect(session!.startTime).toBe(origin * 1000);
      expect(session!.duration).toBe(8000 * 1000);

      const turnSpans = children(trace!, session!);
      expect(turnSpans.map((s) => s.operationName)).toEqual(['turn', 'turn']);
      expect(turnSpans.map((s) => tag(s, 'hva.turn.index'))).toEqual([0, 1]);
      expect(tag(turnSpans[0]!, 'hva.turn.rule')).toBe('sttFinal');
      expect(tag(turnSpans[0]!, 'hva.turn.transcript_length')).toBe(7);
      expect(tag(turnSpans[0]!, 'hva.latency.e2e_ms')).toBe(860);
      expect(tag(turnSpans[1]!, 'hva.turn.interrupted')).toBe(true);

      for (const [i, record] of turns.entries()) {
        const turn = turnSpans[i]!;
        expect(turn.startTime).toBe((origin + record.speechStartMs!) * 1000);
        expect(turn.startTime + turn.duration).toBe((origin + record.playbackEndMs!) * 1000);
        const stages = Object.fromEntries(children(trace!, turn).map((s) => [s.operationName, s]));
        expect(Object.keys(stages).sort()).toEqual(['llm', 'playback', 'stt', 'tts']);
        const at = (s: JaegerSpan): [number, number] => [
          s.startTime / 1000 - origin,
          (s.startTime + s.duration) / 1000 - origin,
        ];
        expect(at(stages.stt!)).toEqual([record.speechEndMs, record.finalMs]);
        expect(at(stages.llm!)).toEqual([record.llmRequestMs, record.llmEndMs]);
        expect(at(stages.tts!)).toEqual([record.ttsRequestMs, record.ttsFirstAudioMs]);
        expect(at(stages.playback!)).toEqual([record.playbackStartMs, record.playbackEndMs]);
        expect(stages.llm!.logs.map((l) => l.timestamp / 1000 - origin)).toEqual([record.llmFirstTokenMs]);
        expect(tag(stages.llm!, 'hva.first_token_ms')).toBe(record.llmFirstTokenMs! - record.llmRequestMs!);
      }
    } finally {
      await tracing.shutdown();
    }
  });

  it('counts export failures when the collector is unreachable, without throwing', async () => {
    const metric = (): Promise<number> =>
      registry
        .getSingleMetric('hva_trace_export_failures_total')!
        .get()
        .then((m) => m.values[0]?.value ?? 0);
    const before = await metric();
    // A port nobody listens on.
    const tracing = await initTracing(
      defaultConfig({
        otlpEndpoint: `http://127.0.0.1:${await freePort()}`,
        serviceName: 'hva-it-unreachable',
      }),
      silentLogger,
    );
    const call = tracing.startCallSpan({ callSid: 'CA9', streamSid: 'MZ9' });
    call.end();
    await tracing.shutdown();
    expect(await metric()).toBeGreaterThan(before);
  });
});
