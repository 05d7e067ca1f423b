// Sentences in, ordered audio out: sentence k+1 is synthesised while sentence k streams/plays,
// but audio always leaves in sentence order. One pipeline per answer; abort() stops everything.
// Each sentence is first made speakable (text/speakable.ts: no markdown or emoji, numbers as a
// Hebrew listener expects, SSML when the voice takes it); that spoken text is what playback
// records and the history keeps as heard.
import { toSpeakable } from '../text/speakable.ts';
import type { Synthesizer } from '../tts/types.ts';
import { synthesizeWithRetry, type RetryDelay, type SynthesisRetryPolicy } from '../tts/retry.ts';
import type { SegmentWriter } from './playback.ts';

export interface SpeechPipelineOptions {
  readonly synthesizer: Synthesizer;
  readonly callId: string;
  readonly signal: AbortSignal;
  /** Sentences synthesised ahead of the one being sent (>= 1). */
  readonly lookahead?: number;
  /** Opens the playback segment for a sentence (its spoken text) when its turn to be sent comes. */
  readonly begin: (text: string, index: number) => SegmentWriter;
  /**
   * Audio of sentence `index` already being synthesised (speculative speech of a kept guess,
   * call/speculative-speech.ts): read instead of a new request when it says exactly `text`.
   */
  readonly prefetched?: (index: number, text: string) => AsyncIterable<Buffer> | undefined;
  /** A sentence's synthesis was requested, or prefetched audio adopted (no new characters billed). */
  readonly onSynthesisStart?: (index: number, text: string, prefetched: boolean) => void;
  readonly onFirstAudio?: (index: number) => void;
  /**
   * A sentence whose synthesis fails transiently before any audio is tried again (tts/retry.ts),
   * waiting on `delay` (the call's clock). Default: no retry.
   */
  readonly retry?: { readonly policy: SynthesisRetryPolicy; readonly delay: RetryDelay };
  /** Called once when synthesis fails (before finish() rejects), so the caller can stop the LLM early. */
  readonly onError?: (error: SynthesisError) => void;
}

export interface SpeechPipeline {
  /** A sentence from the splitter; one with nothing to say (only emoji or markup) is dropped. */
  push(sentence: string): void;
  /** No more sentences; resolves when every sentence was handed to playback, rejects on TTS failure. */
  finish(): Promise<void>;
  readonly sentences: number;
}

