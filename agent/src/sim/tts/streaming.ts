// StreamingSynthesize, as Google answers it: only Chirp 3 HD voices, the first message carries
// the streaming_config (once), audio is headerless and streamed in chunks. Each text's first
// audio is due at its arrival + a drawn time to first audio, never before the audio already
// streamed would have been produced at the profile's realtime factor.
import * as grpc from '@grpc/grpc-js';
import { sleep, type TtsCallRecord, type TtsFault, type TtsHandlerContext } from './context.ts';
import {
  checkVoice,
  encodeAudio,
  grpcError,
  unavailable,
  type AudioConfigIn,
  type TtsVoice,
  type VoiceParams,
} from './requests.ts';

type StreamingRequest = {
  streamingConfig?: { voice?: VoiceParams; streamingAudioConfig?: AudioConfigIn };
  input?: { text?: string };
};
type StreamingCall = grpc.ServerDuplexStream<StreamingRequest, { audioContent: Buffer }>;

interface StreamConfig {
  readonly voice: TtsVoice;
  readonly encoding: string;
  readonly rate: number;
  readonly speakingRate: number;
}

/** A text of the stream, synthesising from the moment it arrived. */
interface StreamInput {
  readonly arrivedAt: number;
  readonly firstAudioMs: number;
  readonly pcm: Promise<Int16Array>;
}

/** The first message's streaming_config, checked like Google. */
function parseStreamingConfig(
  voices: readonly TtsVoice[],
  sc: StreamingRequest['streamingConfig'],
): grpc.ServiceError | StreamConfig {
  if (!sc)
    return grpcError(grpc.status.INVALID_ARGUMENT, 'The first message must contain a streaming_config.');
  const v = checkVoice(voices, sc.voice);
  if (v instanceof Error) return v;
  if (!/-Chirp3-HD-/.test(v.name)) {
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      `Voice '${v.name}' does not support streaming synthesis; only Chirp 3: HD voices are supported.`,
    );
  }
  const encoding = sc.streamingAudioConfig?.audioEncoding ?? 'PCM';
  if (encoding !== 'MULAW' && encoding !== 'PCM' && encoding !== 'LINEAR16')
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      `Unsupported streaming audio encoding in this emulator: ${encoding}.`,
    );
  return {
    voice: v,
    encoding,
    rate: sc.streamingAudioConfig?.sampleRateHertz || 24000,
    speakingRate: sc.streamingAudioConfig?.speakingRate || 1,
  };
}

/** One stream's state, shared by the message handler and the sender. */
class SynthesisStream {
  config: StreamConfig | undefined;
  readonly inputs: StreamInput[] = [];
  readonly texts: string[] = [];
  ended = false;
  failed = false;
  private wake: (() => void) | undefined;

  private readonly call: StreamingCall;
  readonly record: TtsCallRecord;

  constructor(call: StreamingCall, record: TtsCallRecord) {
    this.call = call;
    this.record = record;
  }

  fail(e: grpc.ServiceError): void {
    if (this.failed) return;
    this.failed = true;
    this.record.code = e.code;
    this.call.emit('error', e);
  }

  get stopped(): boolean {
    return this.failed || this.record.cancelled;
  }

  notify(): void {
    this.wake?.();
  }

