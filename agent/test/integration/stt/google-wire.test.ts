// The Speech client path's own codecs and cancel (src/stt/google-wire.ts, src/stt/google.ts)
// against the emulator, through the real @google-cloud/speech client: every response the emulator
// sends reads the same decoded without toObject (google-wire) as with the library's deserializer;
// the providers' clients really decode that way; and cancelling a stream at call end reaches the server without gax
// parsing our own CANCELLED for status details (a protobuf Root built per stream).
import { createRequire } from 'node:module';
import speech from '@google-cloud/speech';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { parseBehaviour } from '../../../src/sim/speech/behaviour.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { BUILTIN_PROFILE } from '../../../src/sim/speech/profile.ts';
import { resolveSttTarget } from '../../../src/stt/capabilities.ts';
import {
  createGoogleV1Provider,
  providerClientOptions,
  speechClientOptions,
} from '../../../src/stt/google.ts';
import { streamingResponseDecoder, V1_STREAMING, V2_STREAMING } from '../../../src/stt/google-wire.ts';
import { streamEvents } from '../../unit/stt/speech-wire.ts';
import { callAudio } from './harness.ts';

// The gax instance the Speech client itself uses.
const gax = createRequire(createRequire(import.meta.url).resolve('@google-cloud/speech'))('google-gax') as {
  GoogleError: { parseGRPCStatusDetails(err: unknown): unknown };
};

let emulator: SpeechEmulator;
beforeAll(async () => {
  // Google-like responses: a stable head and an unstable tail per interim, punctuated finals.
  const behaviour = parseBehaviour({
    finalPunctuation: 'sentence',
    resultsPerInterimResponse: 'stableHeadUnstableTail',
    unstableTailWords: { min: 1, max: 2 },
    stabilityV1: { stableHead: 0.9, unstableTail: 0.01 },
    stabilityV2: 'unset',
  });
  emulator = await startSpeechEmulator({
    latencyScale: 0.2,
    seed: 13,
    profile: { ...BUILTIN_PROFILE, behaviour },
  });
});
afterAll(async () => {
  await emulator.close();
});

type Version = 'v1' | 'v2';
interface StreamCall {
  on(event: string, fn: (arg: never) => void): unknown;
  write(msg: unknown): boolean;
  end(): void;
}

function clientFor(version: Version, options: Record<string, unknown>): { close(): Promise<void> } {
  type Options = ConstructorParameters<typeof speech.v1.SpeechClient>[0];
  return version === 'v1'
    ? new speech.v1.SpeechClient(options as Options)
    : new speech.v2.SpeechClient(options as Options);
}

const FIRST = (version: Version): Record<string, unknown> =>
  version === 'v1'
    ? {
        streamingConfig: {
          config: { encoding: 'MULAW', sampleRateHertz: 8000, languageCode: 'iw-IL', model: 'default' },
          interimResults: true,
          enableVoiceActivityEvents: true,
        },
      }
    : {
        recognizer: 'projects/test-project/locations/eu/recognizers/_',
        streamingConfig: {
          config: {
            explicitDecodingConfig: { encoding: 'MULAW', sampleRateHertz: 8000, audioChannelCount: 1 },
            languageCodes: ['iw-IL'],
            model: 'chirp_3',
          },
          streamingFeatures: { interimResults: true, enableVoiceActivityEvents: true },
        },
      };

/** Streams two fixtures (80 ms messages, 4x real time) on a raw client stream and half-closes; resolves with every response. */
async function converse(version: Version, client: unknown, callId: string): Promise<unknown[]> {
  const audio = callAudio(['address', 'question'], 700);
  emulator.setScript(callId, audio.lines);
  const call = (client as { _streamingRecognize(o: unknown): StreamCall })._streamingRecognize({
    otherArgs: { headers: { 'x-hva-call-id': callId } },
  });
  const responses: unknown[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    call.on('data', (r: unknown) => responses.push(r));
    call.on('error', reject);
    call.on('end', () => resolve());
  });
  call.write(FIRST(version));
  for (let at = 0; at < audio.mulaw.length; at += 640) {
    const chunk = audio.mulaw.subarray(at, at + 640);
    call.write(version === 'v1' ? { audioContent: chunk } : { audio: chunk });
    await new Promise((r) => setTimeout(r, 20));
  }
  call.end();
  await ended;
  return responses;
}

