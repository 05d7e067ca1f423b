// MediaConnection's abuse bounds on fake time, over a fake socket: the start deadline, the media
// timeout (handler and its STT stream disposed), the outbound queue of a peer that does not read,
// and peer-supplied chunk/timestamp values that must not corrupt metrics or latency.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type { AudioChunk } from '../../../src/audio/types.ts';
import type { CallHandler, CallHandlerFactory, MediaSink } from '../../../src/call/types.ts';
import { MediaConnection, type StartAdmission } from '../../../src/twilio/connection.ts';
import { registry } from '../../../src/telemetry/metrics.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  terminated = false;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  receive(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
}

const SIDS = {
  streamSid: `MZ${'1'.repeat(32)}`,
  callSid: `CA${'2'.repeat(32)}`,
  accountSid: `AC${'3'.repeat(32)}`,
};

function startMessage(customParameters: Record<string, string> = {}) {
  return {
    event: 'start',
    sequenceNumber: '1',
    streamSid: SIDS.streamSid,
    start: {
      ...SIDS,
      tracks: ['inbound'],
      customParameters,
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  };
}

function mediaMessage(chunk: number, timestamp: number) {
  return {
    event: 'media',
    sequenceNumber: String(chunk + 1),
    streamSid: SIDS.streamSid,
    media: {
      track: 'inbound',
      chunk: String(chunk),
      timestamp: String(timestamp),
      payload: Buffer.alloc(160, 0xff).toString('base64'),
    },
  };
}

interface Recorder {
  audio: AudioChunk[];
  disposed: string[];
  sink?: MediaSink;
}

function recordingFactory(rec: Recorder): CallHandlerFactory {
  return ({ sink }) => {
    rec.sink = sink;
    const handler: CallHandler = {
      onAudio: (c) => rec.audio.push(c),
      onMark: () => {},
      onDtmf: () => {},
      dispose: async (reason) => {
        rec.disposed.push(reason);
      },
    };
    return handler;
  };
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

let clock = 0;
const now = () => clock;

function connect(
  options: Partial<{
    mediaTimeoutMs: number;
    outboundBufferBytes: number;
    admitStart: (e: unknown) => StartAdmission;
  }> = {},
) {
  const socket = new FakeSocket();
  const rec: Recorder = { audio: [], disposed: [] };
  const finished: MediaConnection[] = [];
  const conn = new MediaConnection({
    socket: socket as unknown as WebSocket,
    logger: silentLogger,
    handlerFactory: recordingFactory(rec),
    connectionId: 'ws-test',
    startTimeoutMs: 3000,
    onFinished: (c) => finished.push(c),
    now,
    ...options,
  });
  return { socket, rec, finished, conn };
}

beforeEach(() => {
  vi.useFakeTimers();
  clock = 1000;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('start deadline', () => {
  it('closes a socket that sends no start within the deadline (1008) and counts it', async () => {
    const before = await counter('hva_rejected_requests_total', { reason: 'start_timeout' });
    const { socket, finished } = connect();
    socket.receive({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    await vi.advanceTimersByTimeAsync(2999);
    expect(socket.closed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.closed).toEqual({ code: 1008, reason: 'start_timeout' });
    expect(finished).toHaveLength(1);
    expect(await counter('hva_rejected_requests_total', { reason: 'start_timeout' })).toBe(before + 1);
  });

  it('a refused start (bad stream token) ends the socket without creating a handler', async () => {
    const { socket, rec } = connect({
      admitStart: () => ({ ok: false, reason: 'stream_token_missing', code: 1008 }),
    });
    socket.receive(startMessage());
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.closed).toEqual({ code: 1008, reason: 'stream_token_missing' });
    expect(rec.sink).toBeUndefined();
  });
});

describe('media timeout', () => {
  it('ends a started call that stops sending media, disposing its handler (and so its STT stream)', async () => {
    const before = await counter('hva_calls_ended_by_edge_total', { reason: 'media_timeout' });
    const { socket, rec } = connect({ mediaTimeoutMs: 5000 });
    socket.receive(startMessage());
    // Media keeps it alive past several timeouts.
    for (let i = 1; i <= 400; i++) {
      clock += 20;
      await vi.advanceTimersByTimeAsync(20);
      socket.receive(mediaMessage(i, i * 20));
    }
    expect(socket.closed).toBeUndefined();
    clock += 4999;
    await vi.advanceTimersByTimeAsync(4999);
    expect(socket.closed).toBeUndefined();
    clock += 1;
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.closed).toEqual({ code: 1008, reason: 'media_timeout' });
    expect(rec.disposed).toEqual(['media_timeout']);
    expect(await counter('hva_calls_ended_by_edge_total', { reason: 'media_timeout' })).toBe(before + 1);
  });
});

describe('a peer that does not read', () => {
  it('ends the call once unsent outbound audio passes the bound, and counts it', async () => {
    const before = await counter('hva_calls_ended_by_edge_total', { reason: 'slow_consumer' });
    const { socket, rec } = connect({ outboundBufferBytes: 16_000 });
    socket.receive(startMessage());
    const sink = rec.sink!;
    sink.sendMedia(Buffer.alloc(8000, 0x10));
    socket.bufferedAmount = 15_000;
    sink.sendMedia(Buffer.alloc(1600, 0x10));
    expect(socket.terminated).toBe(false);
    socket.bufferedAmount = 16_001;
    sink.sendMedia(Buffer.alloc(1600, 0x10));
    expect(socket.terminated).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.disposed).toEqual(['slow_consumer']);
    const sentBefore = socket.sent.length;
    sink.sendMedia(Buffer.alloc(1600, 0x10));
    expect(socket.sent.length).toBe(sentBefore);
    expect(await counter('hva_calls_ended_by_edge_total', { reason: 'slow_consumer' })).toBe(before + 1);
  });
});

describe('peer values', () => {
  it('audio time never runs ahead of the call clock, so no latency measured from it can be negative', async () => {
    const before = await counter('hva_peer_values_rejected_total', { field: 'timestamp_ahead' });
    const { socket, rec } = connect();
    socket.receive(startMessage());
    clock += 40;
    // 10 s of audio claimed after 40 ms: faster than real time.
    socket.receive(mediaMessage(1, 10_000));
    clock += 20;
    socket.receive(mediaMessage(2, 10_020));
    expect(rec.audio.map((a) => a.audioTimeMs)).toEqual([40, 60]);
    for (const a of rec.audio) expect(a.audioTimeMs).toBeLessThanOrEqual(rec.sink!.now());
    expect(rec.sink!.now()).toBe(60);
    expect(await counter('hva_peer_values_rejected_total', { field: 'timestamp_ahead' })).toBe(before + 1);
  });

  it('a chunk jump the call clock cannot explain is not counted as billions of dropped frames', async () => {
    const dropped = await registry.getSingleMetric('hva_dropped_frames_total')!.get();
    const droppedBefore = dropped.values[0]?.value ?? 0;
    const jumpsBefore = await counter('hva_peer_values_rejected_total', { field: 'chunk_jump' });
    const { socket } = connect();
    socket.receive(startMessage());
    clock += 20;
    socket.receive(mediaMessage(1, 0));
    socket.receive(mediaMessage(9_000_000_000, 20));
    clock += 20;
    socket.receive(mediaMessage(2, 20));
    const after = await registry.getSingleMetric('hva_dropped_frames_total')!.get();
    expect((after.values[0]?.value ?? 0) - droppedBefore).toBe(0);
    expect(await counter('hva_peer_values_rejected_total', { field: 'chunk_jump' })).toBe(jumpsBefore + 1);
  });
});

describe('a connection lost without stop', () => {
  it('ends the call, disposes the handler and counts it as lost; a stop-then-close is not lost', async () => {
    const before = await counter('hva_calls_lost_total', { reason: 'socket_closed' });
    const { socket, rec, finished } = connect();
    socket.receive(startMessage());
    socket.receive(mediaMessage(1, 20));
    // The network drops: the socket closes with 1006 and no stop was ever sent.
    socket.readyState = 3;
    socket.emit('close', 1006, Buffer.from(''));
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.disposed).toEqual(['socket_closed']);
    expect(finished).toHaveLength(1);
    expect(await counter('hva_calls_lost_total', { reason: 'socket_closed' })).toBe(before + 1);

    const ended = connect();
    ended.socket.receive(startMessage());
    ended.socket.receive({
      event: 'stop',
      sequenceNumber: '3',
      streamSid: SIDS.streamSid,
      stop: { accountSid: SIDS.accountSid, callSid: SIDS.callSid },
    });
    ended.socket.emit('close', 1000, Buffer.from(''));
    await vi.advanceTimersByTimeAsync(0);
    expect(ended.rec.disposed).toEqual(['stop']);
    // A socket that closes before start is no call at all.
    const early = connect();
    early.socket.emit('close', 1006, Buffer.from(''));
    await vi.advanceTimersByTimeAsync(0);
    expect(await counter('hva_calls_lost_total', { reason: 'socket_closed' })).toBe(before + 1);
  });

  it('counts a socket error on a live call once', async () => {
    const before = await counter('hva_calls_lost_total', { reason: 'socket_error' });
    const closedBefore = await counter('hva_calls_lost_total', { reason: 'socket_closed' });
    const { socket, rec } = connect();
    socket.receive(startMessage());
    socket.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    socket.emit('close', 1006, Buffer.from(''));
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.disposed).toEqual(['socket_error']);
    expect(await counter('hva_calls_lost_total', { reason: 'socket_error' })).toBe(before + 1);
    expect(await counter('hva_calls_lost_total', { reason: 'socket_closed' })).toBe(closedBefore);
  });
});
