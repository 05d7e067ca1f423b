// Twilio Media Streams wire protocol: parse + validate every Twilio -> server message into a
// typed event, track the per-socket stream phase, and encode the server's media / mark / clear.
// Pure functions only; the WebSocket glue (connection.ts) decides what to do with each error.
// Facts: /work/shared/reference/twilio-media-streams.md (counters arrive as decimal strings,
// sampleRate/channels as numbers, payload is base64 mu-law 8 kHz without a header).
import { parseMediaFast } from './media-fast.ts';

/** Frames larger than this are rejected (a 20 ms media frame is ~400 bytes of JSON). */
export const MAX_FRAME_BYTES = 64 * 1024;

export type ProtocolErrorKind =
  | 'too_large' // frame over MAX_FRAME_BYTES
  | 'invalid_utf8' // a text frame that is not UTF-8 (ws fails the connection: 1007, RFC 6455 8.1)
  | 'binary' // binary WebSocket frame (Twilio only sends text; its error 31950 the other way)
  | 'invalid_json' // not JSON, or not a JSON object
  | 'unknown_event' // `event` missing or not one of connected/start/media/mark/dtmf/stop
  | 'invalid_field' // a required field missing or of the wrong type/format
  | 'wrong_stream_sid' // streamSid differs from the one announced in `start`
  | 'media_before_start' // media/mark/dtmf/stop before `start`
  | 'duplicate_start' // a second `start` on the same socket
  | 'after_stop' // anything after `stop`
  | 'unknown_mark'; // a mark echo whose name this stream never sent (or already resolved)

export interface ProtocolError {
  readonly kind: ProtocolErrorKind;
  readonly message: string;
  /** The event name when it could be read. */
  readonly event?: string;
}

export interface MediaFormat {
  readonly encoding: string;
  readonly sampleRate: number;
  readonly channels: number;
}

export interface ConnectedEvent {
  readonly event: 'connected';
  readonly protocol: string;
  readonly version: string;
}

export interface StartEvent {
  readonly event: 'start';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly start: {
    readonly streamSid: string;
    readonly accountSid: string;
    readonly callSid: string;
    readonly tracks: readonly string[];
    readonly customParameters: Readonly<Record<string, string>>;
    readonly mediaFormat: MediaFormat;
  };
}

export interface MediaEvent {
  readonly event: 'media';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly media: {
    readonly track: string;
    /** Frame counter (1-based in practice); gaps mean frames were lost. */
    readonly chunk: number;
    /** ms since the stream started, on Twilio's clock. */
    readonly timestamp: number;
    /** Decoded mu-law bytes. */
    readonly payload: Buffer;
  };
}

export interface MarkEvent {
  readonly event: 'mark';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly mark: { readonly name: string };
}

export interface DtmfEvent {
  readonly event: 'dtmf';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly dtmf: { readonly track: string; readonly digit: string };
}

export interface StopEvent {
  readonly event: 'stop';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly stop: { readonly accountSid: string; readonly callSid: string };
}

export type TwilioEvent = ConnectedEvent | StartEvent | MediaEvent | MarkEvent | DtmfEvent | StopEvent;
export type TwilioEventName = TwilioEvent['event'];
export const TWILIO_EVENT_NAMES: readonly TwilioEventName[] = [
  'connected',
  'start',
  'media',
  'mark',
  'dtmf',
  'stop',
];

export type ParseResult =
  { readonly ok: true; readonly event: TwilioEvent } | { readonly ok: false; readonly error: ProtocolError };

// ---------------------------------------------------------------------------------------------
// Stateless parsing of one frame

class FieldError extends Error {}

