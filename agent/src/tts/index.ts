// Picks the synthesiser from config: Google Cloud TTS (or its emulator via TTS_ENDPOINT) or the
// offline local espeak-ng synthesiser.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { Synthesizer } from './types.ts';
import { GoogleSynthesizer } from './google.ts';
import { LocalSynthesizer } from './local.ts';

export interface SynthesizerDeps {
  readonly logger?: Logger;
}

/**
 * 'auto' -> google when Google credentials or a project are configured, or when TTS_ENDPOINT
 * points at a Text-to-Speech server (the emulator); else local.
 */
export function resolveTtsProvider(
  config: Pick<Config, 'ttsProvider' | 'googleCredentials' | 'googleProject' | 'ttsEndpoint'>,
): 'google' | 'local' {
  if (config.ttsProvider !== 'auto') return config.ttsProvider;
  return config.googleCredentials !== '' || config.googleProject !== '' || config.ttsEndpoint !== ''
    ? 'google'
    : 'local';
}

export function createSynthesizer(config: Config, deps: SynthesizerDeps = {}): Synthesizer {
  const logger = deps.logger ?? silentLogger;
  if (resolveTtsProvider(config) === 'local') {
    return new LocalSynthesizer({ speakingRate: config.ttsSpeakingRate, pitch: config.ttsPitch, logger });
  }
  return new GoogleSynthesizer({
    voice: config.ttsVoice,
    speakingRate: config.ttsSpeakingRate,
    pitch: config.ttsPitch,
    ...(config.ttsEndpoint === '' ? {} : { endpoint: config.ttsEndpoint }),
    logger,
  });
}

export { GoogleSynthesizer, LocalSynthesizer };
export { PhraseCache } from './phrase-cache.ts';
export { SynthesizerError } from './errors.ts';
export { stripWavHeader, parseWavHeader } from './wav-header.ts';