describe.each(['v1', 'v2'] as const)('Speech %s responses from the emulator', (version) => {
  const target = (): ReturnType<typeof resolveSttTarget> =>
    resolveSttTarget(
      defaultConfig({
        sttEndpoint: emulator.address,
        sttApiVersion: version,
        ...(version === 'v2'
          ? { sttModel: 'chirp_3', googleProject: 'test-project', sttLocation: 'eu' }
          : {}),
      }),
    );
  const config = { googleProject: '', googleCredentials: '' };

  it('read the same decoded without toObject as by the library, each one', async () => {
    const raw: Buffer[] = [];
    const library: unknown[] = [];
    // The library's own deserializer, with each raw message kept beside what it made of it.
    const record = (props: {
      methodDefinition: { responseDeserialize: (b: Buffer) => unknown };
    }): unknown => {
      const deserialize = props.methodDefinition.responseDeserialize;
      const responseDeserialize = (b: Buffer): unknown => {
        raw.push(Buffer.from(b));
        const out = deserialize(b);
        library.push(out);
        return out;
      };
      return { ...props, methodDefinition: { ...props.methodDefinition, responseDeserialize } };
    };
    const client = clientFor(version, {
      ...speechClientOptions(target(), config),
      'grpc.callInvocationTransformer': record,
    });
    try {
      await converse(version, client, `wire-${version}`);
    } finally {
      await client.close();
    }
    const decode = streamingResponseDecoder(version === 'v1' ? V1_STREAMING : V2_STREAMING);
    const events = raw.map((b) => streamEvents(decode(b)));
    expect(events).toEqual(library.map((r) => streamEvents(r)));
    // Not vacuous: interims of several results, finals and speech events were among them.
    const flat = events.flat();
    expect(raw.length).toBeGreaterThan(15);
    expect(flat.filter((e) => e[0] === 'result' && e[2]).length).toBeGreaterThanOrEqual(2);
    expect(flat.some((e) => e[0] === 'speech')).toBe(true);
    expect(library.some((r) => ((r as { results: unknown[] }).results ?? []).length > 1)).toBe(true);
  });

  it("the providers' clients decode with google-wire (not the library's toObject copies)", async () => {
    const codecs = version === 'v1' ? V1_STREAMING : V2_STREAMING;
    const client = clientFor(version, providerClientOptions(target(), config, codecs));
    let responses: unknown[];
    try {
      responses = await converse(version, client, `ours-${version}`);
    } finally {
      await client.close();
    }
    const withResults = responses.filter((r) => (r as { results: unknown[] }).results.length > 0);
    expect(withResults.length).toBeGreaterThan(5);
    // toObject with defaults: true copies every unset field in (billed time / metadata as null);
    // a decoded message has only what came on the wire.
    const unset = version === 'v1' ? 'totalBilledTime' : 'metadata';
    for (const r of responses) expect(Object.keys(r as object)).not.toContain(unset);
  });
});

describe('cancelling a stream at call end', () => {
  it('reaches the server, reports nothing, and gax parses no status details for our own CANCELLED', async () => {
    const config = defaultConfig({ sttEndpoint: emulator.address, maxCalls: 4 });
    const provider = createGoogleV1Provider(resolveSttTarget(config), config);
    const parse = vi.spyOn(gax.GoogleError, 'parseGRPCStatusDetails');
    const seen: string[] = [];
    try {
      const audio = callAudio(['hello'], 300);
      emulator.setScript('cancel-1', audio.lines);
      let opened!: () => void;
      const open = new Promise<void>((r) => (opened = r));
      const stream = provider.open('cancel-1', {
        onOpen: () => opened(),
        onResult: () => seen.push('result'),
        onSpeechEvent: () => seen.push('speech'),
        onError: () => seen.push('error'),
        onEnd: () => seen.push('end'),
      });
      stream.write(audio.mulaw.subarray(0, 3200));
      await open;
      const before = emulator.stats().streamsActive;
      expect(before).toBeGreaterThan(0);
      seen.length = 0;
      stream.cancel();
      await vi.waitFor(() => expect(emulator.stats().streamsActive).toBe(before - 1), { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([]);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
      await provider.close();
    }
  });
});
