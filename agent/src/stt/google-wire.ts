// The Speech StreamingRecognize messages on the client side, for what the agent reads or sends.
//
// gax loads the Speech protos with proto-loader's `defaults: true, longs: String`, so every
// response was decoded by protobufjs and then copied by `toObject` into a plain object with every
// default field materialised (word lists, language codes, billed time, int64s turned into decimal
// strings through Long). The stream reads six fields. Here a response is decoded by the same
// protobufjs message type, from the same protos.json the client ships, and the stream reads the
// decoded message's fields directly (unset ones come from its prototype's defaults; enums are
// numbers and int64s Longs, which src/stt/google.ts and raw.ts read): the toObject copy is gone,
// the decoding, its checks and its errors are the library's own.
//
// Audio-only requests (all but the first message of a stream) are encoded here, byte for byte as
// protobufjs encodes them: one bytes field (google-wire.test.ts compares the bytes).
import { createRequire } from 'node:module';

interface MessageType {
  decode(buf: Uint8Array): unknown;
}
interface ProtobufRoot {
  lookupType(name: string): MessageType;
}

// The protobufjs and the protos of the installed @google-cloud/speech (through its own gax).
const speechRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/speech'));
let root: ProtobufRoot | undefined;

/** A Speech message type by its full name; the first call loads the client's protos.json (about 40 ms). */
function speechMessageType(name: string): MessageType {
  if (!root) {
    const gax = speechRequire('google-gax') as {
      protobuf: { Root: { fromJSON(json: unknown): ProtobufRoot } };
    };
    root = gax.protobuf.Root.fromJSON(speechRequire('../protos/protos.json'));
  }
  return root.lookupType(name);
}

/** The StreamingRecognizeRequest field that carries audio: audio_content (v1) = 2, audio (v2) = 5; bytes. */
export const V1_AUDIO_FIELD = 2;
export const V2_AUDIO_FIELD = 5;

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
  /** The response message's full name. */
  readonly responseType: string;
  /** A request's audio when it carries audio alone (the other request fields unset), as the agent writes it. */
  readonly audioOf: (msg: Record<string, unknown>) => unknown;
  readonly audioField: number;
}

export const V1_STREAMING: StreamingCodecs = {
  path: '/google.cloud.speech.v1.Speech/StreamingRecognize',
  responseType: 'google.cloud.speech.v1.StreamingRecognizeResponse',
  audioOf: (m) => (m.streamingConfig == null ? m.audioContent : undefined),
  audioField: V1_AUDIO_FIELD,
};

export const V2_STREAMING: StreamingCodecs = {
  path: '/google.cloud.speech.v2.Speech/StreamingRecognize',
  responseType: 'google.cloud.speech.v2.StreamingRecognizeResponse',
  audioOf: (m) => (m.streamingConfig == null && m.recognizer == null ? m.audio : undefined),
  audioField: V2_AUDIO_FIELD,
};

/** A version's response decoder: the library's message type, without the toObject copy. */
export function streamingResponseDecoder(codecs: StreamingCodecs): (buf: Buffer) => unknown {
  const type = speechMessageType(codecs.responseType);
  return (buf) => type.decode(buf);
}

interface MethodCodecs {
  readonly path: string;
  readonly requestSerialize: (msg: never) => Buffer;
  readonly responseDeserialize: (buf: Buffer) => unknown;
}

/**
 * grpc-js's `callInvocationTransformer` (a client option gax passes through as
 * `grpc.callInvocationTransformer`): the version's StreamingRecognize calls get the response
 * decoder above, and audio-only requests this module's encoder (the same bytes; every other
 * request, the config included, keeps the library's serializer). Other methods are untouched.
 */
export function streamingCallTransformer<P extends { methodDefinition: MethodCodecs }>(
  codecs: StreamingCodecs,
): (props: P) => P {
  const { path, audioOf, audioField } = codecs;
  const responseDeserialize = streamingResponseDecoder(codecs);
  return (props) => {
    const method = props.methodDefinition;
    if (method.path !== path) return props;
    const serialize = method.requestSerialize as (msg: Record<string, unknown>) => Buffer;
    const requestSerialize = (msg: Record<string, unknown>): Buffer => {
      const audio = msg !== null && typeof msg === 'object' ? audioOf(msg) : undefined;
      return audio instanceof Uint8Array ? encodeAudioRequest(audio, audioField) : serialize(msg);
    };
    return { ...props, methodDefinition: { ...method, requestSerialize, responseDeserialize } };
  };
}
