import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startAgent, LOCAL_DEV_AUTH_TOKEN, type RunningAgent } from '../../../src/app.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { createPassthroughFactory } from '../../../src/sim/passthrough.ts';
import { signTwilioRequest } from '../../../src/server/signature.ts';
import type { WebhookSpanInfo } from '../../../src/telemetry/tracing.ts';
import { metricValue, postDrain, scrape } from './twilio-client.ts';

const TOKEN = 'test-auth-token';
let agent: RunningAgent;
let readiness = { ready: true, reasons: [] as string[] };
const exits: number[] = [];
// A recording tracer: the voice webhook opens the call's trace and hands its traceparent to the
// media stream as a TwiML <Parameter>, which the session continues from start.customParameters.
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const webhookSpans: { info: WebhookSpanInfo; ended: number[] }[] = [];

beforeAll(async () => {
  agent = await startAgent({
    config: defaultConfig({
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      publicHost: 'voice.example.com',
      twilioAuthToken: TOKEN,
    }),
    logger: silentLogger,
    handlerFactory: createPassthroughFactory(),
    readiness: () => readiness,
    onExit: (code) => exits.push(code),
    tracing: {
      webhookSpan(info) {
        const span = { info, ended: [] as number[] };
        webhookSpans.push(span);
        return { traceparent: PARENT, end: (code: number) => span.ended.push(code) };
      },
    },
  });
});

afterAll(async () => {
  await agent.close();
});

