import { describe, expect, it } from 'vitest';
import {
  INITIAL_STREAM_STATE,
  MAX_FRAME_BYTES,
  applyEvent,
  encodeClear,
  encodeMark,
  encodeMedia,
  parseFrame,
  type ProtocolErrorKind,
  type StreamState,
  type TwilioEvent,
} from '../../../src/twilio/protocol.ts';

const SID = 'MZ0123456789abcdef0123456789abcdef';

// Messages shaped exactly as in Twilio's Media Streams docs (counters are strings).
const connected = { event: 'connected', protocol: 'Call', version: '1.0.0' };
const start = {
  event: 'start',
  sequenceNumber: '1',
  start: {
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    streamSid: SID,
    callSid: 'CA0123456789abcdef0123456789abcdef',
    tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    customParameters: { from: '+972501234567', to: '+97231234567' },
  },
  streamSid: SID,
};
const payload = Buffer.alloc(160, 0xff).toString('base64');
const media = {
  event: 'media',
  sequenceNumber: '3',
  media: { track: 'inbound', chunk: '1', timestamp: '5', payload },
  streamSid: SID,
};
const mark = { event: 'mark', sequenceNumber: '4', streamSid: SID, mark: { name: 'greeting#1' } };
const dtmf = {
  event: 'dtmf',
  streamSid: SID,
  sequenceNumber: '5',
  dtmf: { track: 'inbound_track', digit: '1' },
};
const stop = {
  event: 'stop',
  sequenceNumber: '6',
  streamSid: SID,
  stop: { accountSid: start.start.accountSid, callSid: start.start.callSid },
};

