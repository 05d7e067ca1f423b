// The caller simulator against a tiny WebSocket server written here: what it sends (start
// fields, paced media, dtmf, stop, the signed upgrade) and how it plays the server's audio
// (mark echoes after real-time playout, immediate echoes, clear), plus the recording and the
// per-turn timeline.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import { WebSocketServer, type WebSocket } from 'ws';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { placeCall, SimulatedCall, formatTimeline, type CallEvent } from '../../../src/sim/caller/index.ts';
import { readWavFile } from '../../../src/audio/wav.ts';
import { decodeMulaw } from '../../../src/audio/mulaw.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/audio');

interface Received {
  at: number;
  msg: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface TestServer {
  url: string;
  port: number;
  /** Every upgrade's headers. */
  upgrades: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server that hands each connection and a message log to `onConnection`. */
async function startServer(
  onConnection: (ws: WebSocket, log: Received[], nextMessage: (event: string) => Promise<Received>) => void,
  verifyClient?: (headers: Record<string, string | string[] | undefined>) => boolean,
): Promise<TestServer> {
  const upgrades: TestServer['upgrades'] = [];
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, cb) => {
      upgrades.push(info.req.headers);
      if (verifyClient && !verifyClient(info.req.headers)) cb(false, 403, 'Forbidden');
      else cb(true);
    },
  });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    const log: Received[] = [];
    // Messages not yet taken by nextMessage, so that back-to-back arrivals are never missed.
    const unread: Received[] = [];
    const waiters: { event: string; resolve: (r: Received) => void }[] = [];
    ws.on('message', (data) => {
      const r = { at: performance.now(), msg: JSON.parse(data.toString()) };
      log.push(r);
      const i = waiters.findIndex((w) => w.event === r.msg.event);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(r);
      else unread.push(r);
    });
    const nextMessage = (event: string) =>
      new Promise<Received>((resolve) => {
        const i = unread.findIndex((r) => r.msg.event === event);
        if (i >= 0) resolve(unread.splice(i, 1)[0]!);
        else waiters.push({ event, resolve });
      });
    onConnection(ws, log, nextMessage);
  });
  const port = (wss.address() as AddressInfo).port;
  const server: TestServer = {
    url: `ws://127.0.0.1:${port}`,
    port,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  servers.push(server);
  return server;
}

const silence = (ms: number) => ({ kind: 'silence' as const, ms });
const sendMedia = (ws: WebSocket, streamSid: string, bytes: number, value = 0x10) =>
  ws.send(
    JSON.stringify({
      event: 'media',
      streamSid,
      media: { payload: Buffer.alloc(bytes, value).toString('base64') },
    }),
  );
const sendMark = (ws: WebSocket, streamSid: string, name: string) =>
  ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name } }));

/**
 * Calls `onEnd(n)` when caller utterance n (1, 2, ...) ends: non-silent frames followed by the
 * first all-silent one.
 */
const onUtteranceEnd = (ws: WebSocket, log: Received[], onEnd: (n: number) => void): void => {
  let speaking = false;
  let utterances = 0;
  ws.on('message', () => {
    const m = log[log.length - 1]!.msg;
    if (m.event !== 'media') return;
    const silent = Buffer.from(m.media.payload, 'base64').every((b: number) => b === 0xff);
    if (!silent) speaking = true;
    else if (speaking) {
      speaking = false;
      onEnd(++utterances);
    }
  });
};

/** A server that answers each caller utterance with `replyBytes` of audio, `replyDelayMs` after its end. */
const answeringServer = (replyDelayMs: number, replyBytes: number) =>
  startServer(async (ws, log, next) => {
    const sid = (await next('start')).msg.streamSid as string;
    onUtteranceEnd(ws, log, () => setTimeout(() => sendMedia(ws, sid, replyBytes, 0x20), replyDelayMs));
  });

