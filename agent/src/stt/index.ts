// The STT entry points the rest of the agent uses: the provider factory, the boot-line
// description, and the optional startup probe.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { resolveSttTarget, type SttTarget } from './capabilities.ts';
import { classifySttError } from './errors.ts';
import { createGoogleV1Provider, createGoogleV2Provider } from './google.ts';
import { sttHealth } from './health.ts';
import type { OneShotRecognizer, RawStreamingProvider } from './raw.ts';
import { createResilientStt, type ResilienceTuning, type Scheduler } from './resilient.ts';
import type { StreamingStt } from './types.ts';

export { SttConfigError, resolveSttTarget, apiLanguageCode, type SttTarget } from './capabilities.ts';
export { classifySttError } from './errors.ts';
export { sttHealth } from './health.ts';
export { createResilientStt } from './resilient.ts';

export interface SttProviderDeps {
  readonly logger?: Logger;
  readonly scheduler?: Scheduler;
  readonly tuning?: Partial<ResilienceTuning>;
}

/** The raw Google provider (v1 or v2) for a resolved target. */
export function createRawGoogleProvider(
  config: Config,
  target: SttTarget = resolveSttTarget(config),
): RawStreamingProvider & OneShotRecognizer {
  return target.apiVersion === 'v2'
    ? createGoogleV2Provider(target, config)
    : createGoogleV1Provider(target, config);
}

/**
 * The StreamingStt for the configured API version: the resilient wrapper over the raw Google
 * provider. Throws SttConfigError for impossible or known-bad configurations.
 */
export function createSttProvider(config: Config, deps: SttProviderDeps = {}): StreamingStt {
  const target = resolveSttTarget(config);
  for (const w of target.warnings) deps.logger?.warn({ component: 'stt' }, w);
  const raw = createRawGoogleProvider(config, target);
  const stt = createResilientStt({
    config,
    streaming: raw,
    oneShot: raw,
    name: raw.name,
    ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    ...(deps.tuning ? { tuning: deps.tuning } : {}),
    onClose: () => raw.close(),
  });
  return {
    name: stt.name,
    open: (ctx, listener) => stt.open(ctx, listener),
    ready: () => (config.sttProbeOnBoot ? probeStt(config, { provider: raw }) : Promise.resolve()),
    close: () => stt.close!(),
  };
}

export interface SttDescription {
  readonly streaming: boolean;
  readonly provider: 'google' | 'emulator';
  readonly apiVersion: string;
  readonly model: string;
  readonly language: string;
  readonly endpoint: string;
  readonly region: string;
  readonly location: string;
  readonly locationSource: string;
  readonly recognizer?: string;
  readonly encoding: string;
  readonly warnings: readonly string[];
}

/** Fields for the boot line `Streaming STT enabled: true` (throws SttConfigError like the factory). */
export function describeSttTarget(config: Config): SttDescription {
  const t = resolveSttTarget(config);
  return {
    streaming: t.streaming,
    provider: t.endpoint.plaintext ? 'emulator' : 'google',
    apiVersion: t.apiVersion,
    model: t.model,
    language: t.languageCode,
    endpoint: `${t.endpoint.host}:${t.endpoint.port}`,
    region: config.region,
    location: t.location,
    locationSource: t.locationSource,
    ...(t.recognizer !== undefined ? { recognizer: t.recognizer } : {}),
    encoding: config.sttEncoding,
    warnings: t.warnings,
  };
}

export interface ProbeOptions {
  readonly provider?: RawStreamingProvider;
  readonly timeoutMs?: number;
}

/**
 * Opens one stream, sends one second of silence and half-closes. Resolves when the server ends
 * the stream normally; rejects with the classified error otherwise (fatal ones are recorded in
 * sttHealth so readiness reports them).
 */
export async function probeStt(config: Config, opts: ProbeOptions = {}): Promise<void> {
  const own = opts.provider === undefined;
  const provider = opts.provider ?? createRawGoogleProvider(config);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.cancel();
        reject(new Error(`STT probe: no answer from the Speech API within ${timeoutMs} ms`));
      }, timeoutMs);
      const stream = provider.open('stt-probe', {
        onOpen: () => undefined,
        onResult: () => undefined,
        onSpeechEvent: () => undefined,
        onError: (err) => {
          clearTimeout(timer);
          const c = classifySttError(err);
          if (!c.retryable) sttHealth.recordFatal(c.code, c.message, 'stt-probe');
          reject(
            Object.assign(new Error(`STT probe failed: ${c.code}: ${c.message}`), {
              code: c.code,
              retryable: c.retryable,
            }),
          );
        },
        onEnd: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      const silence = Buffer.alloc(800, 0xff);
      for (let i = 0; i < 10; i++) stream.write(silence);
      stream.end();
    });
  } finally {
    if (own) await provider.close();
  }
}