function ok(message: unknown): TwilioEvent {
  const r = parseFrame(JSON.stringify(message), false);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.kind}: ${r.error.message}`);
  return r.event;
}

function errorKind(data: string | Buffer, isBinary = false): ProtocolErrorKind {
  const r = parseFrame(data, isBinary);
  if (r.ok) throw new Error(`expected an error, got ${r.event.event}`);
  return r.error.kind;
}

function without(message: Record<string, unknown>, path: string[]): unknown {
  const copy = structuredClone(message) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path.at(-1)!];
  return copy;
}

describe('parseFrame: valid Twilio messages', () => {
  it('parses connected', () => {
    expect(ok(connected)).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  });

  it('parses start with numeric counters and custom parameters', () => {
    const e = ok(start);
    expect(e.event).toBe('start');
    if (e.event !== 'start') return;
    expect(e.sequenceNumber).toBe(1);
    expect(e.streamSid).toBe(SID);
    expect(e.start.callSid).toBe(start.start.callSid);
    expect(e.start.customParameters).toEqual({ from: '+972501234567', to: '+97231234567' });
    expect(e.start.mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
  });

  it('parses media with the payload decoded and counters as numbers', () => {
    const e = ok(media);
    if (e.event !== 'media') throw new Error('not media');
    expect(e.media.chunk).toBe(1);
    expect(e.media.timestamp).toBe(5);
    expect(e.media.payload.length).toBe(160);
    expect(e.media.payload.every((b) => b === 0xff)).toBe(true);
  });

  it('parses mark, dtmf and stop', () => {
    expect(ok(mark)).toMatchObject({ event: 'mark', mark: { name: 'greeting#1' }, sequenceNumber: 4 });
    expect(ok(dtmf)).toMatchObject({ event: 'dtmf', dtmf: { digit: '1', track: 'inbound_track' } });
    expect(ok(stop)).toMatchObject({ event: 'stop', stop: { callSid: start.start.callSid } });
  });

  it('accepts a Buffer text frame and fragmented frames', () => {
    expect(parseFrame(Buffer.from(JSON.stringify(connected)), false).ok).toBe(true);
    const text = Buffer.from(JSON.stringify(media));
    expect(parseFrame([text.subarray(0, 10), text.subarray(10)], false).ok).toBe(true);
  });
});

describe('parseFrame: bad input gets a precise error kind', () => {
  it('too_large: a frame over 64 KiB, even if it is valid JSON', () => {
    const big = JSON.stringify({ ...media, media: { ...media.media, payload: 'A'.repeat(MAX_FRAME_BYTES) } });
    expect(errorKind(big)).toBe('too_large');
    expect(errorKind(Buffer.alloc(MAX_FRAME_BYTES + 1), true)).toBe('too_large');
  });

  it('binary: a binary frame', () => {
    expect(errorKind(Buffer.from(JSON.stringify(media)), true)).toBe('binary');
  });

  it('invalid_json: malformed JSON or a non-object', () => {
    expect(errorKind('{"event":"media",')).toBe('invalid_json');
    expect(errorKind('[1,2]')).toBe('invalid_json');
    expect(errorKind('null')).toBe('invalid_json');
    expect(errorKind('"media"')).toBe('invalid_json');
  });

  it('unknown_event: missing or unknown event names', () => {
    expect(errorKind(JSON.stringify({ streamSid: SID }))).toBe('unknown_event');
    expect(errorKind(JSON.stringify({ event: 'clear', streamSid: SID }))).toBe('unknown_event');
    expect(errorKind(JSON.stringify({ event: 42 }))).toBe('unknown_event');
  });

  it.each([
    ['start without start.callSid', without(start, ['start', 'callSid'])],
    ['start without mediaFormat', without(start, ['start', 'mediaFormat'])],
    [
      'start with another encoding',
      {
        ...start,
        start: { ...start.start, mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 } },
      },
    ],
    ['start with mismatched stream sids', { ...start, streamSid: 'MZother' }],
    [
      'start with a non-string custom parameter',
      { ...start, start: { ...start.start, customParameters: { n: 1 } } },
    ],
    ['start without tracks', without(start, ['start', 'tracks'])],
    ['media without payload', without(media, ['media', 'payload'])],
    ['media with a non-base64 payload', { ...media, media: { ...media.media, payload: 'not base64!' } }],
    ['media without chunk', without(media, ['media', 'chunk'])],
    ['media with a negative timestamp', { ...media, media: { ...media.media, timestamp: '-5' } }],
    ['media without streamSid', without(media, ['streamSid'])],
    ['media without the media object', without(media, ['media'])],
    ['mark without name', without(mark, ['mark', 'name'])],
    ['dtmf with a bad digit', { ...dtmf, dtmf: { track: 'inbound_track', digit: 'xx' } }],
    ['stop without sequenceNumber', without(stop, ['sequenceNumber'])],
  ])('invalid_field: %s', (_name, message) => {
    const r = parseFrame(JSON.stringify(message), false);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('invalid_field');
      expect(r.error.message.length).toBeGreaterThan(5);
    }
  });
});

describe('applyEvent: stream phase', () => {
  const run = (messages: unknown[]): { state: StreamState; errors: ProtocolErrorKind[] } => {
    let state = INITIAL_STREAM_STATE;
    const errors: ProtocolErrorKind[] = [];
    for (const m of messages) {
      const r = applyEvent(state, ok(m));
      if (r.ok) state = r.state;
      else errors.push(r.error.kind);
    }
    return { state, errors };
  };

  it('accepts the normal sequence', () => {
    const { state, errors } = run([connected, start, media, mark, dtmf, media, stop]);
    expect(errors).toEqual([]);
    expect(state).toEqual({ phase: 'stopped', streamSid: SID });
  });

  it('media_before_start for media, mark, dtmf or stop before start', () => {
    expect(run([connected, media, mark, dtmf, stop]).errors).toEqual([
      'media_before_start',
      'media_before_start',
      'media_before_start',
      'media_before_start',
    ]);
  });

  it('wrong_stream_sid for events of another stream', () => {
    const other = { ...media, streamSid: 'MZffffffffffffffffffffffffffffffff' };
    const { errors, state } = run([start, other, { ...stop, streamSid: other.streamSid }]);
    expect(errors).toEqual(['wrong_stream_sid', 'wrong_stream_sid']);
    expect(state.phase).toBe('started');
  });

  it('after_stop for anything after stop', () => {
    expect(run([start, stop, media, stop, start]).errors).toEqual(['after_stop', 'after_stop', 'after_stop']);
  });

  it('duplicate_start for a second start', () => {
    expect(run([start, start]).errors).toEqual(['duplicate_start']);
  });
});

describe('encoders', () => {
  it('encodes media as raw base64 mu-law without a header', () => {
    const audio = Buffer.from([0xff, 0x7f, 0x00, 0x80]);
    const msg = JSON.parse(encodeMedia(SID, audio));
    expect(msg).toEqual({ event: 'media', streamSid: SID, media: { payload: audio.toString('base64') } });
    expect(Buffer.from(msg.media.payload, 'base64')).toEqual(audio);
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3);
    expect(JSON.parse(encodeMedia(SID, view)).media.payload).toBe(Buffer.from([2, 3]).toString('base64'));
  });

  it('escapes a stream sid safely', () => {
    expect(JSON.parse(encodeMedia('a"b', Buffer.from([1]))).streamSid).toBe('a"b');
  });

  it('encodes mark and clear', () => {
    expect(JSON.parse(encodeMark(SID, 'x#1'))).toEqual({
      event: 'mark',
      streamSid: SID,
      mark: { name: 'x#1' },
    });
    expect(JSON.parse(encodeClear(SID))).toEqual({ event: 'clear', streamSid: SID });
  });
});