describe('what the simulator sends', () => {
  // cheapFraming (load tests) writes media frames straight to the socket: the same messages arrive.
  it.each([false, true])(
    'sends connected, start with the Twilio fields, media in 160-byte frames, dtmf and stop (cheapFraming %s)',
    async (cheapFraming) => {
      let log: Received[] = [];
      const server = await startServer((_ws, l) => {
        log = l;
      });
      const audio = Buffer.alloc(400, 0x2a); // 50 ms: 2 full frames + a padded one
      const result = await placeCall({
        url: server.url,
        script: [{ kind: 'play', audio, label: 'x' }, { kind: 'dtmf', digit: '7' }, silence(40)],
        customParameters: { from: '+972500000000', lang: 'he' },
        callSid: 'CAtest',
        streamSid: 'MZtest',
        accountSid: 'ACtest',
        cheapFraming,
      });
      expect(result.outcome).toBe('completed');
      const events = log.map((r) => r.msg.event);
      expect(events).toEqual([
        'connected',
        'start',
        'media',
        'media',
        'media',
        'dtmf',
        'media',
        'media',
        'stop',
      ]);
      const start = log[1]!.msg;
      expect(start.streamSid).toBe('MZtest');
      expect(start.start).toEqual({
        accountSid: 'ACtest',
        callSid: 'CAtest',
        streamSid: 'MZtest',
        tracks: ['inbound'],
        customParameters: { from: '+972500000000', lang: 'he' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      });
      const media = log.filter((r) => r.msg.event === 'media').map((r) => r.msg);
      media.forEach((m, i) => {
        expect(m.streamSid).toBe('MZtest');
        expect(m.media.track).toBe('inbound');
        expect(m.media.chunk).toBe(String(i + 1));
        expect(m.media.timestamp).toBe(String(i * 20));
        expect(Buffer.from(m.media.payload, 'base64')).toHaveLength(160);
      });
      const third = Buffer.from(media[2]!.media.payload, 'base64');
      expect(third.subarray(0, 80).every((b) => b === 0x2a)).toBe(true);
      expect(third.subarray(80).every((b) => b === 0xff)).toBe(true); // padded with mu-law silence
      expect(Buffer.from(media[3]!.media.payload, 'base64').every((b) => b === 0xff)).toBe(true);
      const seqs = log.slice(1).map((r) => Number(r.msg.sequenceNumber));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(log[5]!.msg.dtmf).toEqual({ track: 'inbound_track', digit: '7' });
      expect(log[8]!.msg.stop).toEqual({ accountSid: 'ACtest', callSid: 'CAtest' });
      expect(result.framesSent).toBe(5);
      expect(result.dtmfSent).toBe(1);
      expect(result.turns).toHaveLength(1);
      expect(result.turns[0]!.speechStartMs).toBe(0);
      expect(result.turns[0]!.speechEndMs).toBe(50);
    },
  );

  it('paces 100 frames against an absolute clock (no drift)', async () => {
    let log: Received[] = [];
    const server = await startServer((_ws, l) => {
      log = l;
    });
    await placeCall({ url: server.url, script: [silence(2000)] });
    const media = log.filter((r) => r.msg.event === 'media');
    expect(media).toHaveLength(100);
    const startAt = log.find((r) => r.msg.event === 'start')!.at;
    // Frame k covers [20k, 20k+20) ms and leaves when that audio has been "captured".
    const drift = media.map((r, k) => r.at - startAt - (k + 1) * 20);
    const span = media[99]!.at - media[0]!.at;
    expect(Math.abs(span - 99 * 20)).toBeLessThan(25);
    expect(Math.abs(drift[99]!)).toBeLessThan(25);
    // No accumulated drift: the end is no later than the typical frame.
    const sorted = [...drift].sort((a, b) => a - b);
    expect(drift[99]! - sorted[50]!).toBeLessThan(15);
  });

  it('signs the upgrade so that twilio.validateRequest accepts it', async () => {
    const token = 'test-auth-token';
    const server = await startServer(
      () => {},
      (headers) =>
        twilio.validateRequest(
          token,
          String(headers['x-twilio-signature']),
          'wss://voice.example.com/ws/twilio-media',
          {},
        ),
    );
    const ok = await placeCall({
      url: server.url,
      script: [silence(40)],
      signature: { authToken: token, publicUrl: 'voice.example.com' },
      webhook: false,
    });
    expect(ok.outcome).toBe('completed');
    expect(ok.framesSent).toBe(2);
    const bad = await placeCall({
      url: server.url,
      script: [silence(40)],
      signature: { authToken: 'wrong', publicUrl: 'voice.example.com' },
      webhook: false,
    });
    expect(bad.outcome).toBe('error');
    expect(bad.upgradeStatus).toBe(403);
    expect(server.upgrades).toHaveLength(2);
  });
});

describe('how the simulator plays the agent audio (Twilio playout model)', () => {
  it('echoes a mark when the audio before it has played at real time, and at once when nothing is buffered', async () => {
    const echoes: Received[] = [];
    let sentAt = 0;
    const server = await startServer(async (ws, log, next) => {
      const start = await next('start');
      const sid = start.msg.streamSid as string;
      sendMark(ws, sid, 'idle'); // nothing buffered: immediate
      echoes.push(await next('mark'));
      sentAt = performance.now();
      sendMedia(ws, sid, 4000); // 500 ms
      sendMedia(ws, sid, 4000); // +500 ms
      sendMark(ws, sid, 'after-1s');
      echoes.push(await next('mark'));
      void log;
    });
    const events: CallEvent[] = [];
    const result = await placeCall({
      url: server.url,
      script: [silence(1600)],
      onEvent: (e) => events.push(e),
    });
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['idle', 'after-1s']);
    expect(echoes[1]!.msg.streamSid).toBe(result.streamSid);
    const playedAfter = echoes[1]!.at - sentAt;
    expect(playedAfter).toBeGreaterThanOrEqual(995);
    expect(playedAfter).toBeLessThan(1080);
    const markEvents = events.filter((e) => e.type === 'mark-echo');
    expect(markEvents.map((e) => e.type === 'mark-echo' && e.outcome)).toEqual(['played', 'played']);
    expect(result.agent).toMatchObject({ marksReceived: 2, marksPlayed: 2, marksCleared: 0, playedMs: 1000 });
  });

  it('on clear discards the buffered audio and echoes the pending marks at once', async () => {
    const echoes: Received[] = [];
    let clearAt = 0;
    const server = await startServer(async (ws, _log, next) => {
      const sid = (await next('start')).msg.streamSid as string;
      sendMedia(ws, sid, 16000); // 2 s
      sendMark(ws, sid, 'a');
      sendMedia(ws, sid, 800);
      sendMark(ws, sid, 'b');
      await new Promise((r) => setTimeout(r, 300));
      clearAt = performance.now();
      ws.send(JSON.stringify({ event: 'clear', streamSid: sid }));
      echoes.push(await next('mark'));
      echoes.push(await next('mark'));
      // After the clear the buffer is empty: a new mark echoes at once.
      sendMark(ws, sid, 'c');
      echoes.push(await next('mark'));
    });
    const result = await placeCall({ url: server.url, script: [silence(1000)], record: 'agent' });
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['a', 'b', 'c']);
    expect(echoes[0]!.at - clearAt).toBeLessThan(50);
    expect(echoes[1]!.at - clearAt).toBeLessThan(50);
    expect(result.agent.clears).toBe(1);
    expect(result.agent.marksCleared).toBe(2);
    expect(result.agent.marksPlayed).toBe(1);
    // About 300 of the 2100 ms played; the rest was dropped.
    expect(result.agent.playedMs).toBeGreaterThan(250);
    expect(result.agent.playedMs).toBeLessThan(400);
    expect(result.agent.playedMs + result.agent.discardedMs).toBeCloseTo(2100, 5);
    // The recording holds only what played: non-silent samples ~ playedMs * 8.
    const rec = result.recording!;
    const loud = rec.samples.filter((s) => s !== 0).length;
    expect(Math.abs(loud - result.agent.playedMs * 8)).toBeLessThan(16);
  });

  /** The caller waits for the agent to start, talks over it for 400 ms, then waits for a reply. */
  const bargeInCall = (url: string) =>
    placeCall({
      url,
      script: [
        { kind: 'waitForAgent', until: 'start', timeoutMs: 3000 },
        silence(200),
        { kind: 'play', audio: new Uint8Array(8 * 400).fill(0x20), label: 'barge-in' },
        { kind: 'waitForAgent', until: 'end', quietMs: 300, timeoutMs: 5000 },
      ],
    });

  it('after a clear the agent is silent: the wait after a barge-in lasts until a new answer', async () => {
    // 3 s of answer queued at once; the caller talks over it from ~0.2 s, the server clears at its
    // first voiced frame and answers 3 s after the caller stops (~3.6 s): after the discarded audio
    // would have ended (3 s) and the wait's quiet time (0.3 s) passed.
    const server = await startServer(async (ws, log, next) => {
      const sid = (await next('start')).msg.streamSid as string;
      sendMedia(ws, sid, 24_000, 0x20);
      let cleared = false;
      ws.on('message', () => {
        const m = log[log.length - 1]!.msg;
        if (cleared || m.event !== 'media') return;
        if (Buffer.from(m.media.payload, 'base64').every((b: number) => b === 0xff)) return;
        cleared = true;
        ws.send(JSON.stringify({ event: 'clear', streamSid: sid }));
      });
      onUtteranceEnd(ws, log, () => setTimeout(() => sendMedia(ws, sid, 2400, 0x20), 3000));
    });
    const result = await bargeInCall(server.url);
    const t = result.turns[0]!;
    expect(result.agent.clears).toBe(1);
    expect(t.answerWait).toBe('heard');
    // Before the fix the wait ended at ~3.3 s (the cleared audio's end + 300 ms quiet) and the call
    // stopped before the answer came: no gap at all.
    expect(t.latencyMs).toBeDefined();
    expect(t.latencyMs!).toBeGreaterThanOrEqual(3000);
  });

  it('the rest of an answer the caller talked over is not its reply; the answer after the clear is', async () => {
    // Like this agent, the server sends each sentence as soon as it has it: 1.2 s at once, the
    // next 1 s queued behind it 100 ms after the caller stopped (before it noticed the barge-in);
    // it clears 600 ms after the caller stopped and answers 1.2 s after that.
    const server = await startServer(async (ws, log, next) => {
      const sid = (await next('start')).msg.streamSid as string;
      sendMedia(ws, sid, 9600, 0x20);
      onUtteranceEnd(ws, log, () => {
        setTimeout(() => sendMedia(ws, sid, 8000, 0x20), 100);
        setTimeout(() => ws.send(JSON.stringify({ event: 'clear', streamSid: sid })), 600);
        setTimeout(() => sendMedia(ws, sid, 2400, 0x20), 1800);
      });
    });
    const result = await bargeInCall(server.url);
    const t = result.turns[0]!;
    expect(result.agent.clears).toBe(1);
    // Before the fix the second sentence of the old answer (queued to play ~0.6 s after the
    // speech) counted as the reply.
    expect(t.latencyMs).toBeDefined();
    expect(t.latencyMs!).toBeGreaterThanOrEqual(1700);
  });

  it('counts protocol errors from the server and keeps the call going', async () => {
    const server = await startServer(async (ws, _log, next) => {
      const sid = (await next('start')).msg.streamSid as string;
      ws.send('{not json');
      ws.send(JSON.stringify({ event: 'dance', streamSid: sid }));
      ws.send(JSON.stringify({ event: 'media', streamSid: 'MZother', media: { payload: 'AAAA' } }));
      ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: '***' } }));
      ws.send(JSON.stringify({ event: 'mark', streamSid: sid, mark: {} }));
      ws.send(Buffer.from([1, 2, 3]));
      sendMedia(ws, sid, 160);
    });
    const result = await placeCall({ url: server.url, script: [silence(300)] });
    expect(result.outcome).toBe('completed');
    expect(result.protocolErrors).toEqual({
      invalidJson: 1,
      unknownEvent: 1,
      wrongStreamSid: 1,
      badMessage: 2,
      binaryFrame: 1,
      total: 6,
    });
    expect(result.agent.mediaMessages).toBe(1);
    expect(result.framesSent).toBe(15);
  });
});

