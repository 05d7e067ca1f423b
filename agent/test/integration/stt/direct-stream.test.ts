// Streams go to the Speech client's gRPC stub directly once the client has built it (not through
// gax's stream wrapper, docs/bench/cost.md), with the same headers, and results, ends and cancels
// behave as before. Before the stub exists a stream still goes through gax.
import speech from '@google-cloud/speech';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { resolveSttTarget } from '../../../src/stt/capabilities.ts';
import { createGoogleV1Provider, createGoogleV2Provider } from '../../../src/stt/google.ts';
import type { RawResult, RawStreamingProvider } from '../../../src/stt/raw.ts';
import { fixtureMulaw } from './harness.ts';

let emu: SpeechEmulator;
beforeAll(async () => {
  emu = await startSpeechEmulator({ latencyScale: 0.05, v2Location: 'eu' });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => vi.restoreAllMocks());

type ClientClass = typeof speech.v1.SpeechClient | typeof speech.v2.SpeechClient;

/** Records the clients' initialize() promises, and how many streams went through gax. */
function watch(cls: ClientClass): { inits: Promise<unknown>[]; viaGax: () => number } {
  const inits: Promise<unknown>[] = [];
  const proto = cls.prototype as unknown as {
    initialize(): Promise<unknown>;
    _streamingRecognize(o: unknown): unknown;
  };
  const init = proto.initialize;
  vi.spyOn(proto, 'initialize').mockImplementation(function (this: unknown) {
    const p = init.call(this);
    inits.push(p);
    return p;
  });
  const gax = vi.spyOn(proto, '_streamingRecognize');
  return { inits, viaGax: () => gax.mock.calls.length };
}

function openRecorded(provider: RawStreamingProvider, callId: string) {
  const results: RawResult[] = [];
  const errors: unknown[] = [];
  let ended = false;
  let opened = false;
  const stream = provider.open(
    callId,
    {
      onOpen: () => (opened = true),
      onResult: (r) => results.push(r),
      onSpeechEvent: () => undefined,
      onError: (e) => errors.push(e),
      onEnd: () => (ended = true),
    },
    { baseMs: 1234 },
  );
  return { stream, results, errors, ended: () => ended, opened: () => opened };
}

describe.each([
  ['v1', speech.v1.SpeechClient, 'v1'],
  ['v2', speech.v2.SpeechClient, 'v2'],
] as const)('Speech %s streams on the gRPC stub', (name, cls, apiVersion) => {
  const make = (): RawStreamingProvider => {
    const config = defaultConfig({
      sttEndpoint: emu.address,
      sttApiVersion: apiVersion,
      googleProject: 'test-project',
      maxCalls: 1,
      ...(apiVersion === 'v2' ? { sttModel: 'chirp_3', sttLocation: 'eu' } : {}),
    });
    const target = resolveSttTarget(config);
    return apiVersion === 'v1'
      ? createGoogleV1Provider(target, config)
      : createGoogleV2Provider(target, config);
  };

  it('recognizes a whole utterance without gax once the stub is built; the call id reaches the server', async () => {
    const w = watch(cls);
    const provider = make();
    await Promise.all(w.inits);
    const callId = `direct-${name}`;
    emu.setScript(callId, ['שלום, אני רוצה לבדוק את ההזמנה שלי.']);
    const s = openRecorded(provider, callId);
    const audio = Buffer.concat([fixtureMulaw('hello'), Buffer.alloc(8000, 0xff)]);
    for (let at = 0; at < audio.length; at += 3200) s.stream.write(audio.subarray(at, at + 3200));
    s.stream.end();
    await vi.waitFor(() => expect(s.ended()).toBe(true), { timeout: 15_000, interval: 20 });
    expect(w.viaGax()).toBe(0);
    expect(s.errors).toEqual([]);
    expect(s.opened()).toBe(true);
    expect(emu.stats().callIds).toContain(callId);
    const finals = s.results.filter((r) => r.isFinal).map((r) => r.text);
    expect(finals.join(' ')).toContain('שלום');
    await provider.close();
  });

  it('a cancelled stream reports nothing more', async () => {
    const w = watch(cls);
    const provider = make();
    await Promise.all(w.inits);
    const s = openRecorded(provider, `cancel-${name}`);
    s.stream.write(Buffer.alloc(1600, 0xff));
    s.stream.cancel();
    s.stream.write(Buffer.alloc(1600, 0xff));
    await new Promise((r) => setTimeout(r, 200));
    expect(s.errors).toEqual([]);
    expect(s.ended()).toBe(false);
    await provider.close();
  });

  it('before the stub is built, a stream goes through gax and still works', async () => {
    const w = watch(cls);
    const provider = make();
    const callId = `early-${name}`;
    const s = openRecorded(provider, callId);
    expect(w.viaGax()).toBe(1);
    s.stream.write(Buffer.alloc(1600, 0xff));
    s.stream.end();
    await vi.waitFor(() => expect(s.ended()).toBe(true), { timeout: 15_000, interval: 20 });
    expect(s.errors).toEqual([]);
    expect(emu.stats().callIds).toContain(callId);
    await provider.close();
  });
});