const SID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DTMF_PATTERN = /^[0-9*#A-Da-dw]$/;

function fail(message: string): never {
  throw new FieldError(message);
}

function obj(parent: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const v = parent[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${path}${key} must be an object`);
  return v as Record<string, unknown>;
}

function str(parent: Record<string, unknown>, key: string, path: string, pattern?: RegExp): string {
  const v = parent[key];
  if (typeof v !== 'string' || v === '') fail(`${path}${key} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(v)) fail(`${path}${key} has an invalid format`);
  return v;
}

/** 1-15 decimal digits as a number, or -1. Three per media frame: a loop, not a regular expression. */
function decimal(v: string): number {
  const n = v.length;
  if (n < 1 || n > 15) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Twilio sends counters as decimal strings; numbers are accepted too. */
function counter(parent: Record<string, unknown>, key: string, path: string): number {
  const v = parent[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  const n = typeof v === 'string' ? decimal(v) : -1;
  if (n >= 0) return n;
  return fail(`${path}${key} must be a non-negative integer (decimal string)`);
}

function positiveNumber(parent: Record<string, unknown>, key: string, path: string): number {
  const v = parent[key];
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) fail(`${path}${key} must be a positive number`);
  return n;
}

function parseConnected(m: Record<string, unknown>): ConnectedEvent {
  return { event: 'connected', protocol: str(m, 'protocol', ''), version: str(m, 'version', '') };
}

function parseStart(m: Record<string, unknown>): StartEvent {
  const s = obj(m, 'start', '');
  const streamSid = str(m, 'streamSid', '', SID_PATTERN);
  const innerSid = str(s, 'streamSid', 'start.', SID_PATTERN);
  if (innerSid !== streamSid) fail('start.streamSid differs from streamSid');
  const tracksRaw = s['tracks'];
  if (!Array.isArray(tracksRaw) || tracksRaw.length === 0 || !tracksRaw.every((t) => typeof t === 'string')) {
    fail('start.tracks must be a non-empty array of strings');
  }
  const paramsRaw = s['customParameters'] ?? {};
  if (typeof paramsRaw !== 'object' || paramsRaw === null || Array.isArray(paramsRaw))
    fail('start.customParameters must be an object');
  const customParameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(paramsRaw)) {
    if (typeof v !== 'string') fail(`start.customParameters.${k} must be a string`);
    customParameters[k] = v;
  }
  const f = obj(s, 'mediaFormat', 'start.');
  const mediaFormat: MediaFormat = {
    encoding: str(f, 'encoding', 'start.mediaFormat.'),
    sampleRate: positiveNumber(f, 'sampleRate', 'start.mediaFormat.'),
    channels: positiveNumber(f, 'channels', 'start.mediaFormat.'),
  };
  if (
    mediaFormat.encoding !== 'audio/x-mulaw' ||
    mediaFormat.sampleRate !== 8000 ||
    mediaFormat.channels !== 1
  ) {
    fail(
      `start.mediaFormat must be audio/x-mulaw 8000 Hz mono, got ${mediaFormat.encoding} ${mediaFormat.sampleRate} Hz x${mediaFormat.channels}`,
    );
  }
  return {
    event: 'start',
    sequenceNumber: counter(m, 'sequenceNumber', ''),
    streamSid,
    start: {
      streamSid,
      accountSid: str(s, 'accountSid', 'start.', SID_PATTERN),
      callSid: str(s, 'callSid', 'start.', SID_PATTERN),
      tracks: tracksRaw as string[],
      customParameters: Object.freeze(customParameters),
      mediaFormat,
    },
  };
}

/**
 * Decodes base64, or undefined if it is not well-formed. Node's decoder silently skips characters
 * outside the alphabet, so a decoded length short of what the text length implies means bad input;
 * this costs nothing next to a regular expression over the payload (the per-frame hot path).
 */
function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === (text.length / 4) * 3 - padding ? decoded : undefined;
}

function parseMedia(m: Record<string, unknown>): MediaEvent {
  const md = obj(m, 'media', '');
  const b64 = str(md, 'payload', 'media.');
  const payload = decodeBase64Strict(b64);
  if (payload === undefined) fail('media.payload must be base64');
  const track = md['track'] === undefined ? 'inbound' : str(md, 'track', 'media.');
  return {
    event: 'media',
    sequenceNumber: counter(m, 'sequenceNumber', ''),
    streamSid: str(m, 'streamSid', ''),
    media: {
      track,
      chunk: counter(md, 'chunk', 'media.'),
      timestamp: counter(md, 'timestamp', 'media.'),
      payload,
    },
  };
}

function parseMark(m: Record<string, unknown>): MarkEvent {
  const mk = obj(m, 'mark', '');
  return {
    event: 'mark',
    sequenceNumber: counter(m, 'sequenceNumber', ''),
    streamSid: str(m, 'streamSid', ''),
    mark: { name: str(mk, 'name', 'mark.') },
  };
}

function parseDtmf(m: Record<string, unknown>): DtmfEvent {
  const d = obj(m, 'dtmf', '');
  return {
    event: 'dtmf',
    sequenceNumber: counter(m, 'sequenceNumber', ''),
    streamSid: str(m, 'streamSid', ''),
    dtmf: {
      track: d['track'] === undefined ? 'inbound_track' : str(d, 'track', 'dtmf.'),
      digit: str(d, 'digit', 'dtmf.', DTMF_PATTERN),
    },
  };
}

function parseStop(m: Record<string, unknown>): StopEvent {
  // Twilio always sends stop.accountSid/callSid; tolerate a bare stop (nothing depends on them).
  const s = m['stop'] === undefined ? {} : obj(m, 'stop', '');
  return {
    event: 'stop',
    sequenceNumber: counter(m, 'sequenceNumber', ''),
    streamSid: str(m, 'streamSid', ''),
    stop: {
      accountSid: typeof s['accountSid'] === 'string' ? s['accountSid'] : '',
      callSid: typeof s['callSid'] === 'string' ? s['callSid'] : '',
    },
  };
}

function frameBytes(data: string | Buffer | ArrayBuffer | readonly Buffer[]): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Array.isArray(data)) return data.reduce((n: number, b: Buffer) => n + b.length, 0);
  return (data as Buffer | ArrayBuffer).byteLength;
}