describe('timeline and recording', () => {
  it('measures speech end -> first agent audio per turn and records both sides', async () => {
    const replyDelayMs = 200;
    const server = await answeringServer(replyDelayMs, 2400); // 300 ms reply
    const dir = await mkdtemp(join(tmpdir(), 'simrec-'));
    try {
      const recordPath = join(dir, 'call.wav');
      const hello = { kind: 'play' as const, file: join(FIXTURES, 'short.wav') };
      const result = await placeCall({
        url: server.url,
        script: [
          hello,
          { kind: 'waitForAgent', until: 'end', quietMs: 200 },
          hello,
          { kind: 'waitForAgent', quietMs: 200 },
        ],
        record: 'stereo',
        recordPath,
      });
      expect(result.waitTimeouts).toBe(0);
      expect(result.turns).toHaveLength(2);
      for (const t of result.turns) {
        expect(t.label).toBe('short.wav');
        expect(t.answerWait).toBe('heard');
        // The reply follows the first silent frame after speech (sent <= 20 ms after speech end) by 200 ms.
        expect(t.latencyMs!).toBeGreaterThanOrEqual(replyDelayMs);
        // Real time: a loaded machine delays the reply's timer and its delivery (seen up to +100 ms).
        expect(t.latencyMs!).toBeLessThan(replyDelayMs + 250);
      }
      const text = formatTimeline(result);
      expect(text).toContain('short.wav');
      expect(text.split('\n')).toHaveLength(2 + 2 + 3);

      const wav = await readWavFile(recordPath); // stereo is mixed to mono on read; check the raw file too
      expect(wav.channels).toBe(2);
      const rec = result.recording!;
      expect(rec.channels).toBe(2);
      const frames = rec.samples.length / 2;
      expect(Math.abs(frames / 8 - result.durationMs)).toBeLessThan(30);
      // Right channel: agent audio exactly where the timeline says it played, silence before.
      const agentAt = (ms: number) => rec.samples[2 * Math.round(ms * 8) + 1]!;
      const t0 = result.turns[0]!;
      const level = decodeMulaw(Buffer.from([0x20]))[0]!;
      expect(agentAt(t0.agentAudioStartMs! - 5)).toBe(0);
      expect(agentAt(t0.agentAudioStartMs! + 5)).toBe(level);
      expect(agentAt(t0.agentAudioStartMs! + 295)).toBe(level);
      expect(agentAt(t0.agentAudioStartMs! + 305)).toBe(0);
      // Left channel: the caller's speech starts at 0.
      const callerPeak = Math.max(...Array.from({ length: 4000 }, (_, i) => Math.abs(rec.samples[2 * i]!)));
      expect(callerPeak).toBeGreaterThan(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an answer begun in the clip's trailing silence is that turn's, with a negative gap", async () => {
    // A 500 ms reply at the first silent frame after speech: inside the clip's 300 ms of trailing silence.
    const server = await answeringServer(0, 4000);
    const clip = new Uint8Array(8 * 700).fill(0xff);
    clip.fill(0x20, 0, 8 * 400); // 400 ms of voice, then 300 ms of silence
    const result = await placeCall({
      url: server.url,
      script: [
        { kind: 'play', audio: clip, label: 'early' },
        { kind: 'waitForAgent', until: 'end', quietMs: 200 },
      ],
    });
    const t = result.turns[0]!;
    // The reply starts about 20-60 ms after the voice ends, so about 240-280 ms before the clip does
    // (real time: a loaded machine delays it; the point is that it counts, and counts as negative).
    expect(t.latencyMs!).toBeLessThan(-50);
    expect(t.latencyMs!).toBeGreaterThan(-300);
    expect(t.agentAudioStartMs! - t.speechStartMs).toBeGreaterThanOrEqual(400);
  });

  it('waits for the agent to start or finish talking, treating digital silence as quiet', async () => {
    const server = await startServer(async (ws, _log, next) => {
      const sid = (await next('start')).msg.streamSid as string;
      // 400 ms of digital silence first (an agent streaming continuously), then 300 ms of speech.
      sendMedia(ws, sid, 3200, 0xff);
      await new Promise((r) => setTimeout(r, 200));
      sendMedia(ws, sid, 2400, 0x20);
      await next('dtmf');
      sendMedia(ws, sid, 800, 0x7f);
    });
    const events: CallEvent[] = [];
    const result = await placeCall({
      url: server.url,
      script: [
        { kind: 'waitForAgent', until: 'start', timeoutMs: 3000 },
        { kind: 'dtmf', digit: '1' },
        { kind: 'waitForAgent', until: 'end', quietMs: 200, timeoutMs: 3000 },
        { kind: 'dtmf', digit: '2' },
        { kind: 'waitForAgent', until: 'start', timeoutMs: 300 },
      ],
      onEvent: (e) => events.push(e),
    });
    const at = (digit: string) => events.find((e) => e.type === 'dtmf' && e.digit === digit)!.atMs;
    // The speech was queued behind 400 ms of silence: it plays from ~400 to ~700 ms.
    expect(at('1')).toBeGreaterThanOrEqual(390);
    expect(at('1')).toBeLessThan(480);
    expect(at('2')).toBeGreaterThanOrEqual(890);
    expect(at('2')).toBeLessThan(1000);
    // Only digital silence follows: the last wait times out.
    expect(result.waitTimeouts).toBe(1);
    // No utterance came before these waits: no turn to note them on.
    expect(result.turns).toHaveLength(0);
    expect(result.agent.playedMs).toBe(800);
  });

  it('notes per turn how the wait for its answer ended: timed out, or never (the call ended first)', async () => {
    const server = await startServer(() => undefined); // never answers
    const clip = new Uint8Array(8 * 100).fill(0x20);
    const result = await placeCall({
      url: server.url,
      script: [
        { kind: 'play', audio: clip, label: 'unheard' },
        { kind: 'waitForAgent', until: 'end', timeoutMs: 100 },
        { kind: 'play', audio: clip, label: 'last' },
      ],
    });
    expect(result.turns.map((t) => [t.label, t.answerWait])).toEqual([
      ['unheard', 'timed-out'],
      ['last', undefined],
    ]);
    expect(result.waitTimeouts).toBe(1);
  });

  it('reports the server closing first, and hangup() ends a call with stop', async () => {
    const server = await startServer(async (ws, _log, next) => {
      await next('start');
      setTimeout(() => ws.close(1000, 'bye'), 100);
    });
    const r1 = await placeCall({ url: server.url, script: [silence(5000)] });
    expect(r1.outcome).toBe('server-closed');
    expect(r1.closeCode).toBe(1000);
    expect(r1.closeReason).toBe('bye');
    expect(r1.durationMs).toBeLessThan(1000);

    let log: Received[] = [];
    const server2 = await startServer((_ws, l) => {
      log = l;
    });
    const call = new SimulatedCall({ url: server2.url, script: [silence(60_000)] });
    const done = call.run();
    setTimeout(() => call.hangup(), 150);
    const r2 = await done;
    expect(r2.outcome).toBe('completed');
    expect(log[log.length - 1]!.msg.event).toBe('stop');
    expect(r2.framesSent).toBeLessThan(12);
  });

  it('notes the reply marks played and cleared per turn, and a fault hook drop()s the socket without stop', async () => {
    let dropped: { drop(): void } | undefined;
    let closedWith: number | undefined;
    let serverLog: Received[] = [];
    const server = await startServer(async (ws, log, next) => {
      serverLog = log;
      const sid = (await next('start')).msg.streamSid as string;
      ws.on('close', (code) => (closedWith = code));
      onUtteranceEnd(ws, log, (utterances) => {
        if (utterances === 1) {
          sendMedia(ws, sid, 1600, 0x20); // 200 ms, played
          sendMark(ws, sid, 'answer-1-1');
        } else {
          sendMedia(ws, sid, 16000, 0x20); // 2 s, cleared after 100 ms
          sendMark(ws, sid, 'apology-2-2');
          setTimeout(() => {
            ws.send(JSON.stringify({ event: 'clear', streamSid: sid }));
            setTimeout(() => dropped?.drop(), 100);
          }, 100);
        }
      });
    });
    const short = { kind: 'play' as const, file: join(FIXTURES, 'short.wav') };
    const before = Date.now();
    const result = await placeCall({
      url: server.url,
      script: [short, { kind: 'waitForAgent', until: 'end', quietMs: 200 }, short, silence(30_000)],
      faults: {
        register(call) {
          dropped = call;
          return () => (dropped = undefined);
        },
      },
    });
    expect(result.outcome).toBe('dropped');
    expect(dropped).toBeUndefined(); // unregistered when the call ended
    expect(result.durationMs).toBeLessThan(10_000);
    expect(result.startedAtEpochMs).toBeGreaterThanOrEqual(before);
    expect(result.turns.map((t) => [t.marksPlayed, t.marksCleared])).toEqual([
      [['answer-1-1'], undefined],
      [undefined, ['apology-2-2']],
    ]);
    expect(result.turns[0]!.firstMarkPlayedMs).toBeGreaterThan(result.turns[0]!.speechEndMs);
    await expect.poll(() => closedWith).toBe(1006); // no close handshake, no stop
    expect(serverLog.some((r) => r.msg.event === 'stop')).toBe(false);
  });

  it('reports a refused connection as an error result', async () => {
    const server = await startServer(() => {});
    const port = server.port;
    await server.close();
    servers.length = 0;
    const r = await placeCall({ url: `ws://127.0.0.1:${port}`, script: [silence(100)] });
    expect(r.outcome).toBe('error');
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});
