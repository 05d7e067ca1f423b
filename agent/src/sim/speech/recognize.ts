// One emulated one-shot Recognize call (v1 or v2): validates the request, finds the utterances in
// the audio with the emulator's VAD, places each on the call clock (so a stream hearing the same
// audio gets the same words), and answers after a one-shot latency from the profile.
import * as grpc from '@grpc/grpc-js';
import { STREAM_BASE_METADATA, type ApiVersion, type EmulatorContext } from './context.ts';
import { spokenLine } from './utterance.ts';
import { segmentAll, type AudioEncodingName } from './vad.ts';
import {
  StatusError,
  streamBaseOf,
  toDuration,
  validateV1Config,
  validateV2,
  type V1RecognitionConfig,
  type V2RecognitionConfig,
} from './wire.ts';

type UnaryCall = grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>;
type Callback = grpc.sendUnaryData<Record<string, unknown>>;

const MAX_SYNC_AUDIO_MS = 60_000;

export function handleRecognize(
  ctx: EmulatorContext,
  apiVersion: ApiVersion,
  call: UnaryCall,
  callback: Callback,
): void {
  const callId = ctx.callIdOf(call.metadata);
  const baseMs = streamBaseOf(call.metadata, STREAM_BASE_METADATA);
  ctx.stats.recognizeCalls++;
  const faults = ctx.faults.forRecognize(callId);
  if (faults.unavailable) {
    ctx.countError(grpc.status.UNAVAILABLE);
    callback({ code: grpc.status.UNAVAILABLE, details: 'The service is currently unavailable.' });
    return;
  }
  let request: { encoding: AudioEncodingName; languageCode: string; audio: Buffer };
  try {
    request = validateRequest(ctx, apiVersion, call.request);
  } catch (err) {
    const e = err instanceof StatusError ? err : new StatusError(grpc.status.INTERNAL, String(err));
    ctx.countError(e.code);
    callback({ code: e.code, details: e.message });
    return;
  }
  // Lines are placed now, when the audio arrives, not when the answer is due: a stream that
  // hears the next utterance meanwhile must not take this utterance's line.
  const spans = segmentAll(request.audio, request.encoding, ctx.segmenter).map(
    ([start, end]) =>
      [
        start,
        end,
        baseMs === undefined ? ctx.scripts.take(callId) : ctx.scripts.lineAt(callId, baseMs + start),
      ] as const,
  );
  const delay = ctx.latency(ctx.profile.oneShotRecognizeMs) + faults.extraMs;
  ctx.recognizeInFlight++;
  ctx.stats.recognizeInFlightMax = Math.max(ctx.stats.recognizeInFlightMax, ctx.recognizeInFlight);
  const languageCode = request.languageCode.toLowerCase();
  setTimeout(() => {
    ctx.recognizeInFlight--;
    const results = spans.map(([, end, text]) => {
      const alternatives = [{ transcript: spokenLine(text), confidence: 0.9 }];
      return apiVersion === 'v1'
        ? { alternatives, resultEndTime: toDuration(end), languageCode }
        : { alternatives, resultEndOffset: toDuration(end), languageCode };
    });
    callback(null, { results });
  }, delay).unref();
}

function validateRequest(
  ctx: EmulatorContext,
  apiVersion: ApiVersion,
  req: Record<string, unknown>,
): { encoding: AudioEncodingName; languageCode: string; audio: Buffer } {
  const { encoding, languageCode } =
    apiVersion === 'v1'
      ? validateV1Config(req.config as V1RecognitionConfig | undefined)
      : validateV2(req.recognizer as string, req.config as V2RecognitionConfig, false, ctx.v2Location);
  const audio =
    apiVersion === 'v1'
      ? (req.audio as { content?: Buffer } | undefined)?.content
      : (req.content as Buffer | undefined);
  if (!audio || audio.length === 0)
    throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Invalid request: no audio content.');
  if (audio.length / (encoding === 'MULAW' ? 8 : 16) > MAX_SYNC_AUDIO_MS) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      'Sync input too long. For audio longer than 1 min use LongRunningRecognize with a GCS URI.',
    );
  }
  return { encoding, languageCode, audio };
}