function frameText(data: string | Buffer | ArrayBuffer | readonly Buffer[]): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return (data as Buffer).toString('utf8');
}

/**
 * Parses one WebSocket frame (as delivered by `ws`: Buffer, ArrayBuffer or fragments, or a
 * string) into a typed event. Stateless: stream-phase checks are in `applyEvent`. Plain `media`
 * messages take a fast path (media-fast.ts) with the same result; `knownSid`, the stream's sid
 * if known, only saves allocating it again.
 */
export function parseFrame(
  data: string | Buffer | ArrayBuffer | readonly Buffer[],
  isBinary: boolean,
  knownSid?: string,
): ParseResult {
  const size = frameBytes(data);
  if (size > MAX_FRAME_BYTES) {
    return {
      ok: false,
      error: { kind: 'too_large', message: `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}` },
    };
  }
  if (isBinary)
    return {
      ok: false,
      error: { kind: 'binary', message: `binary frame of ${size} bytes (text JSON expected)` },
    };
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : undefined;
  if (bytes !== undefined) {
    const media = parseMediaFast(bytes, knownSid);
    if (media !== undefined) return { ok: true, event: media };
  }
  return parseMessageText(frameText(data));
}

/** The general parser for one frame's text: JSON.parse, then the per-event field checks. */
export function parseMessageText(text: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: { kind: 'invalid_json', message: `invalid JSON: ${(err as Error).message}` } };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: { kind: 'invalid_json', message: 'message is not a JSON object' } };
  }
  const m = parsed as Record<string, unknown>;
  const name = m['event'];
  if (typeof name !== 'string' || !(TWILIO_EVENT_NAMES as readonly string[]).includes(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : String(typeof name);
    return { ok: false, error: { kind: 'unknown_event', message: `unknown event ${shown}` } };
  }
  try {
    switch (name as TwilioEventName) {
      case 'connected':
        return { ok: true, event: parseConnected(m) };
      case 'start':
        return { ok: true, event: parseStart(m) };
      case 'media':
        return { ok: true, event: parseMedia(m) };
      case 'mark':
        return { ok: true, event: parseMark(m) };
      case 'dtmf':
        return { ok: true, event: parseDtmf(m) };
      case 'stop':
        return { ok: true, event: parseStop(m) };
    }
  } catch (err) {
    if (err instanceof FieldError)
      return { ok: false, error: { kind: 'invalid_field', message: `${name}: ${err.message}`, event: name } };
    throw err;
  }
  // Unreachable: the switch is exhaustive over TWILIO_EVENT_NAMES.
  return { ok: false, error: { kind: 'unknown_event', message: `unknown event ${name}` } };
}

// ---------------------------------------------------------------------------------------------
// Stream phase (one per socket)

export type StreamPhase = 'awaiting_start' | 'started' | 'stopped';

export interface StreamState {
  readonly phase: StreamPhase;
  /** Set by `start`. */
  readonly streamSid?: string;
}

export const INITIAL_STREAM_STATE: StreamState = Object.freeze({ phase: 'awaiting_start' });

export type ApplyResult =
  | { readonly ok: true; readonly state: StreamState }
  | { readonly ok: false; readonly error: ProtocolError; readonly state: StreamState };

/** Checks a parsed event against the socket's stream phase and returns the next phase. Pure. */
export function applyEvent(state: StreamState, event: TwilioEvent): ApplyResult {
  const reject = (kind: ProtocolErrorKind, message: string): ApplyResult => ({
    ok: false,
    error: { kind, message, event: event.event },
    state,
  });
  if (state.phase === 'stopped') return reject('after_stop', `${event.event} after stop`);
  if (event.event === 'connected') return { ok: true, state };
  if (event.event === 'start') {
    if (state.phase === 'started') return reject('duplicate_start', 'second start on one stream');
    return { ok: true, state: { phase: 'started', streamSid: event.streamSid } };
  }
  if (state.phase === 'awaiting_start') return reject('media_before_start', `${event.event} before start`);
  if (event.streamSid !== state.streamSid) {
    return reject(
      'wrong_stream_sid',
      `${event.event} for stream ${event.streamSid.slice(0, 64)} on stream ${state.streamSid}`,
    );
  }
  if (event.event === 'stop') return { ok: true, state: { phase: 'stopped', streamSid: state.streamSid } };
  return { ok: true, state };
}

// ---------------------------------------------------------------------------------------------
// Server -> Twilio

/** A media message with raw base64 mu-law 8 kHz (no header). */
export function encodeMedia(streamSid: string, mulaw: Buffer | Uint8Array): string {
  const b64 = Buffer.isBuffer(mulaw)
    ? mulaw.toString('base64')
    : Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
  // Hand-built on the hot path: base64 needs no escaping and the sid is JSON-escaped.
  return `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"${b64}"}}`;
}

export function encodeMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function encodeClear(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
