// SynthesizeSpeech, as Google answers it: the whole sentence is made before anything is
// returned, MULAW/LINEAR16 audio carries a WAV header, and the answer is due at arrival + time
// to first audio + audio duration / realtime factor (the local synthesis runs meanwhile).
import * as grpc from '@grpc/grpc-js';
import { buildWavHeader } from '../../tts/wav-header.ts';
import { sleep, type TtsCallRecord, type TtsHandlerContext } from './context.ts';
import {
  checkSsml,
  checkVoice,
  encodeAudio,
  grpcError,
  ssmlText,
  unavailable,
  type AudioConfigIn,
  type TtsVoice,
  type VoiceParams,
} from './requests.ts';

type SynthesizeRequest = {
  input?: { text?: string; ssml?: string };
  voice?: VoiceParams;
  audioConfig?: AudioConfigIn;
};

export function synthesizeSpeechHandler(
  ctx: TtsHandlerContext,
): grpc.handleUnaryCall<SynthesizeRequest, unknown> {
  return (call, callback) => {
    const { input, voice, audioConfig } = call.request;
    const ssml = input?.ssml ?? '';
    // SSML is spoken as its text content; the record keeps what was sent.
    const text = ssml !== '' ? ssmlText(ssml) : (input?.text ?? '');
    const record: TtsCallRecord = {
      method: 'SynthesizeSpeech',
      text,
      ...(ssml !== '' ? { ssml } : {}),
      ...(voice?.name ? { voice: voice.name } : {}),
      ...(audioConfig?.audioEncoding ? { encoding: audioConfig.audioEncoding } : {}),
      ...(audioConfig?.sampleRateHertz ? { sampleRateHertz: audioConfig.sampleRateHertz } : {}),
      code: grpc.status.OK,
      cancelled: false,
    };
    ctx.records.push(record);
    call.on('cancelled', () => (record.cancelled = true));
    const fail = (e: grpc.ServiceError): void => {
      record.code = e.code;
      callback(e);
    };
    const arrivedAt = performance.now();
    const planArrival = ctx.planNow();
    void (async () => {
      const f = ctx.takeErrorFault();
      if (f && f.type === 'error') return fail(unavailable(f.code, f.message));
      const checked = checkRequest(ctx, text, ssml, voice, audioConfig);
      if (checked instanceof Error) return fail(checked);
      const { v, encoding } = checked;
      const rate = audioConfig?.sampleRateHertz || v.naturalSampleRateHertz;
      // Drawn and started at once: the local synthesis runs during the profile's delay.
      const firstAudioMs = ctx.firstAudio();
      let pcm: Int16Array;
      try {
        pcm = await ctx.audio.synthesize(
          v.name,
          text,
          rate,
          audioConfig?.speakingRate || 1,
          audioConfig?.pitch ?? 0,
        );
      } catch (e) {
        return fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
      }
      const body = encodeAudio(pcm, encoding)!;
      // Unary: the whole sentence must be made before anything is returned.
      const audioMs = (pcm.length / rate) * 1000;
      const dueAt = arrivedAt + firstAudioMs + (ctx.realtimeFactor > 0 ? audioMs / ctx.realtimeFactor : 0);
      ctx.audio.noteReady(dueAt, performance.now());
      await sleep(dueAt - performance.now());
      if (record.cancelled) return;
      const header = buildWavHeader({
        format: encoding === 'MULAW' ? 'mulaw' : 'pcm16',
        sampleRate: rate,
        dataLength: body.length,
      });
      callback(null, { audioContent: Buffer.concat([header, body]) });
      ctx.noteServed(planArrival);
    })();
  };
}

/** Google's checks of a SynthesizeSpeech request, in its order; the voice and encoding when it passes. */
function checkRequest(
  ctx: TtsHandlerContext,
  text: string,
  ssml: string,
  voice: VoiceParams | undefined,
  audioConfig: AudioConfigIn | undefined,
): grpc.ServiceError | { v: TtsVoice; encoding: string } {
  if (text.trim() === '')
    return grpcError(grpc.status.INVALID_ARGUMENT, 'Either `input.text` or `input.ssml` needs to be set.');
  const v = checkVoice(ctx.voices, voice);
  if (v instanceof Error) return v;
  if (ssml !== '') {
    const bad = checkSsml(ssml, v.name);
    if (bad) return bad;
  }
  const encoding = audioConfig?.audioEncoding ?? 'AUDIO_ENCODING_UNSPECIFIED';
  if (encoding === 'AUDIO_ENCODING_UNSPECIFIED')
    return grpcError(grpc.status.INVALID_ARGUMENT, 'Audio encoding must be specified.');
  if (encoding !== 'MULAW' && encoding !== 'LINEAR16' && encoding !== 'PCM')
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      `Unsupported audio encoding in this emulator: ${encoding}.`,
    );
  return { v, encoding };
}
