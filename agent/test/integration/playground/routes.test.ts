// The playground's HTTP routes and its ticket-authorised media upgrade, against a real agent
// (fastify + ws on loopback) with a recording call handler; the browser test drives the page.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startAgent, type RunningAgent } from '../../../src/app.ts';
import type { CallContext, CallHandler, CallHandlerFactory } from '../../../src/call/types.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import {
  createPlayground,
  type Playground,
  type PlaygroundSessionResponse,
} from '../../../src/playground/routes.ts';
import { buildHttpApp } from '../../../src/server/http.ts';
import { RateLimitedLog } from '../../../src/server/rate-limited-log.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { metricValue, scrape, until } from '../server/twilio-client.ts';

const agents: RunningAgent[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const LIVE = { stt: 'emulator', llm: 'scripted', tts: 'local' } as const;

function playgroundFor(config: Config, script: Record<string, readonly string[]> = {}): Playground {
  return createPlayground({
    config,
    logger: silentLogger,
    live: LIVE,
    emulatedScript: {
      lines: ['שורה ראשונה.', 'שורה שנייה.'],
      setScript: (sid, lines) => (script[sid] = lines),
    },
  });
}

/** Records every call the agent starts; each call reports one partial to its observer, if any. */
function recordingFactory(playground: Playground | undefined, started: CallContext[]): CallHandlerFactory {
  return (ctx) => {
    started.push(ctx);
    const observer = playground?.calls.observe(ctx.info);
    observer?.transcript?.({ text: 'שלום', isFinal: false, stability: 0.5, atMs: 1 });
    const handler: CallHandler = {
      onAudio() {},
      onMark() {},
      onDtmf() {},
      dispose: async (reason) => observer?.ended?.(reason),
    };
    return handler;
  };
}

async function agentWith(enabled: boolean, started: CallContext[] = []) {
  const config = defaultConfig({ port: 0, host: '127.0.0.1', playgroundEnabled: enabled });
  const playground = enabled ? playgroundFor(config) : undefined;
  const agent = await startAgent({
    config,
    logger: silentLogger,
    handlerFactory: recordingFactory(playground, started),
    onExit: () => undefined,
    ...(playground ? { playground } : {}),
  });
  agents.push(agent);
  return { agent, playground };
}

async function session(agent: RunningAgent): Promise<PlaygroundSessionResponse> {
  const res = await fetch(`${agent.url}/playground/session`, { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as PlaygroundSessionResponse;
}

/** Opens the media socket with the given subprotocols: the socket, or the HTTP status it was refused with. */
function connect(agent: RunningAgent, protocols: readonly string[]): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${agent.url.replace('http', 'ws')}/ws/twilio-media`, [...protocols]);
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

function startMessage(s: PlaygroundSessionResponse, over: { callSid?: string } = {}): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid: s.streamSid,
    start: {
      accountSid: s.accountSid,
      streamSid: s.streamSid,
      callSid: over.callSid ?? s.callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: s.customParameters,
    },
  });
}

describe('playground routes', () => {
  it('do not exist unless enabled', async () => {
    const { agent } = await agentWith(false);
    for (const [method, path] of [
      ['GET', '/playground'],
      ['GET', '/playground/static/playground.js'],
      ['POST', '/playground/session'],
    ] as const) {
      expect((await fetch(`${agent.url}${path}`, { method })).status).toBe(404);
    }
  });

  it('serve the page and its modules with a strict content security policy, and nothing else', async () => {
    const { agent } = await agentWith(true);
    const page = await fetch(`${agent.url}/playground`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toContain('id="conversation"');
    expect(html).toMatch(/dir="rtl" lang="he"/);
    const js = await fetch(`${agent.url}/playground/static/capture-worklet.js`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(await js.text()).toContain("registerProcessor('hva-capture'");
    expect((await fetch(`${agent.url}/playground/static/..%2F..%2Fapp.ts`)).status).toBe(404);
    expect((await fetch(`${agent.url}/playground/static/codec.d.ts`)).status).toBe(404);
  });

  it('issue a session from loopback with what the voice webhook would send, the script and a ticket', async () => {
    const scripts: Record<string, readonly string[]> = {};
    const config = defaultConfig({ port: 0, host: '127.0.0.1', playgroundEnabled: true });
    const agent = await startAgent({
      config,
      logger: silentLogger,
      handlerFactory: recordingFactory(undefined, []),
      onExit: () => undefined,
      playground: playgroundFor(config, scripts),
    });
    agents.push(agent);
    const s = await session(agent);
    expect(s.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(s.customParameters).toMatchObject({ callSid: s.callSid, from: 'playground', playground: '1' });
    expect(s.protocols[0]).toBe('hva-playground.v1');
    expect(s.protocols[1]).toMatch(/^hva-playground-ticket\.[A-Za-z0-9_-]{43}$/);
    expect(s.recognition).toBe('emulated');
    expect(s.script).toEqual(['שורה ראשונה.', 'שורה שנייה.']);
    expect(scripts[s.callSid]).toEqual(s.script);
  });

  it('off loopback: closed without PLAYGROUND_TOKEN; with one, 401 without it, 403 when wrong', async () => {
    const remoteAddress = '203.0.113.9';
    const build = async (token: string) => {
      const config = defaultConfig({ playgroundEnabled: true, playgroundToken: token });
      return buildHttpApp({
        config,
        logger: silentLogger,
        authToken: 'x',
        loopbackOnly: false,
        publicHost: () => 'example.test',
        rejectLog: new RateLimitedLog({ logger: silentLogger }),
        playground: playgroundFor(config),
      });
    };
    const closed = await build('');
    const r0 = await closed.inject({ method: 'POST', url: '/playground/session', remoteAddress });
    expect(r0.statusCode).toBe(403);
    expect(r0.json().error).toMatch(/PLAYGROUND_TOKEN/);
    const fromPod = await closed.inject({
      method: 'POST',
      url: '/playground/session',
      remoteAddress: '127.0.0.1',
    });
    expect(fromPod.statusCode).toBe(200);
    // A proxy inside the pod (mesh sidecar) connects from loopback but forwards the public Host: not exempt.
    const viaProxy = await closed.inject({
      method: 'POST',
      url: '/playground/session',
      remoteAddress: '127.0.0.6',
      headers: { host: 'agent.example.com' },
    });
    expect(viaProxy.statusCode).toBe(403);
    await closed.close();

    const app = await build('a-long-playground-token');
    const post = (authorization?: string) =>
      app.inject({
        method: 'POST',
        url: '/playground/session',
        remoteAddress,
        ...(authorization ? { headers: { authorization } } : {}),
      });
    expect((await post()).statusCode).toBe(401);
    expect((await post('Bearer wrong')).statusCode).toBe(403);
    const ok = await post('Bearer a-long-playground-token');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().callSid).toMatch(/^CA/);
    await app.close();
  });
});

describe('playground session parameters', () => {
  it('carry what the voice webhook adds per call (e.g. a stream token for start), issued for the session’s call', async () => {
    const config = defaultConfig({ playgroundEnabled: true });
    const app = Fastify();
    const issued: string[] = [];
    await playgroundFor(config).register(app, {
      extraStreamParameters: (callSid) => {
        issued.push(callSid);
        return { streamToken: `token-for-${callSid}` };
      },
    });
    const res = await app.inject({ method: 'POST', url: '/playground/session', remoteAddress: '127.0.0.1' });
    const s = res.json() as PlaygroundSessionResponse;
    expect(issued).toEqual([s.callSid]);
    expect(s.customParameters['streamToken']).toBe(`token-for-${s.callSid}`);
    expect(s.customParameters['callSid']).toBe(s.callSid);
    await app.close();
  });
});

describe('playground media upgrade', () => {
  it('admits a ticket once, selects the playground subprotocol, and runs the call for the ticketed start', async () => {
    const started: CallContext[] = [];
    const { agent } = await agentWith(true, started);
    const s = await session(agent);
    const ws = await connect(agent, s.protocols);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    expect(ws.protocol).toBe('hva-playground.v1');
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(startMessage(s));
    await until(() => started.length === 1);
    expect(started[0]?.info).toMatchObject({ callSid: s.callSid, streamSid: s.streamSid });
    expect(await connect(agent, s.protocols)).toBe(403); // single use
  });

  it('refuses forged tickets, tickets offered out of order, and upgrades with neither ticket nor signature', async () => {
    const { agent } = await agentWith(true);
    const before = metricValue(await scrape(agent), 'hva_playground_rejections_total', {
      reason: 'bad_ticket',
    });
    expect(await connect(agent, ['hva-playground.v1', `hva-playground-ticket.${'A'.repeat(43)}`])).toBe(403);
    expect(await connect(agent, ['hva-playground.v1', 'hva-playground-ticket.bad!'])).toBe(403);
    const s = await session(agent);
    expect(await connect(agent, [s.protocols[1]!, s.protocols[0]!])).toBe(403);
    expect(await connect(agent, [])).toBe(403);
    expect(await connect(agent, ['hva-playground.v1'])).toBe(403);
    const after = metricValue(await scrape(agent), 'hva_playground_rejections_total', {
      reason: 'bad_ticket',
    });
    expect(after - before).toBe(3);
  });

  it('hangs up a ticketed socket whose start names another call, creating nothing', async () => {
    const started: CallContext[] = [];
    const { agent } = await agentWith(true, started);
    const s = await session(agent);
    const ws = await connect(agent, s.protocols);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(startMessage(s, { callSid: `CA${'f'.repeat(32)}` }));
    // The stream token the session issued is bound to its own CallSid, so the start is refused
    // (1008 policy violation) before the ticket's own binding check would hang up (1000).
    expect([1000, 1008]).toContain(await closed);
    expect(started).toHaveLength(0);
  });

  it('streams the call’s events to the holder of its events key and ends the feed with the call', async () => {
    const { agent } = await agentWith(true);
    const s = await session(agent);
    expect((await fetch(`${agent.url}${s.eventsPath}`)).status).toBe(403);
    const feed = await fetch(`${agent.url}${s.eventsPath}`, {
      headers: { authorization: `Bearer ${s.eventsKey}` },
    });
    expect(feed.headers.get('content-type')).toMatch(/text\/event-stream/);
    const ws = await connect(agent, s.protocols);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    ws.send(startMessage(s));
    const text = feed.text(); // resolves when the server ends the feed
    ws.send(
      JSON.stringify({
        event: 'stop',
        sequenceNumber: '2',
        streamSid: s.streamSid,
        stop: { accountSid: s.accountSid, callSid: s.callSid },
      }),
    );
    const events = (await text)
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; seq: number; text?: string; reason?: string });
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'transcript'],
      [2, 'ended'],
    ]);
    expect(events[0]?.text).toBe('שלום');
    expect(events[1]?.reason).toBe('stop');
  });
});
