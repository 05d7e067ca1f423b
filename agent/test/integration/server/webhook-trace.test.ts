import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../../src/app.ts';
import { createPassthroughFactory } from '../../../src/call/passthrough.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { signTwilioRequest } from '../../../src/server/signature.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import type { WebhookSpanInfo } from '../../../src/telemetry/tracing.ts';

// The voice webhook opens the call's trace and hands its traceparent to the media stream as a
// TwiML <Parameter>, so the session span (started from start.customParameters) continues it.
const TOKEN = 'trace-token';
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const spans: { info: WebhookSpanInfo; ended: number[] }[] = [];
let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({
    config: defaultConfig({
      port: 0,
      host: '127.0.0.1',
      publicHost: 'voice.example.com',
      twilioAuthToken: TOKEN,
    }),
    logger: silentLogger,
    handlerFactory: createPassthroughFactory(),
    onExit: () => undefined,
    tracing: {
      webhookSpan(info) {
        const span = { info, ended: [] as number[] };
        spans.push(span);
        return { traceparent: PARENT, end: (code: number) => span.ended.push(code) };
      },
    },
  });
});

afterAll(async () => {
  await agent.close();
});

describe('voice webhook tracing', () => {
  it('starts a webhook span, ends it, and forwards its traceparent as a stream parameter', async () => {
    const params = { CallSid: 'CA77', From: '+972501234567', To: '+97231234567' };
    const res = await fetch(`${agent.url}/webhook/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TOKEN, 'https://voice.example.com/webhook/voice', params),
        traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    const twiml = await res.text();
    expect(twiml).toContain(`<Parameter name="traceparent" value="${PARENT}"/>`);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.info).toMatchObject({
      route: '/webhook/voice',
      callSid: 'CA77',
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
    });
    expect(spans[0]!.ended).toEqual([200]);
  });

  it('does not open a span for a request with a bad signature', async () => {
    const before = spans.length;
    const res = await fetch(`${agent.url}/webhook/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'bad' },
      body: 'CallSid=CA78',
    });
    expect(res.status).toBe(403);
    expect(spans.length).toBe(before);
  });
});