export class SynthesisError extends Error {
  readonly sentenceIndex: number;
  constructor(sentenceIndex: number, cause: unknown) {
    super(
      `speech synthesis failed for sentence ${sentenceIndex}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'SynthesisError';
    this.sentenceIndex = sentenceIndex;
  }
}

interface Job {
  readonly index: number;
  /** The speakable text: synthesised (or its SSML) and recorded as heard. */
  readonly text: string;
  readonly ssml: string | undefined;
  readonly chunks: Buffer[];
  started: boolean;
  done: boolean;
  error: unknown;
  wake: (() => void) | undefined;
}

function newJob(index: number, spoken: { text: string; ssml: string | undefined }): Job {
  return {
    index,
    text: spoken.text,
    ssml: spoken.ssml,
    chunks: [],
    started: false,
    done: false,
    error: undefined,
    wake: undefined,
  };
}

/** A splitter sentence as the voice will say it; undefined when nothing is left to say. */
export function speakableSentence(
  sentence: string,
  synthesizer: Pick<Synthesizer, 'acceptsSsml'>,
): { text: string; ssml: string | undefined } | undefined {
  const spoken = toSpeakable(sentence, { ssml: synthesizer.acceptsSsml === true });
  return spoken.text === '' ? undefined : { text: spoken.text, ssml: spoken.ssml };
}

/**
 * Synthesises one sentence (or reads its prefetched audio) into job.chunks, waking the consumer
 * on every chunk and at the end; a failure is kept on the job for the consumer to raise in order.
 */
async function synthesize(
  job: Job,
  prefetched: AsyncIterable<Buffer> | undefined,
  options: SpeechPipelineOptions,
  poke: (job: Job) => void,
): Promise<void> {
  try {
    let first = true;
    const request = {
      callId: options.callId,
      text: job.text,
      ...(job.ssml !== undefined ? { ssml: job.ssml } : {}),
      signal: options.signal,
    };
    const retry = options.retry;
    const audio =
      prefetched ??
      (retry
        ? synthesizeWithRetry(options.synthesizer, request, retry.policy, retry.delay)
        : options.synthesizer.synthesize(request));
    for await (const chunk of audio) {
      if (options.signal.aborted) break;
      if (chunk.length === 0) continue;
      if (first) {
        first = false;
        options.onFirstAudio?.(job.index);
      }
      job.chunks.push(chunk);
      poke(job);
    }
  } catch (err) {
    if (!options.signal.aborted) job.error = err;
  } finally {
    job.done = true;
    poke(job);
  }
}

/**
 * Hands playback the audio the sentence has so far. 'sent': all of it, the segment may end;
 * 'waiting': more is coming; 'aborted': the answer was stopped. Synchronous, so a sentence whose
 * audio is all there goes out without yielding to the event loop.
 */
function forwardAudio(job: Job, writer: SegmentWriter, signal: AbortSignal): 'sent' | 'waiting' | 'aborted' {
  while (job.chunks.length > 0) writer.write(job.chunks.shift() as Buffer);
  if (signal.aborted) {
    writer.abandon();
    return 'aborted';
  }
  if (job.error !== undefined) {
    // A half-synthesised sentence was not fully spoken: no mark, so it never counts as heard.
    writer.abandon();
    throw new SynthesisError(job.index, job.error);
  }
  return job.done ? 'sent' : 'waiting';
}

/**
 * Starts the consumer: onAbort wakes it (and every sentence it may wait on) when the answer is
 * stopped; a synthesis failure is reported once through onError before finish() rejects.
 */
function runConsumer(
  consume: () => Promise<void>,
  options: SpeechPipelineOptions,
  onAbort: () => void,
): Promise<void> {
  options.signal.addEventListener('abort', onAbort, { once: true });
  const consumer = consume()
    .catch((err: unknown) => {
      if (err instanceof SynthesisError) options.onError?.(err);
      throw err;
    })
    .finally(() => options.signal.removeEventListener('abort', onAbort));
  // Avoid an unhandled rejection if nobody reaches finish() (aborted answers).
  consumer.catch(() => undefined);
  return consumer;
}

export function createSpeechPipeline(options: SpeechPipelineOptions): SpeechPipeline {
  const lookahead = Math.max(1, options.lookahead ?? 2);
  const jobs: Job[] = [];
  let head = 0;
  let finished = false;
  let wakeConsumer: (() => void) | undefined;

  const poke = (job?: Job): void => {
    const w = job?.wake;
    if (job) job.wake = undefined;
    w?.();
    const c = wakeConsumer;
    wakeConsumer = undefined;
    c?.();
  };

  const launch = (job: Job): void => {
    job.started = true;
    const prefetched = options.prefetched?.(job.index, job.text);
    options.onSynthesisStart?.(job.index, job.text, prefetched !== undefined);
    void synthesize(job, prefetched, options, poke);
  };

  const launchAhead = (): void => {
    for (let i = head; i < Math.min(jobs.length, head + lookahead); i++) {
      const job = jobs[i];
      if (job && !job.started) launch(job);
    }
  };

  const waitFor = (job: Job): Promise<void> => new Promise((resolve) => (job.wake = resolve));

  const consume = async (): Promise<void> => {
    for (;;) {
      if (options.signal.aborted) return;
      const job = jobs[head];
      if (!job) {
        if (finished) return;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
        continue;
      }
      launchAhead();
      const writer = options.begin(job.text, job.index);
      for (;;) {
        const step = forwardAudio(job, writer, options.signal);
        if (step === 'aborted') return;
        if (step === 'sent') break;
        await waitFor(job);
      }
      writer.end();
      head++;
    }
  };

  const consumer = runConsumer(consume, options, () => {
    for (const job of jobs) poke(job);
    poke();
  });

  return {
    push(sentence) {
      if (finished) return;
      const spoken = speakableSentence(sentence, options.synthesizer);
      if (spoken === undefined) return;
      jobs.push(newJob(jobs.length, spoken));
      launchAhead();
      poke();
    },
    finish() {
      finished = true;
      poke();
      return consumer;
    },
    get sentences() {
      return jobs.length;
    },
  };
}
