// The Speech streaming messages on the wire, for the fields the agent reads or sends. Pure.
//
// gax loads the Speech protos with proto-loader's `defaults: true, longs: String`, so every
// response was decoded into protobufjs messages and then copied by `toObject` into plain objects
// with every default field materialised (word lists, language codes, billed time, durations as
// decimal strings through Long). The stream reads six fields; this decoder reads those and skips
// the rest, and gives them in the same shape `toObject` does (an alternative's transcript and
// confidence, a result's isFinal, stability and end time, the speech event and the v1 error), so
// the code that reads a response is the same for either decoder.
//
// It reads like protobufjs's generated decoders (7.x): a known field is read by its declared type
// whatever its wire type, an unknown one is skipped by its wire type, a submessage must fit in its
// parent and be read to its end exactly, reads stop at the end of the message being read (a
// string that overruns it is cut there), and anything else past the end throws.
//
// Field numbers: google/cloud/speech/v1 and v2 cloud_speech.proto (shipped in
// @google-cloud/speech's build/protos/protos.json; google-wire.test.ts checks them against it).

/**
 * A field the agent does not keep, by its declared type: protobufjs reads a known field by that
 * type whatever its wire type (and checks a known submessage's fields), so these are read the same
 * way and dropped, so that a malformed message fails or passes as it does with the library.
 */
type Dropped = 'varint' | 'int64' | 'float' | 'string' | 'bytes' | Schema;
interface Schema {
  readonly [field: number]: Dropped;
}

const DURATION: Schema = { 1: 'int64', 2: 'varint' };
const WORD_V1: Schema = { 1: DURATION, 2: DURATION, 3: 'string', 4: 'float', 5: 'varint', 6: 'string' };
const WORD_V2: Schema = { 1: DURATION, 2: DURATION, 3: 'string', 4: 'float', 6: 'string' };
/** StreamingRecognitionResult: channel_tag, language_code (v1 and v2). */
const RESULT_DROPPED: Schema = { 5: 'varint', 6: 'string' };
/** google.rpc.Status: details (google.protobuf.Any). */
const STATUS_DROPPED: Schema = { 3: { 1: 'string', 2: 'bytes' } };

/** Where a version's StreamingRecognizeResponse keeps the fields the agent reads. */
export interface ResponseLayout {
  readonly results: number;
  readonly speechEventType: number;
  /** speech_event_time (v1) / speech_event_offset (v2), under the name toObject gives it. */
  readonly speechEventTime: number;
  readonly speechEventTimeName: 'speechEventTime' | 'speechEventOffset';
  /** v1 only: google.rpc.Status; 0 when the version has none. */
  readonly error: number;
  /** result_end_time (v1) / result_end_offset (v2) inside a StreamingRecognitionResult. */
  readonly resultEndName: 'resultEndTime' | 'resultEndOffset';
  /** The SpeechEventType enum's names by number (what toObject with `enums: String` gives). */
  readonly eventNames: readonly string[];
  /** The response's other fields, and SpeechRecognitionAlternative's (words: WordInfo). */
  readonly dropped: Schema;
  readonly alternativeDropped: Schema;
}

export const V1_RESPONSE: ResponseLayout = {
  results: 2,
  speechEventType: 4,
  speechEventTime: 8,
  speechEventTimeName: 'speechEventTime',
  error: 1,
  resultEndName: 'resultEndTime',
  eventNames: [
    'SPEECH_EVENT_UNSPECIFIED',
    'END_OF_SINGLE_UTTERANCE',
    'SPEECH_ACTIVITY_BEGIN',
    'SPEECH_ACTIVITY_END',
    'SPEECH_ACTIVITY_TIMEOUT',
  ],
  // total_billed_time, speech_adaptation_info, request_id
  dropped: { 5: DURATION, 9: { 1: 'varint', 4: 'string' }, 10: 'int64' },
  alternativeDropped: { 3: WORD_V1 },
};