async function postForm(path: string, params: Record<string, string>, signature?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== undefined) headers['x-twilio-signature'] = signature;
  return fetch(`${agent.url}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
  });
}

const callParams = {
  CallSid: 'CA42',
  From: '+972501234567',
  To: '+97231234567',
  Direction: 'inbound',
  AccountSid: 'AC1',
};

describe('POST /webhook/voice', () => {
  it('returns the Connect/Stream TwiML for a correctly signed request', async () => {
    const sig = signTwilioRequest(TOKEN, 'https://voice.example.com/webhook/voice', callParams);
    // The Host header the pod sees must not matter: only PUBLIC_HOST is used.
    const res = await postForm('/webhook/voice', callParams, sig);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => n === 'Parameter',
    }).parse(await res.text());
    const stream = doc.Response.Connect.Stream;
    expect(stream.url).toBe('wss://voice.example.com/ws/twilio-media');
    expect(stream.statusCallback).toBe('https://voice.example.com/webhook/stream_status');
    expect(stream.statusCallbackMethod).toBe('POST');
    expect(stream.statusCallbackEvent).toBeUndefined();
    expect(stream.track).toBeUndefined();
    expect(stream.Parameter).toEqual(
      expect.arrayContaining([
        { name: 'callSid', value: 'CA42' },
        { name: 'from', value: '+972501234567' },
        { name: 'to', value: '+97231234567' },
      ]),
    );
  });

  it('rejects a missing, wrong or Host-based signature with 403 and counts it', async () => {
    const before = metricValue(await scrape(agent), 'hva_signature_rejections_total', { route: 'voice' });
    expect((await postForm('/webhook/voice', callParams)).status).toBe(403);
    expect((await postForm('/webhook/voice', callParams, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    // Signed over the URL the pod sees (its Host header) rather than PUBLIC_HOST.
    const hostSig = signTwilioRequest(
      TOKEN,
      `${agent.url.replace('http:', 'https:')}/webhook/voice`,
      callParams,
    );
    expect((await postForm('/webhook/voice', callParams, hostSig)).status).toBe(403);
    // Signed with the local dev token while a real one is configured.
    const devSig = signTwilioRequest(
      LOCAL_DEV_AUTH_TOKEN,
      'https://voice.example.com/webhook/voice',
      callParams,
    );
    expect((await postForm('/webhook/voice', callParams, devSig)).status).toBe(403);
    // A parameter changed after signing.
    const sig = signTwilioRequest(TOKEN, 'https://voice.example.com/webhook/voice', callParams);
    expect((await postForm('/webhook/voice', { ...callParams, From: '+15555550100' }, sig)).status).toBe(403);
    expect(metricValue(await scrape(agent), 'hva_signature_rejections_total', { route: 'voice' })).toBe(
      before + 5,
    );
  });
});

describe('voice webhook tracing', () => {
  it('starts a webhook span, ends it, and forwards its traceparent as a stream parameter', async () => {
    const before = webhookSpans.length;
    const res = await fetch(`${agent.url}/webhook/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TOKEN, 'https://voice.example.com/webhook/voice', callParams),
        traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
      },
      body: new URLSearchParams(callParams).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<Parameter name="traceparent" value="${PARENT}"/>`);
    expect(webhookSpans.length).toBe(before + 1);
    const span = webhookSpans.at(-1)!;
    expect(span.info).toMatchObject({
      route: '/webhook/voice',
      callSid: 'CA42',
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
    });
    expect(span.ended).toEqual([200]);
  });

  it('does not open a span for a request with a bad signature', async () => {
    const before = webhookSpans.length;
    expect((await postForm('/webhook/voice', callParams, 'bad')).status).toBe(403);
    expect(webhookSpans.length).toBe(before);
  });
});

describe('POST /webhook/stream_status', () => {
  const status = (event: string, extra: Record<string, string> = {}) => ({
    AccountSid: 'AC1',
    CallSid: 'CA42',
    StreamSid: 'MZ42',
    StreamName: 'MZ42',
    StreamEvent: event,
    Timestamp: '2025-01-01T00:00:00Z',
    ...extra,
  });
  const url = 'https://voice.example.com/webhook/stream_status';

  it('records started / stopped / error events in metrics', async () => {
    const text = await scrape(agent);
    const before = (e: string) => metricValue(text, 'hva_stream_status_events_total', { event: e });
    const [s0, t0, e0] = [before('stream-started'), before('stream-stopped'), before('stream-error')];
    for (const p of [
      status('stream-started'),
      status('stream-stopped'),
      status('stream-error', { StreamError: 'Stream - WebSocket - Handshake Error' }),
    ]) {
      const res = await postForm('/webhook/stream_status', p, signTwilioRequest(TOKEN, url, p));
      expect(res.status).toBe(204);
    }
    const after = await scrape(agent);
    expect(metricValue(after, 'hva_stream_status_events_total', { event: 'stream-started' })).toBe(s0 + 1);
    expect(metricValue(after, 'hva_stream_status_events_total', { event: 'stream-stopped' })).toBe(t0 + 1);
    expect(metricValue(after, 'hva_stream_status_events_total', { event: 'stream-error' })).toBe(e0 + 1);
  });

  it('rejects an unsigned status callback', async () => {
    expect((await postForm('/webhook/stream_status', status('stream-started'))).status).toBe(403);
  });
});

describe('health, readiness, metrics', () => {
  it('GET /healthz is 200', async () => {
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
  });

  it('GET /readyz follows the readiness callback and lists reasons', async () => {
    expect((await fetch(`${agent.adminUrl}/readyz`)).status).toBe(200);
    readiness = { ready: false, reasons: ['stt: probe failed (PERMISSION_DENIED)'] };
    const res = await fetch(`${agent.adminUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      ready: false,
      reasons: ['stt: probe failed (PERMISSION_DENIED)'],
    });
    readiness = { ready: true, reasons: [] };
    expect((await fetch(`${agent.adminUrl}/readyz`)).status).toBe(200);
  });

  it('GET /metrics exposes the edge metrics', async () => {
    const res = await fetch(`${agent.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'hva_active_calls',
      'hva_calls_total',
      'hva_frames_in_total',
      'hva_frames_out_total',
      'hva_malformed_frames_total',
      'hva_late_frames_total',
      'hva_dropped_frames_total',
      'hva_event_loop_lag_seconds',
      'hva_stream_status_events_total',
      'hva_refused_streams_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/hva_event_loop_lag_seconds\{quantile="0.99"[^}]*\} \d/);
  });
});

describe('POST /drain', () => {
  it('is only on the admin port and needs the token from the drain token file, whatever the source address', async () => {
    expect((await fetch(`${agent.url}/drain`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${agent.url}/readyz`)).status).toBe(404);
    // Loopback is no credential (behind a mesh sidecar every request comes from 127.0.0.1).
    expect((await fetch(`${agent.adminUrl}/drain`, { method: 'POST' })).status).toBe(403);
    const wrong = await fetch(`${agent.adminUrl}/drain`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(403);
    expect(agent.draining).toBe(false);
    expect(
      metricValue(await scrape(agent), 'hva_rejected_requests_total', { route: 'drain', reason: 'token' }),
    ).toBe(2);
  });

  it('with the token is accepted (202) and an idle agent exits 0 at once', async () => {
    const res = await postDrain(agent);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ draining: true, activeCalls: 0 });
    await agent.drain();
    expect(exits).toEqual([0]);
  });
});
