// Test helpers for the Speech wire codecs (src/stt/google-wire.ts): the library's own
// StreamingRecognize codecs (the generated stub's, i.e. proto-loader with gax's options), and what
// the agent's stream makes of one decoded response (src/stt/google.ts wireRawStream).
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import speech from '@google-cloud/speech';
import { wireRawStream, type DuplexCall } from '../../../src/stt/google.ts';

export interface LibraryCodecs {
  readonly path: string;
  readonly requestSerialize: (msg: unknown) => Buffer;
  readonly responseSerialize: (msg: unknown) => Buffer;
  readonly responseDeserialize: (buf: Buffer) => Record<string, unknown>;
}

/** The client library's StreamingRecognize codecs; initialize() loads the protos, nothing connects. */
export async function libraryCodecs(version: 'v1' | 'v2'): Promise<LibraryCodecs> {
  const options = {
    apiEndpoint: '127.0.0.1',
    port: 9,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
  const client = version === 'v1' ? new speech.v1.SpeechClient(options) : new speech.v2.SpeechClient(options);
  await client.initialize();
  const stub = (await client.speechStub) as unknown as {
    constructor: { service: { StreamingRecognize: LibraryCodecs } };
  };
  const codecs = stub.constructor.service.StreamingRecognize;
  await client.close();
  return codecs;
}

export type StreamEvent =
  | readonly ['result', string, boolean, number, number, number | undefined]
  | readonly ['speech', string, number | undefined]
  | readonly ['error', unknown, unknown, string];

/** What the agent's stream reports for one response object (results, speech event, in-band error). */
export function streamEvents(resp: unknown): StreamEvent[] {
  const out: StreamEvent[] = [];
  const call = Object.assign(new EventEmitter(), {
    write: () => true,
    end: () => undefined,
    cancel: () => undefined,
  }) as unknown as DuplexCall & EventEmitter;
  wireRawStream(
    call,
    {
      onOpen: () => undefined,
      onResult: (r) => out.push(['result', r.text, r.isFinal, r.stability, r.confidence, r.endOffsetMs]),
      onSpeechEvent: (kind, ms) => out.push(['speech', kind, ms]),
      onError: (e) => {
        const err = e as { code?: unknown; details?: unknown; message: string };
        out.push(['error', err.code, err.details, err.message]);
      },
      onEnd: () => undefined,
    },
    (mulaw) => mulaw,
  );
  call.emit('data', resp);
  return out;
}