export const V2_RESPONSE: ResponseLayout = {
  results: 6,
  speechEventType: 3,
  speechEventTime: 7,
  speechEventTimeName: 'speechEventOffset',
  error: 0,
  resultEndName: 'resultEndOffset',
  eventNames: [
    'SPEECH_EVENT_TYPE_UNSPECIFIED',
    'END_OF_SINGLE_UTTERANCE',
    'SPEECH_ACTIVITY_BEGIN',
    'SPEECH_ACTIVITY_END',
  ],
  // metadata (RecognitionResponseMetadata: request_id, total_billed_duration, prompt)
  dropped: { 5: { 9: 'string', 6: DURATION, 10: 'string' } },
  alternativeDropped: { 3: WORD_V2 },
};

/** The StreamingRecognizeRequest field that carries audio: audio_content (v1) = 2, audio (v2) = 5; bytes. */
export const V1_AUDIO_FIELD = 2;
export const V2_AUDIO_FIELD = 5;

export interface WireDuration {
  seconds: number;
  nanos: number;
}
export interface WireAlternative {
  transcript: string;
  confidence: number;
}
export interface WireResult {
  alternatives: WireAlternative[];
  isFinal: boolean;
  stability: number;
  resultEndTime?: WireDuration;
  resultEndOffset?: WireDuration;
}
/** The fields of a StreamingRecognizeResponse the agent reads, named as toObject names them. */
export interface WireResponse {
  results: WireResult[];
  speechEventType?: string | number;
  speechEventTime?: WireDuration;
  speechEventOffset?: WireDuration;
  error?: { code: number; message: string };
}

/** A cursor over one message buffer; `end` is where the message being read ends (protobufjs's `len`). */
class Cursor {
  pos = 0;
  readonly buf: Buffer;
  end: number;
  constructor(buf: Buffer) {
    this.buf = buf;
    this.end = buf.length;
  }

  outOfRange(n: number): RangeError {
    return new RangeError(`index out of range: ${this.pos} + ${n} > ${this.end}`);
  }

  /**
   * A varint's low 32 bits, unsigned, as protobufjs reads it: near the end byte by byte (at most
   * four), elsewhere five bytes unchecked and the rest of a ten-byte varint skipped unread.
   */
  uint32(): number {
    const buf = this.buf;
    if (this.end - this.pos < 5) {
      if (this.pos >= this.end) throw this.outOfRange(1);
      if (buf[this.pos]! >= 128) return this.uint32NearEnd();
    }
    let value = buf[this.pos]! & 127;
    if (buf[this.pos++]! < 128) return value;
    value = (value | ((buf[this.pos]! & 127) << 7)) >>> 0;
    if (buf[this.pos++]! < 128) return value;
    value = (value | ((buf[this.pos]! & 127) << 14)) >>> 0;
    if (buf[this.pos++]! < 128) return value;
    value = (value | ((buf[this.pos]! & 127) << 21)) >>> 0;
    if (buf[this.pos++]! < 128) return value;
    value = (value | ((buf[this.pos]! & 15) << 28)) >>> 0;
    if (buf[this.pos++]! < 128) return value;
    if ((this.pos += 5) > this.end) {
      this.pos = this.end;
      throw this.outOfRange(10);
    }
    return value;
  }

