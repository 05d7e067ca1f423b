import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startAgent, type AgentOptions, type RunningAgent } from '../../../src/app.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { LOCAL_DEV_AUTH_TOKEN, signTwilioRequest } from '../../../src/server/signature.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.ts';
import { createPassthroughFactory, type PassthroughStats } from '../../../src/sim/passthrough.ts';
import type { CallHandler, CallHandlerFactory, MarkOutcome, MediaSink } from '../../../src/call/types.ts';
import { TestTwilioClient, metricValue, postDrain, scrape, tryUpgrade, until } from './twilio-client.ts';

const agents: RunningAgent[] = [];
const clients: TestTwilioClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agentWith(
  overrides: Partial<Config> = {},
  options: Partial<AgentOptions> = {},
): Promise<RunningAgent & { exits: number[] }> {
  const exits: number[] = [];
  const agent = await startAgent({
    config: defaultConfig({
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      mediaTimeoutMs: 600_000,
      ...overrides,
    }),
    logger: silentLogger,
    // Echo each 20 ms frame at once: the tests below use the echo to see that a frame got through.
    handlerFactory: createPassthroughFactory(undefined, { echoBatchMs: 20 }),
    onExit: (code) => exits.push(code),
    ...options,
  });
  agents.push(agent);
  return Object.assign(agent, { exits });
}

async function call(agent: RunningAgent, params: Record<string, string> = {}): Promise<TestTwilioClient> {
  const c = await TestTwilioClient.connect(agent);
  clients.push(c);
  c.connected();
  c.start(params);
  return c;
}

/** A frame of varied mu-law codes (no 0x7F, the only code that does not round-trip). */
function frame(seed: number): Buffer {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) b[i] = (seed * 31 + i * 7) % 256 === 0x7f ? 0x7e : (seed * 31 + i * 7) % 256;
  return b;
}

const mediaOf = (c: TestTwilioClient) => c.messages.filter((m) => m.event === 'media');

