// Picks the responder from config: OpenAI (or any compatible server) or the offline scripted one.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { Responder } from './types.ts';
import { OpenAiResponder } from './openai.ts';
import { ScriptedResponder } from './scripted.ts';

export interface ResponderDeps {
  readonly logger?: Logger;
  /** Scripted responder pacing (ms per word); default 20. */
  readonly scriptedTokenDelayMs?: number;
}

/** 'auto' -> openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else scripted. */
export function resolveLlmProvider(
  config: Pick<Config, 'llmProvider' | 'openaiApiKey' | 'openaiBaseUrl'>,
): 'openai' | 'scripted' {
  if (config.llmProvider !== 'auto') return config.llmProvider;
  return config.openaiApiKey !== '' || config.openaiBaseUrl !== '' ? 'openai' : 'scripted';
}

export function createResponder(config: Config, deps: ResponderDeps = {}): Responder {
  const logger = deps.logger ?? silentLogger;
  if (resolveLlmProvider(config) === 'scripted') {
    return new ScriptedResponder(
      deps.scriptedTokenDelayMs === undefined ? {} : { tokenDelayMs: deps.scriptedTokenDelayMs },
    );
  }
  return openAiResponderFrom(config, logger);
}

/** The OpenAI streaming responder configured from the agent's settings. */
export function openAiResponderFrom(config: Config, logger: Logger = silentLogger): OpenAiResponder {
  return new OpenAiResponder({
    apiKey: config.openaiApiKey,
    baseUrl: config.openaiBaseUrl,
    model: config.llmModel,
    temperature: config.llmTemperature,
    maxTokens: config.llmMaxTokens,
    firstTokenTimeoutMs: config.llmFirstTokenTimeoutMs,
    stallTimeoutMs: config.llmStallTimeoutMs,
    retryAttempts: config.llmRetryAttempts,
    logger,
  });
}

export { OpenAiResponder, ScriptedResponder };
export { ResponderError, type ResponderErrorKind } from './errors.ts';
export { ConversationHistory, heardText, DTMF_PREFIX } from './history.ts';
export { PreemptiveGeneration, normalizeHebrew, preemptiveMatches } from './preemptive.ts';
export { isGoodbye, scriptedAnswer } from './scripted.ts';