  private uint32NearEnd(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) throw this.outOfRange(1);
      const b = this.buf[this.pos++]!;
      value = (value | ((b & 127) << (i * 7))) >>> 0;
      if (b < 128) return value;
    }
    throw this.outOfRange(1);
  }

  /**
   * A signed 64-bit varint as a number (exact below 2^53, as Number(toObject's decimal string)
   * is), read as protobufjs's readLongVarint reads it, near-end shortcuts included.
   */
  int64(): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    const value = (): number => (hi | 0) * 4294967296 + (lo >>> 0);
    if (this.end - this.pos > 4) {
      for (let i = 0; i < 4; i++) {
        lo = (lo | ((buf[this.pos]! & 127) << (i * 7))) >>> 0;
        if (buf[this.pos++]! < 128) return value();
      }
      lo = (lo | ((buf[this.pos]! & 127) << 28)) >>> 0;
      hi = (hi | ((buf[this.pos]! & 127) >> 4)) >>> 0;
      if (buf[this.pos++]! < 128) return value();
    } else {
      for (let i = 0; i < 3; i++) {
        if (this.pos >= this.end) throw this.outOfRange(1);
        lo = (lo | ((buf[this.pos]! & 127) << (i * 7))) >>> 0;
        if (buf[this.pos++]! < 128) return value();
      }
      lo = (lo | ((buf[this.pos++]! & 127) << 21)) >>> 0;
      return value();
    }
    const near = this.end - this.pos <= 4;
    for (let i = 0; i < 5; i++) {
      if (near && this.pos >= this.end) throw this.outOfRange(1);
      hi = (hi | ((buf[this.pos]! & 127) << (i * 7 + 3))) >>> 0;
      if (buf[this.pos++]! < 128) return value();
    }
    throw new Error('invalid varint encoding');
  }

  float(): number {
    if (this.pos + 4 > this.end) throw this.outOfRange(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  /** protobufjs's BufferReader cuts a string that overruns its message at the message's end instead of throwing. */
  string(): string {
    const n = this.uint32();
    const stop = Math.min(this.pos + n, this.end);
    const s = this.buf.toString('utf8', this.pos, stop);
    this.pos = stop;
    return s;
  }

  skip(wireType: number, depth = 0): void {
    if (depth > 100) throw new Error('maximum nesting depth exceeded');
    switch (wireType) {
      case 0:
        do if (this.pos >= this.end) throw this.outOfRange(1);
        while (this.buf[this.pos++]! & 128);
        return;
      case 1:
        this.skipBytes(8);
        return;
      case 2:
        this.skipBytes(this.uint32());
        return;
      case 3:
        for (let t = this.uint32() & 7; t !== 4; t = this.uint32() & 7) this.skip(t, depth + 1);
        return;
      case 5:
        this.skipBytes(4);
        return;
      default:
        throw new Error(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  /** Reads and drops a field: by its declared type if the schema knows it, else by its wire type. */
  drop(tag: number, schema: Schema): void {
    const kind = schema[tag >>> 3];
    if (kind === undefined) this.skip(tag & 7);
    else this.dropKind(kind);
  }

  private dropKind(kind: Dropped): void {
    if (kind === 'varint') this.uint32();
    else if (kind === 'int64') this.int64();
    else if (kind === 'float') this.float();
    else if (kind === 'string') this.string();
    else if (kind === 'bytes') this.skipBytes(this.uint32());
    else {
      const outer = this.enter();
      while (this.pos < this.end) this.drop(this.uint32(), kind);
      this.leave(outer);
    }
  }

  private skipBytes(n: number): void {
    if (this.pos + n > this.end) throw this.outOfRange(n);
    this.pos += n;
  }

  /** Enters a length-delimited submessage: reads stop at its end; returns the enclosing end for leave(). */
  enter(): number {
    const n = this.uint32();
    const end = this.pos + n;
    if (end > this.end) throw new RangeError('index out of range');
    const outer = this.end;
    this.end = end;
    return outer;
  }

  /** Leaves a submessage, which must have been read to its end exactly. */
  leave(outer: number): void {
    if (this.pos !== this.end) throw new RangeError('index out of range');
    this.end = outer;
  }
}

function duration(c: Cursor): WireDuration {
  const outer = c.enter();
  const d: WireDuration = { seconds: 0, nanos: 0 };
  while (c.pos < c.end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    if (field === 1) d.seconds = c.int64();
    else if (field === 2) d.nanos = c.uint32() | 0;
    else c.skip(tag & 7);
  }
  c.leave(outer);
  return d;
}

function alternative(c: Cursor, dropped: Schema): WireAlternative {
  const outer = c.enter();
  const a: WireAlternative = { transcript: '', confidence: 0 };
  while (c.pos < c.end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    if (field === 1) a.transcript = c.string();
    else if (field === 2) a.confidence = c.float();
    else c.drop(tag, dropped);
  }
  c.leave(outer);
  return a;
}

function result(c: Cursor, layout: ResponseLayout): WireResult {
  const outer = c.enter();
  const r: WireResult = { alternatives: [], isFinal: false, stability: 0 };
  while (c.pos < c.end) {
    const tag = c.uint32();
    switch (tag >>> 3) {
      case 1:
        r.alternatives.push(alternative(c, layout.alternativeDropped));
        break;
      case 2:
        r.isFinal = c.uint32() !== 0;
        break;
      case 3:
        r.stability = c.float();
        break;
      case 4:
        r[layout.resultEndName] = duration(c);
        break;
      default:
        c.drop(tag, RESULT_DROPPED);
    }
  }
  c.leave(outer);
  return r;
}

function status(c: Cursor): { code: number; message: string } {
  const outer = c.enter();
  const s = { code: 0, message: '' };
  while (c.pos < c.end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    if (field === 1) s.code = c.uint32() | 0;
    else if (field === 2) s.message = c.string();
    else c.drop(tag, STATUS_DROPPED);
  }
  c.leave(outer);
  return s;
}

/** Decodes one StreamingRecognizeResponse (v1 or v2 by `layout`); throws on a malformed message. */
export function decodeStreamingResponse(buf: Buffer, layout: ResponseLayout): WireResponse {
  const c = new Cursor(buf);
  const out: WireResponse = { results: [] };
  while (c.pos < c.end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    if (field === layout.results) out.results.push(result(c, layout));
    else if (field === layout.speechEventType) {
      const v = c.uint32() | 0;
      out.speechEventType = layout.eventNames[v] ?? v;
    } else if (field === layout.speechEventTime) out[layout.speechEventTimeName] = duration(c);
    else if (field === layout.error && layout.error !== 0) out.error = status(c);
    else c.drop(tag, layout.dropped);
  }
  return out;
}

/** A StreamingRecognizeRequest carrying only audio, byte for byte as protobufjs encodes it. */
export function encodeAudioRequest(audio: Uint8Array, field: number): Buffer {
  const n = audio.length;
  let header = 2; // tag (fields 2 and 5 fit one byte) + the first length byte
  for (let v = n >>> 7; v !== 0; v >>>= 7) header++;
  const out = Buffer.allocUnsafe(header + n);
  out[0] = (field << 3) | 2;
  let at = 1;
  let v = n;
  while (v > 0x7f) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  out.set(audio, at);
  return out;
}

/** The StreamingRecognize codecs of one Speech version, for grpc-js's callInvocationTransformer. */
export interface StreamingCodecs {
  readonly path: string;
  readonly layout: ResponseLayout;
  /** A request's audio when it carries audio alone (the other request fields unset), as the agent writes it. */
  readonly audioOf: (msg: Record<string, unknown>) => unknown;
  readonly audioField: number;
}

export const V1_STREAMING: StreamingCodecs = {
  path: '/google.cloud.speech.v1.Speech/StreamingRecognize',
  layout: V1_RESPONSE,
  audioOf: (m) => (m.streamingConfig == null ? m.audioContent : undefined),
  audioField: V1_AUDIO_FIELD,
};

export const V2_STREAMING: StreamingCodecs = {
  path: '/google.cloud.speech.v2.Speech/StreamingRecognize',
  layout: V2_RESPONSE,
  audioOf: (m) => (m.streamingConfig == null && m.recognizer == null ? m.audio : undefined),
  audioField: V2_AUDIO_FIELD,
};

interface MethodCodecs {
  readonly path: string;
  readonly requestSerialize: (msg: never) => Buffer;
  readonly responseDeserialize: (buf: Buffer) => unknown;
}

/**
 * grpc-js's `callInvocationTransformer` (a client option gax passes through as
 * `grpc.callInvocationTransformer`): the version's StreamingRecognize calls get this module's
 * response decoder, and audio-only requests this module's encoder (the same bytes; every other
 * request, the config included, keeps the library's serializer). Other methods are untouched.
 */
export function streamingCallTransformer<P extends { methodDefinition: MethodCodecs }>(
  codecs: StreamingCodecs,
): (props: P) => P {
  const { path, layout, audioOf, audioField } = codecs;
  const decode = (buf: Buffer): WireResponse => decodeStreamingResponse(buf, layout);
  return (props) => {
    const method = props.methodDefinition;
    if (method.path !== path) return props;
    const serialize = method.requestSerialize as (msg: Record<string, unknown>) => Buffer;
    const requestSerialize = (msg: Record<string, unknown>): Buffer => {
      const audio = msg !== null && typeof msg === 'object' ? audioOf(msg) : undefined;
      return audio instanceof Uint8Array ? encodeAudioRequest(audio, audioField) : serialize(msg);
    };
    return { ...props, methodDefinition: { ...method, requestSerialize, responseDeserialize: decode } };
  };
}
