// The Speech wire codecs (src/stt/google-wire.ts) against the client library's own codecs: a
// response decoded either way (the library's decode + toObject, or the same message type's decode
// alone) makes the stream report the same results, speech events and errors (every field of the
// message set, every prefix of it, seeded corruptions), and an audio request is encoded to the
// same bytes. Real emulator responses: test/integration/stt/google-wire.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeAudioRequest,
  streamingCallTransformer,
  streamingResponseDecoder,
  V1_AUDIO_FIELD,
  V1_STREAMING,
  V2_AUDIO_FIELD,
  V2_STREAMING,
  type StreamingCodecs,
} from '../../../src/stt/google-wire.ts';
import { libraryCodecs, streamEvents, type LibraryCodecs } from './speech-wire.ts';
import { seededRandom } from '../../../src/sim/profile.ts';

const duration = (seconds: number, nanos: number): { seconds: number; nanos: number } => ({ seconds, nanos });

const words = [
  {
    startTime: duration(0, 100_000_000),
    endTime: duration(1, 0),
    word: 'שלום',
    confidence: 0.8,
    speakerLabel: '1',
  },
];

/** Every field of a v1 StreamingRecognizeResponse, the ones the agent skips included. */
const V1_FULL = {
  error: {
    code: 11,
    message: 'Exceeded maximum allowed stream duration of 305 seconds.',
    details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from([10, 1, 65]) }],
  },
  results: [
    {
      alternatives: [
        { transcript: 'שלום, אני רוצה', confidence: 0.92, words },
        { transcript: 'שלום אני רוצה', confidence: 0.4, words },
      ],
      isFinal: true,
      stability: 0,
      resultEndTime: duration(3, 250_000_000),
      channelTag: 1,
      languageCode: 'iw-il',
    },
    {
      alternatives: [{ transcript: ' לבדוק את', confidence: 0 }],
      stability: 0.9,
      resultEndTime: duration(4, 10_000_000),
      languageCode: 'iw-il',
    },
    {
      alternatives: [{ transcript: ' ההזמנה' }],
      stability: 0.01,
      resultEndTime: duration(2 ** 40, 999_999_999),
    },
  ],
  speechEventType: 'SPEECH_ACTIVITY_END',
  speechEventTime: duration(4, 500_000_000),
  totalBilledTime: duration(15, 0),
  speechAdaptationInfo: { adaptationTimeout: true, timeoutMessage: 'late' },
  requestId: '1234567890123',
};

const V2_FULL = {
  results: [
    {
      alternatives: [{ transcript: 'שלום.', confidence: 0.9, words }],
      isFinal: true,
      resultEndOffset: duration(1, 500_000_000),
      channelTag: 1,
      languageCode: 'iw-IL',
    },
    { alternatives: [{ transcript: 'מה' }], resultEndOffset: duration(2, 0), languageCode: 'iw-IL' },
  ],
  speechEventType: 'SPEECH_ACTIVITY_BEGIN',
  speechEventOffset: duration(0, 800_000_000),
  metadata: { requestId: 'r-1', totalBilledDuration: duration(3, 0) },
};

/** Responses that each exercise one thing: empty, events alone, negative and huge durations, no alternatives. */
const V1_CASES: Record<string, unknown> = {
  full: V1_FULL,
  empty: {},
  begin: { speechEventType: 'SPEECH_ACTIVITY_BEGIN', speechEventTime: duration(0, 300_000_000) },
  'begin without time': { speechEventType: 'SPEECH_ACTIVITY_BEGIN' },
  'end of single utterance': { speechEventType: 'END_OF_SINGLE_UTTERANCE' },
  timeout: { speechEventType: 'SPEECH_ACTIVITY_TIMEOUT', speechEventTime: duration(9, 0) },
  'error alone': { error: { code: 3, message: 'bad audio' } },
  'error code 0': { error: { code: 0, message: 'not an error' } },
  'negative duration': {
    results: [{ alternatives: [{ transcript: 'א' }], resultEndTime: duration(-2, -5) }],
  },
  'no alternatives': { results: [{ isFinal: true }, { stability: 0.5 }] },
  'empty transcript': { results: [{ alternatives: [{ transcript: '' }], isFinal: true }] },
};

const V2_CASES: Record<string, unknown> = {
  full: V2_FULL,
  empty: {},
  end: { speechEventType: 'SPEECH_ACTIVITY_END', speechEventOffset: duration(5, 1) },
  interims: {
    results: [
      { alternatives: [{ transcript: 'אני' }] },
      { alternatives: [{ transcript: 'רוצה' }], stability: 0.1 },
    ],
  },
};

/** The stream's reading of a response decoded by the library, and by google-wire (undefined: it threw). */
function readBoth(
  lib: LibraryCodecs,
  decode: (buf: Buffer) => unknown,
  buf: Buffer,
): [ReturnType<typeof streamEvents> | undefined, ReturnType<typeof streamEvents> | undefined] {
  const read = (decode: () => unknown): ReturnType<typeof streamEvents> | undefined => {
    let resp: unknown;
    try {
      resp = decode();
    } catch {
      return undefined;
    }
    return streamEvents(resp);
  };
  return [read(() => lib.responseDeserialize(buf)), read(() => decode(buf))];
}

