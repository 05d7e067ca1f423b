// Picks the STT, LLM and TTS providers from config, once at boot. With no cloud credentials the
// agent still answers calls: STT goes to the Speech API emulator started in-process (reached
// through the very same gRPC client code, STT_ENDPOINT pointed at it), the LLM is the scripted
// Hebrew responder and TTS is local espeak-ng. The session only sees the interfaces.
import type { LiveProviders, SttChoice } from '../config/providers.ts';
import type { Config } from '../config/schema.ts';
import { createResponder, resolveLlmProvider } from '../llm/index.ts';
import type { Responder } from '../llm/types.ts';
import {
  startSpeechEmulator,
  type SpeechEmulator,
  type SpeechEmulatorOptions,
} from '../sim/speech/emulator.ts';
import { createSttProvider, describeSttTarget, sttHealth } from '../stt/index.ts';
import {
  ProviderChecks,
  tcpReachable,
  type ProviderCheck,
  type ProviderCheckOptions,
} from './provider-checks.ts';
import type { StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createSynthesizer, PhraseCache, resolveTtsProvider } from '../tts/index.ts';
import type { Synthesizer } from '../tts/types.ts';
import type { Readiness } from '../app.ts';

export type { LiveProviders, SttChoice } from '../config/providers.ts';

export interface Providers {
  readonly stt: StreamingStt;
  readonly responder: Responder;
  readonly synthesizer: Synthesizer;
  /** Greeting / apology audio, synthesised once per process. */
  readonly phrases: PhraseCache;
  readonly live: LiveProviders;
  /** The config the providers actually run with (STT_ENDPOINT set to the embedded emulator when used). */
  readonly effectiveConfig: Config;
  /** The in-process Speech emulator when STT is offline (demo and tests set per-call scripts on it). */
  readonly speechEmulator: SpeechEmulator | undefined;
  /** Not ready before the synthesiser and cached phrases are up, or after a fatal STT error. */
  readiness(): Readiness;
  /** Resolves once every provider is ready (rejects on fatal misconfiguration). */
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderOptions {
  /** Options for the embedded Speech emulator (offline STT). */
  readonly speechEmulator?: SpeechEmulatorOptions;
  /** Boot check timing (tests). */
  readonly checks?: Pick<ProviderCheckOptions, 'timeoutMs' | 'retryMs'>;
}

interface CheckInputs {
  readonly config: Config;
  readonly effectiveConfig: Config;
  readonly live: LiveProviders;
  readonly stt: StreamingStt;
  readonly responder: Responder;
  readonly synthesizer: Synthesizer;
  readonly phrases: PhraseCache;
}

/** What is checked at boot for each provider in use (the embedded emulator and scripted LLM need none). */
function providerChecks(p: CheckInputs): ProviderCheck[] {
  const { config } = p;
  const checks: ProviderCheck[] = [];
  if (p.live.stt === 'google') {
    const endpoint = describeSttTarget(p.effectiveConfig).endpoint;
    // Reachability always; the full streaming probe (which Google bills) only with STT_PROBE_ON_BOOT.
    checks.push({
      provider: 'stt',
      endpoint,
      run: async () => {
        await tcpReachable(endpoint);
        await p.stt.ready?.();
      },
      ...(config.sttProbeOnBoot ? { timeoutMs: 15_000 } : {}),
    });
  }
  checks.push({
    provider: 'tts',
    endpoint:
      p.live.tts === 'local' ? 'local espeak-ng' : config.ttsEndpoint || 'texttospeech.googleapis.com:443',
    // The greeting and apology must be instant on every call: synthesise them before going ready.
    run: async () => {
      await p.synthesizer.ready?.();
      await p.phrases.warm([config.greetingText, config.apologyText]);
    },
    // Starting the local synthesiser (a WebAssembly worker) is slow on a busy machine; Google is not.
    timeoutMs: p.live.tts === 'local' ? 120_000 : 5_000,
  });
  if (p.live.llm === 'openai' && p.responder.ready !== undefined) {
    const ready = p.responder.ready.bind(p.responder);
    checks.push({
      provider: 'llm',
      endpoint: config.openaiBaseUrl || 'https://api.openai.com/v1',
      run: ready,
    });
  }
  return checks;
}

/** 'auto' -> google when Google credentials or a project are configured, or STT_ENDPOINT is set; else the embedded emulator. */
export function resolveSttChoice(
  config: Pick<Config, 'sttProvider' | 'googleCredentials' | 'googleProject' | 'sttEndpoint'>,
): SttChoice {
  if (config.sttProvider !== 'auto') return config.sttProvider;
  return config.googleCredentials !== '' || config.googleProject !== '' || config.sttEndpoint !== ''
    ? 'google'
    : 'emulator';
}

/** The boot-log statement of which providers are live; offline ones say they are not the real thing. */
export function describeLiveProviders(live: LiveProviders): Record<string, string> {
  return {
    stt:
      live.stt === 'google'
        ? 'google (Cloud Speech-to-Text)'
        : 'emulator (embedded Speech API emulator: scripted transcripts, NOT real speech recognition)',
    llm:
      live.llm === 'openai'
        ? 'openai (chat completions)'
        : 'scripted (fixed Hebrew replies, NOT a language model)',
    tts:
      live.tts === 'google'
        ? 'google (Cloud Text-to-Speech)'
        : 'local (espeak-ng formant synthesis, NOT Google Text-to-Speech quality)',
  };
}

export async function createProviders(
  config: Config,
  logger: Logger,
  options: ProviderOptions = {},
): Promise<Providers> {
  const sttChoice = resolveSttChoice(config);
  let speechEmulator: SpeechEmulator | undefined;
  let effectiveConfig = config;
  if (sttChoice === 'emulator') {
    speechEmulator = await startSpeechEmulator({
      host: '127.0.0.1',
      port: 0,
      logger: logger.child({ component: 'speech-emulator' }),
      ...options.speechEmulator,
    });
    effectiveConfig = Object.freeze({ ...config, sttEndpoint: speechEmulator.address });
  }
  const live: LiveProviders = {
    stt: sttChoice,
    llm: resolveLlmProvider(config),
    tts: resolveTtsProvider(config),
  };
  let stt: StreamingStt;
  try {
    stt = createSttProvider(effectiveConfig, { logger: logger.child({ component: 'stt' }) });
  } catch (err) {
    await speechEmulator?.close();
    throw err;
  }
  const responder = createResponder(config, { logger: logger.child({ component: 'llm' }) });
  const synthesizer = createSynthesizer(config, { logger: logger.child({ component: 'tts' }) });
  const phrases = new PhraseCache(synthesizer, {
    voice: config.ttsVoice,
    speakingRate: config.ttsSpeakingRate,
    pitch: config.ttsPitch,
  });

  const checks = new ProviderChecks(
    providerChecks({ config, effectiveConfig, live, stt, responder, synthesizer, phrases }),
    { logger, ...options.checks },
  );
  const readyPromise = checks.settled.then(() => {
    const reasons = checks.reasons();
    if (reasons.length > 0) throw new Error(reasons.join('; '));
    logger.info({ phrases: phrases.size }, 'providers ready');
  });
  readyPromise.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    stt,
    responder,
    synthesizer,
    phrases,
    live,
    effectiveConfig,
    speechEmulator,
    readiness() {
      const reasons = checks.reasons();
      if (!sttHealth.ok) reasons.push(...sttHealth.reasons().map((r) => `STT misconfigured: ${r}`));
      return { ready: reasons.length === 0, reasons };
    },
    whenReady: () => readyPromise,
    close() {
      closing ??= (async () => {
        checks.stop();
        const results = await Promise.allSettled([stt.close?.(), responder.close?.(), synthesizer.close?.()]);
        for (const r of results)
          if (r.status === 'rejected') logger.warn({ err: r.reason }, 'provider close failed');
        await speechEmulator?.close();
      })();
      return closing;
    },
  };
}