describe('media stream upgrade', () => {
  it('accepts a signature over the wss URL and over its trailing-slash form', async () => {
    const agent = await agentWith();
    for (const sign of ['plain', 'slash'] as const) {
      const r = await tryUpgrade(agent, { sign });
      expect('ws' in r).toBe(true);
      if ('ws' in r) r.ws.close();
    }
  });

  it('rejects a missing or wrong signature with 403 before the 101 upgrade, and counts it', async () => {
    const agent = await agentWith({ twilioAuthToken: 'real-token' });
    const before = metricValue(await scrape(agent), 'hva_refused_streams_total', { reason: 'signature' });
    expect(await tryUpgrade(agent, { sign: 'none' })).toMatchObject({ status: 403 });
    expect(await tryUpgrade(agent, { token: 'other-token' })).toMatchObject({ status: 403 });
    expect(await tryUpgrade(agent, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).toMatchObject({
      status: 403,
    });
    expect('ws' in (await tryUpgrade(agent, { token: 'real-token' }))).toBe(true);
    expect(metricValue(await scrape(agent), 'hva_refused_streams_total', { reason: 'signature' })).toBe(
      before + 3,
    );
  });

  it('answers 404 for another path and accepts unsigned upgrades only when validation is off', async () => {
    const on = await agentWith();
    expect(await tryUpgrade(on, { path: '/ws/other' })).toMatchObject({ status: 404 });
    const off = await agentWith({ twilioSignatureValidation: false });
    const r = await tryUpgrade(off, { sign: 'none' });
    expect('ws' in r).toBe(true);
    if ('ws' in r) r.ws.close();
  });
});

describe('a call through the passthrough handler', () => {
  it('echoes audio in 100 ms base64 messages, sends a mark per second, resolves it as played, disposes once on stop', async () => {
    const stats: PassthroughStats[] = [];
    const agent = await agentWith({}, { handlerFactory: createPassthroughFactory((s) => stats.push(s)) });
    const c = await call(agent);
    const frames = Array.from({ length: 52 }, (_, i) => frame(i));
    for (const f of frames) c.media(f);
    await c.waitFor((m) => m.some((x) => x.event === 'mark'));
    await until(() => stats[0]!.framesIn === 52);
    // 50 frames echoed as ten 800-byte messages; the last two (40 ms) wait for a full batch.
    const media = mediaOf(c);
    expect(media).toHaveLength(10);
    media.forEach((m, i) => {
      expect(m.streamSid).toBe(c.sids.streamSid);
      expect(Buffer.from(m.media!.payload, 'base64')).toEqual(Buffer.concat(frames.slice(i * 5, i * 5 + 5)));
    });
    const mark = c.messages.find((m) => m.event === 'mark')!;
    expect(c.messages.indexOf(mark)).toBe(10);
    expect(mark.mark!.name).toMatch(/^echo-1s#\d+$/);
    c.markEcho(mark.mark!.name);
    await until(() => stats[0]!.marksPlayed === 1);
    c.dtmf('5');
    await until(() => stats[0]!.dtmf === '5');
    expect(agent.activeCalls()).toBe(1);
    c.stop();
    const closed = await c.closed;
    expect(closed.code).toBe(1000);
    await until(() => agent.activeCalls() === 0);
    expect(stats[0]!.disposed).toBe(true);
    expect(stats[0]!.framesIn).toBe(52);
    expect(stats[0]!.bytesEchoed).toBe(8000);
  });

  it('counts late and dropped frames from chunk numbers and timestamps', async () => {
    const agent = await agentWith();
    const text0 = await scrape(agent);
    const c = await call(agent);
    c.media(frame(1), { chunk: 1, timestamp: 0 });
    c.media(frame(2), { chunk: 2, timestamp: 20 });
    c.media(frame(5), { chunk: 5, timestamp: 80 }); // chunks 3 and 4 missing
    c.media(frame(3), { chunk: 3, timestamp: 40 }); // out of order
    await c.waitFor(() => mediaOf(c).length === 4);
    const text1 = await scrape(agent);
    expect(
      metricValue(text1, 'hva_dropped_frames_total') - metricValue(text0, 'hva_dropped_frames_total'),
    ).toBe(2);
    expect(metricValue(text1, 'hva_late_frames_total') - metricValue(text0, 'hva_late_frames_total')).toBe(1);
  });
});

// A handler driven by DTMF digits, to exercise marks and clear precisely.
function scriptedFactory(record: {
  outcomes: [string, MarkOutcome][];
  disposed: string[];
  sinks: MediaSink[];
}): CallHandlerFactory {
  return (ctx) => {
    record.sinks.push(ctx.sink);
    const handler: CallHandler = {
      onAudio() {},
      onMark(name, outcome) {
        record.outcomes.push([name, outcome]);
      },
      onDtmf(digit) {
        if (digit === '1') {
          ctx.sink.sendMedia(Buffer.alloc(400, 0x55));
          ctx.sink.sendMark('sentence');
        } else if (digit === '2') {
          ctx.sink.sendClear();
        } else if (digit === '9') {
          ctx.sink.hangup('done');
        }
      },
      async dispose(reason) {
        record.disposed.push(reason);
      },
    };
    return handler;
  };
}

describe('marks and clear', () => {
  it('sends audio as one message before its mark, and reports echoes after a clear as cleared', async () => {
    const record = {
      outcomes: [] as [string, MarkOutcome][],
      disposed: [] as string[],
      sinks: [] as MediaSink[],
    };
    const agent = await agentWith({}, { handlerFactory: scriptedFactory(record) });
    const c = await call(agent);
    c.dtmf('1');
    await c.waitFor((m) => m.some((x) => x.event === 'mark'));
    expect(c.messages.map((m) => m.event)).toEqual(['media', 'mark']);
    expect(mediaOf(c).map((m) => Buffer.from(m.media!.payload, 'base64').length)).toEqual([400]);
    const first = c.messages[1]!.mark!.name;
    c.markEcho(first);
    await until(() => record.outcomes.length === 1);
    expect(record.outcomes[0]).toEqual([first, 'played']);

    c.dtmf('1');
    await c.waitFor((m) => m.filter((x) => x.event === 'mark').length === 2);
    const second = c.messages.filter((m) => m.event === 'mark')[1]!.mark!.name;
    expect(second).not.toBe(first);
    c.dtmf('2');
    await c.waitFor((m) => m.some((x) => x.event === 'clear'));
    expect(c.messages.find((m) => m.event === 'clear')!.streamSid).toBe(c.sids.streamSid);
    // Twilio echoes pending marks right after a clear; it looks like playback.
    c.markEcho(second);
    await until(() => record.outcomes.length === 2);
    expect(record.outcomes[1]).toEqual([second, 'cleared']);

    c.dtmf('9');
    expect((await c.closed).code).toBe(1000);
    await until(() => record.disposed.length === 1);
    // Sink calls after the end are ignored, and the handler is never disposed twice.
    record.sinks[0]!.sendMedia(Buffer.alloc(160));
    await new Promise((r) => setTimeout(r, 50));
    expect(record.disposed).toEqual(['hangup: done']);
  });
});

describe('bad input on a live call', () => {
  it('rejects every bad frame with its own counted kind, and the call goes on', async () => {
    const agent = await agentWith();
    const kinds = [
      'too_large',
      'binary',
      'invalid_json',
      'unknown_event',
      'invalid_field',
      'wrong_stream_sid',
      'unknown_mark',
    ];
    const before = await scrape(agent);
    const c = await call(agent);
    c.media(frame(1));
    await c.waitFor(() => mediaOf(c).length === 1);
    c.ws.send(
      '{"event":"media","streamSid":"' +
        c.sids.streamSid +
        '","media":{"payload":"' +
        'A'.repeat(70 * 1024) +
        '"}}',
    );
    c.ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
    c.ws.send('{"event": "media", ');
    c.send({ event: 'hello', streamSid: c.sids.streamSid });
    c.send({
      event: 'media',
      streamSid: c.sids.streamSid,
      sequenceNumber: '9',
      media: { chunk: '2', timestamp: '20' },
    });
    c.send({
      event: 'media',
      streamSid: 'MZdeadbeef',
      sequenceNumber: '9',
      media: { chunk: '2', timestamp: '20', payload: frame(2).toString('base64') },
    });
    c.markEcho('never-sent#1');
    c.media(frame(2));
    await c.waitFor(() => mediaOf(c).length === 2);
    expect(Buffer.from(mediaOf(c)[1]!.media!.payload, 'base64')).toEqual(frame(2));
    const after = await scrape(agent);
    for (const kind of kinds) {
      expect({
        kind,
        delta:
          metricValue(after, 'hva_malformed_frames_total', { kind }) -
          metricValue(before, 'hva_malformed_frames_total', { kind }),
      }).toEqual({ kind, delta: 1 });
    }
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a text frame that is not UTF-8 fails that call (1007, as RFC 6455 requires), counted; other calls go on', async () => {
    const agent = await agentWith();
    const before = await scrape(agent);
    const bad = await call(agent);
    const good = await call(agent);
    bad.media(frame(1));
    await bad.waitFor(() => mediaOf(bad).length === 1);
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await bad.closed).code).toBe(1007);
    good.media(frame(2));
    await good.waitFor(() => mediaOf(good).length === 1);
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
    await until(
      async () =>
        metricValue(await scrape(agent), 'hva_malformed_frames_total', { kind: 'invalid_utf8' }) -
          metricValue(before, 'hva_malformed_frames_total', { kind: 'invalid_utf8' }) ===
        1,
    );
  });

  it('counts media before start and frames after stop', async () => {
    const agent = await agentWith();
    const before = await scrape(agent);
    const c = await TestTwilioClient.connect(agent);
    clients.push(c);
    c.connected();
    c.media(frame(1));
    c.start();
    c.media(frame(2));
    await c.waitFor(() => mediaOf(c).length === 1);
    c.stop();
    c.media(frame(3));
    await c.closed;
    await until(
      async () =>
        metricValue(await scrape(agent), 'hva_malformed_frames_total', { kind: 'after_stop' }) >
        metricValue(before, 'hva_malformed_frames_total', { kind: 'after_stop' }),
    );
    const after = await scrape(agent);
    expect(
      metricValue(after, 'hva_malformed_frames_total', { kind: 'media_before_start' }) -
        metricValue(before, 'hva_malformed_frames_total', { kind: 'media_before_start' }),
    ).toBe(1);
    expect(mediaOf(c)).toHaveLength(1);
  });

  it('closes a socket that never sends start (1008 after the start timeout)', async () => {
    const agent = await agentWith({}, { startTimeoutMs: 200 });
    const c = await TestTwilioClient.connect(agent);
    clients.push(c);
    c.connected();
    expect((await c.closed).code).toBe(1008);
    await until(() => agent.activeCalls() === 0);
  });

  it('agent.close() ends sockets still awaiting start with a close frame', async () => {
    const agent = await agentWith();
    const c = await TestTwilioClient.connect(agent);
    clients.push(c);
    await until(() => agent.activeCalls() === 1);
    await agent.close();
    expect((await c.closed).code).toBe(1001);
  });
});