  /** The next text, or undefined once the client has ended and every text is taken. */
  async next(): Promise<StreamInput | undefined> {
    for (;;) {
      const input = this.inputs.shift();
      if (input !== undefined || this.ended) return input;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

export function streamingSynthesizeHandler(
  ctx: TtsHandlerContext,
): grpc.handleBidiStreamingCall<StreamingRequest, { audioContent: Buffer }> {
  return (call) => {
    const record: TtsCallRecord = { method: 'StreamingSynthesize', code: grpc.status.OK, cancelled: false };
    ctx.records.push(record);
    const s = new SynthesisStream(call, record);
    call.on('cancelled', () => (record.cancelled = true));
    const streamArrivedAt = ctx.planNow();
    const errorFault = ctx.takeErrorFault();
    const midFault = ctx.takeFault('fail_mid_stream');
    call.on('data', (msg: StreamingRequest) => {
      if (s.failed) return;
      if (!s.config) {
        const config = parseStreamingConfig(ctx.voices, msg.streamingConfig);
        if (config instanceof Error) return s.fail(config);
        s.config = config;
        Object.assign(record, {
          voice: config.voice.name,
          encoding: config.encoding,
          sampleRateHertz: config.rate,
        });
        return;
      }
      if (msg.streamingConfig)
        return s.fail(
          grpcError(grpc.status.INVALID_ARGUMENT, 'streaming_config may only be sent once, first.'),
        );
      const text = msg.input?.text ?? '';
      s.texts.push(text);
      Object.assign(record, { text: s.texts.join(' ') });
      if (text.trim() === '' || errorFault) return;
      const pcm = ctx.audio.synthesize(s.config.voice.name, text, s.config.rate, s.config.speakingRate, 0);
      pcm.catch(() => undefined); // handled when its turn to be sent comes
      s.inputs.push({ arrivedAt: performance.now(), firstAudioMs: ctx.firstAudio(), pcm });
      s.notify();
    });
    call.on('end', () => {
      s.ended = true;
      s.notify();
    });
    void (async () => {
      if (errorFault && errorFault.type === 'error')
        return s.fail(unavailable(errorFault.code, errorFault.message));
      if (!(await sendAudio(ctx, call, s, midFault))) return;
      if (!s.config) return s.fail(grpcError(grpc.status.INVALID_ARGUMENT, 'No streaming_config was sent.'));
      call.end();
      ctx.noteServed(streamArrivedAt);
    })();
  };
}

/**
 * Streams each text's audio in chunks on the profile's schedule until the client ends: true then,
 * false when the stream failed or was cancelled first.
 */
async function sendAudio(
  ctx: TtsHandlerContext,
  call: StreamingCall,
  s: SynthesisStream,
  midFault: TtsFault | null,
): Promise<boolean> {
  let firstSent = false;
  /** When the audio sent so far would have been produced at the profile's realtime factor. */
  let producedUntil = 0;
  for (;;) {
    if (s.stopped) return false;
    const input = await s.next();
    if (input === undefined) return !s.stopped;
    const config = s.config;
    if (!config) continue;
    // This text's first audio: its arrival plus the drawn delay, never before the audio
    // already streamed would have been produced.
    let dueAt = Math.max(input.arrivedAt + input.firstAudioMs, producedUntil);
    let pcm: Int16Array;
    try {
      pcm = await input.pcm;
    } catch (e) {
      s.fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
      return false;
    }
    ctx.audio.noteReady(dueAt, performance.now());
    const audio = encodeAudio(pcm, config.encoding)!;
    const bytesPerMs = (config.rate * (config.encoding === 'MULAW' ? 1 : 2)) / 1000;
    const step = Math.max(1, Math.round(ctx.chunkMs * bytesPerMs));
    for (let at = 0; at < audio.length; at += step) {
      await sleep(dueAt - performance.now());
      if (s.stopped) return false;
      const piece = audio.subarray(at, Math.min(audio.length, at + step));
      call.write({ audioContent: piece });
      // The next chunk is due once this one's audio is produced; scheduled from the due
      // times, not from when the timer fired, so timer lateness does not accumulate.
      if (ctx.realtimeFactor > 0) dueAt += piece.length / bytesPerMs / ctx.realtimeFactor;
      producedUntil = dueAt;
      if (!firstSent && midFault) {
        s.fail(
          grpcError(
            midFault.code ?? grpc.status.INTERNAL,
            'Internal error encountered (emulator fault mid-stream).',
          ),
        );
        return false;
      }
      firstSent = true;
    }
  }
}