describe.each([
  ['v1', V1_STREAMING, V1_CASES, V1_AUDIO_FIELD, 'audioContent'],
  ['v2', V2_STREAMING, V2_CASES, V2_AUDIO_FIELD, 'audio'],
] as const)(
  '%s StreamingRecognize codecs',
  (version, codecs: StreamingCodecs, cases, audioField, audioKey) => {
    let lib: LibraryCodecs;
    let decode: (buf: Buffer) => unknown;
    beforeAll(async () => {
      lib = await libraryCodecs(version);
      decode = streamingResponseDecoder(codecs);
    });

    it.each(Object.keys(cases))('response "%s": the stream reads the same as from the library', (name) => {
      const buf = lib.responseSerialize(cases[name]);
      const [expected, actual] = readBoth(lib, decode, buf);
      expect(expected).toBeDefined();
      expect(actual).toEqual(expected);
    });

    it('the full response carries what the stream reads (not a vacuous comparison)', () => {
      const events = streamEvents(decode(lib.responseSerialize(cases.full)));
      const kinds = events.map((e) => e[0]);
      expect(kinds).toContain('result');
      if (version === 'v1') expect(kinds).toContain('error');
      else expect(kinds).toContain('speech');
    });

    // The same decoder either way, so a malformed message fails or passes alike; what the stream
    // reads of the decoded message (Longs, enum numbers, prototype defaults) must be the same too.
    it('every prefix of the full response: both throw, or both read the same', () => {
      const buf = lib.responseSerialize(cases.full);
      let threw = 0;
      for (let n = 0; n < buf.length; n++) {
        const [expected, actual] = readBoth(lib, decode, buf.subarray(0, n));
        expect(actual, `prefix of ${n} bytes`).toEqual(expected);
        if (expected === undefined) threw++;
      }
      expect(threw).toBeGreaterThan(buf.length / 2);
    });

    it('1500 seeded corruptions of the full response (bytes changed, cut, or inserted): both throw, or both read the same', () => {
      const buf = lib.responseSerialize(cases.full);
      const random = seededRandom(version === 'v1' ? 13 : 14);
      let bothRead = 0;
      for (let i = 0; i < 1500; i++) {
        const bytes = [...buf];
        for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
          const at = Math.floor(random() * bytes.length);
          const kind = random();
          if (kind < 0.6) bytes[at] = Math.floor(random() * 256);
          else if (kind < 0.8) bytes.splice(at, 1);
          else bytes.splice(at, 0, Math.floor(random() * 256));
        }
        const [expected, actual] = readBoth(lib, decode, Buffer.from(bytes));
        expect(actual, `corruption ${i}: ${Buffer.from(bytes).toString('hex')}`).toEqual(expected);
        if (expected !== undefined) bothRead++;
      }
      expect(bothRead).toBeGreaterThan(100);
    });

    it.each([0, 1, 127, 128, 640, 16_383, 16_384, 25_600])(
      'an audio request of %i bytes is encoded to the library bytes',
      (size) => {
        const audio = Buffer.alloc(size);
        for (let i = 0; i < size; i++) audio[i] = (i * 37) & 0xff;
        expect(encodeAudioRequest(audio, audioField)).toEqual(lib.requestSerialize({ [audioKey]: audio }));
      },
    );

    it("the call transformer: this version's StreamingRecognize gets the codecs (config through the library's serializer), any other method is left alone", () => {
      const transform = streamingCallTransformer(codecs);
      const props = { methodDefinition: { ...lib, path: codecs.path }, channel: 'kept' };
      const out = transform(props) as typeof props;
      expect(out.channel).toBe('kept');
      const audio = Buffer.from([1, 2, 3, 0xff]);
      const config =
        version === 'v1'
          ? { streamingConfig: { config: { languageCode: 'iw-IL' }, interimResults: true } }
          : {
              recognizer: 'projects/p/locations/eu/recognizers/_',
              streamingConfig: { config: { model: 'chirp_3' } },
            };
      for (const msg of [config, { [audioKey]: audio }, { [audioKey]: audio.toString('base64') }])
        expect(out.methodDefinition.requestSerialize(msg as never)).toEqual(lib.requestSerialize(msg));
      const response = lib.responseSerialize(cases.full);
      expect(streamEvents(out.methodDefinition.responseDeserialize(response))).toEqual(
        streamEvents(lib.responseDeserialize(response)),
      );
      // Not the library's objects: decoded messages, no default field copied in.
      const empty = lib.responseSerialize({});
      expect(Object.keys(out.methodDefinition.responseDeserialize(empty) as object)).not.toContain(
        'speechEventType',
      );
      expect(Object.keys(lib.responseDeserialize(empty))).toContain('speechEventType');

      const other = {
        methodDefinition: { ...lib, path: `/google.cloud.speech.${version}.Speech/Recognize` },
      };
      expect(transform(other)).toBe(other);
    });
  },
);