describe('isolation between calls', () => {
  it('a throwing handler and a broken factory disturb no other call', async () => {
    const healthy: PassthroughStats[] = [];
    const passthrough = createPassthroughFactory((s) => healthy.push(s), { echoBatchMs: 20 });
    let disposedBad = 0;
    const factory: CallHandlerFactory = (ctx) => {
      const kind = ctx.info.customParameters['kind'];
      if (kind === 'factory-throws') throw new Error('boom in factory');
      if (kind === 'handler-throws') {
        return {
          onAudio() {
            throw new Error('boom in onAudio');
          },
          onMark() {},
          onDtmf() {
            throw new Error('boom in onDtmf');
          },
          async dispose() {
            disposedBad += 1;
            throw new Error('boom in dispose');
          },
        };
      }
      return passthrough(ctx);
    };
    const agent = await agentWith({}, { handlerFactory: factory });
    const good = await call(agent, { kind: 'good' });
    const throwing = await call(agent, { kind: 'handler-throws' });
    const broken = await call(agent, { kind: 'factory-throws' });
    expect((await broken.closed).code).toBe(1011);
    for (let i = 0; i < 20; i++) {
      throwing.media(frame(i));
      throwing.ws.send('not json');
      good.media(frame(i));
    }
    throwing.dtmf('1');
    await good.waitFor(() => mediaOf(good).length === 20);
    mediaOf(good).forEach((m, i) => expect(Buffer.from(m.media!.payload, 'base64')).toEqual(frame(i)));
    throwing.stop();
    await throwing.closed;
    await until(() => disposedBad === 1);
    good.media(frame(99));
    await good.waitFor(() => mediaOf(good).length === 21);
    expect(healthy).toHaveLength(1);
    expect(agent.activeCalls()).toBe(1);
    const text = await scrape(agent);
    expect(metricValue(text, 'hva_call_handler_errors_total', { method: 'onAudio' })).toBeGreaterThanOrEqual(
      20,
    );
    expect(metricValue(text, 'hva_call_handler_errors_total', { method: 'factory' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(metricValue(text, 'hva_call_handler_errors_total', { method: 'dispose' })).toBeGreaterThanOrEqual(
      1,
    );
  });
});

describe('MAX_CALLS', () => {
  it('refuses streams beyond the limit (1013, counted) without touching readiness', async () => {
    const agent = await agentWith({ maxCalls: 2 });
    const before = metricValue(await scrape(agent), 'hva_refused_streams_total', { reason: 'max_calls' });
    const a = await call(agent);
    await call(agent);
    await until(() => agent.activeCalls() === 2);
    const third = await TestTwilioClient.connect(agent);
    clients.push(third);
    expect(await third.closed).toEqual({ code: 1013, reason: 'max_calls' });
    expect(metricValue(await scrape(agent), 'hva_refused_streams_total', { reason: 'max_calls' })).toBe(
      before + 1,
    );
    expect((await fetch(`${agent.adminUrl}/readyz`)).status).toBe(200);
    a.stop();
    await until(() => agent.activeCalls() === 1);
    const fourth = await call(agent);
    fourth.media(frame(1));
    await fourth.waitFor(() => mediaOf(fourth).length === 1);
  });
});

describe('sockets that never send start', () => {
  it('300 of them do not refuse a good call: they have their own budget, the oldest is evicted', async () => {
    const agent = await agentWith({ maxCalls: 2, pendingStreamsMax: 32, startTimeoutMs: 60_000 });
    const before = metricValue(await scrape(agent), 'hva_rejected_requests_total', {
      route: 'media_stream',
      reason: 'pending_evicted',
    });
    const idle: WebSocket[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await tryUpgrade(agent);
      if ('ws' in r) idle.push(r.ws);
    }
    expect(idle).toHaveLength(300);
    await until(() => agent.pendingStreams() <= 32);
    // Two good calls (MAX_CALLS) still get in and talk.
    for (const seed of [1, 2]) {
      const c = await call(agent);
      c.media(frame(seed));
      await c.waitFor(() => mediaOf(c).length === 1);
    }
    expect(
      metricValue(await scrape(agent), 'hva_rejected_requests_total', {
        route: 'media_stream',
        reason: 'pending_evicted',
      }),
    ).toBeGreaterThanOrEqual(before + 268);
    for (const ws of idle) ws.terminate();
  });
});

describe('a peer that does not read', () => {
  it('is cut once its unread audio passes OUTBOUND_BUFFER_SECONDS; other calls go on', async () => {
    const record = {
      outcomes: [] as [string, MarkOutcome][],
      disposed: [] as string[],
      sinks: [] as MediaSink[],
    };
    const agent = await agentWith({ outboundBufferSeconds: 1 }, { handlerFactory: scriptedFactory(record) });
    const before = metricValue(await scrape(agent), 'hva_calls_ended_by_edge_total', {
      reason: 'slow_consumer',
    });
    const stuck = await call(agent);
    const healthy = await call(agent);
    await until(() => record.sinks.length === 2);
    // The stuck peer stops reading: TCP fills up, then the agent's send queue grows.
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sink = record.sinks[0]!;
    // Ten minutes of audio handed over at once (a runaway synthesiser, or a peer that never reads).
    for (let i = 0; i < 3000 && record.disposed.length === 0; i++) sink.sendMedia(Buffer.alloc(1600, 0x55));
    await until(() => record.disposed.includes('slow_consumer'), 30_000);
    expect(
      metricValue(await scrape(agent), 'hva_calls_ended_by_edge_total', { reason: 'slow_consumer' }),
    ).toBe(before + 1);
    // The other call is untouched.
    healthy.dtmf('1');
    await healthy.waitFor((m) => m.some((x) => x.event === 'media'));
    expect(record.disposed).toEqual(['slow_consumer']);
  });
});

describe('the development token', () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  it.runIf(external !== undefined)(
    'is refused from a non-loopback peer even with a valid signature',
    async () => {
      const agent = await agentWith({ host: '0.0.0.0', twilioAuthToken: '' });
      const remote = { url: `http://${external}:${agent.port}`, publicHost: agent.publicHost };
      expect(await tryUpgrade(remote)).toMatchObject({ status: 403 });
      // The voice webhook too: a correct development-token signature counts only from loopback.
      const form = { CallSid: `CA${'c'.repeat(32)}`, From: '+972500000001' };
      const signature = signTwilioRequest(
        LOCAL_DEV_AUTH_TOKEN,
        `https://${agent.publicHost}/webhook/voice`,
        form,
      );
      const post = (base: string) =>
        fetch(`${base}/webhook/voice`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(form).toString(),
        });
      expect((await post(remote.url)).status).toBe(403);
      expect((await post(agent.url)).status).toBe(200);
      const local = await tryUpgrade(agent);
      expect('ws' in local).toBe(true);
      if ('ws' in local) local.ws.close();
      expect(
        metricValue(await scrape(agent), 'hva_rejected_requests_total', {
          route: 'media_stream',
          reason: 'dev_token_remote',
        }),
      ).toBeGreaterThanOrEqual(1);
    },
  );
});

describe('drain', () => {
  it('POST /drain: not ready, new streams refused, the existing call continues, exit 0 when it ends', async () => {
    const agent = await agentWith({ drainSeconds: 60 });
    const c = await call(agent);
    c.media(frame(1));
    await c.waitFor(() => mediaOf(c).length === 1);
    const res = await postDrain(agent);
    expect(res.status).toBe(202);
    expect(agent.draining).toBe(true);
    const ready = await fetch(`${agent.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toContain('draining');
    const late = await TestTwilioClient.connect(agent);
    clients.push(late);
    expect(await late.closed).toEqual({ code: 1013, reason: 'draining' });
    c.media(frame(2));
    await c.waitFor(() => mediaOf(c).length === 2);
    expect(agent.exits).toEqual([]);
    c.stop();
    await agent.drain();
    expect(agent.exits).toEqual([0]);
    expect(agent.activeCalls()).toBe(0);
  });

  it('the deadline ends remaining calls cleanly with a close frame and disposal, then exit 0', async () => {
    const record = {
      outcomes: [] as [string, MarkOutcome][],
      disposed: [] as string[],
      sinks: [] as MediaSink[],
    };
    const agent = await agentWith({ drainSeconds: 1 }, { handlerFactory: scriptedFactory(record) });
    const c = await call(agent);
    await until(() => record.sinks.length === 1);
    const done = agent.drain();
    expect((await c.closed).code).toBe(1001);
    await done;
    expect(record.disposed).toEqual(['drain_deadline']);
    expect(agent.exits).toEqual([0]);
  });
});

describe('per-call logs', () => {
  it('carry callSid/streamSid bindings and never the raw phone numbers', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const agent = await agentWith({}, { logger: createLogger('debug', sink) });
    const c = await call(agent, { callSid: 'CA1', from: '+972501234567', to: '+97231234567' });
    c.media(frame(1));
    await c.waitFor(() => mediaOf(c).length === 1);
    c.stop();
    await c.closed;
    await until(() => lines.some((l) => l.includes('call ended')));
    const started = JSON.parse(lines.find((l) => l.includes('"call started"'))!);
    expect(started).toMatchObject({
      callSid: c.sids.callSid,
      callId: c.sids.callSid,
      streamSid: c.sids.streamSid,
      from: '+972***67',
    });
    const ended = JSON.parse(lines.find((l) => l.includes('"call ended"'))!);
    expect(ended).toMatchObject({ streamSid: c.sids.streamSid, reason: 'stop' });
    expect(lines.join('\n')).not.toContain('501234567');
    expect(lines.join('\n')).not.toContain('31234567');
  });
});

describe('boot warnings and the open door', () => {
  const capture = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const warnings = () =>
      lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'warn');
    return { lines, logger: createLogger('info', sink), warnings };
  };

  it('warns when signature validation is off, and when only the development token is configured', async () => {
    const off = capture();
    await agentWith({ twilioSignatureValidation: false, twilioAuthToken: '' }, { logger: off.logger });
    expect(off.warnings().some((w) => w.msg.includes('TWILIO_SIGNATURE_VALIDATION=false'))).toBe(true);
    const dev = capture();
    await agentWith({ twilioAuthToken: '' }, { logger: dev.logger });
    expect(dev.warnings().some((w) => w.msg.includes('accepted only from loopback'))).toBe(true);
    expect([...off.lines, ...dev.lines].join('\n')).not.toContain('local-dev-auth-token');
  });

  it('refuses to start with a public host and no auth token, unless validation is explicitly off', async () => {
    await expect(agentWith({ publicHost: 'voice.example.com', twilioAuthToken: '' })).rejects.toThrow(
      /PUBLIC_HOST=voice\.example\.com is set but TWILIO_AUTH_TOKEN is empty: refusing to start/,
    );
    const open = await agentWith({
      publicHost: 'voice.example.com',
      twilioAuthToken: '',
      twilioSignatureValidation: false,
    });
    expect(open.publicHost).toBe('voice.example.com');
  });
});
