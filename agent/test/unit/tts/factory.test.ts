import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { createSynthesizer, resolveTtsProvider } from '../../../src/tts/index.ts';
import { createResponder, resolveLlmProvider } from '../../../src/llm/index.ts';

describe('provider factories', () => {
  it('auto picks the offline providers without credentials', () => {
    const config = defaultConfig();
    expect(resolveLlmProvider(config)).toBe('scripted');
    expect(resolveTtsProvider(config)).toBe('local');
    expect(createResponder(config).name).toBe('scripted');
    expect(createSynthesizer(config).name).toBe('local'); // not started until ready()
  });

  it('auto picks OpenAI with a key or a base URL, Google with a project, credentials or TTS endpoint', () => {
    expect(resolveLlmProvider(defaultConfig({ openaiApiKey: 'sk-x' }))).toBe('openai');
    expect(resolveLlmProvider(defaultConfig({ openaiBaseUrl: 'http://127.0.0.1:1/v1' }))).toBe('openai');
    expect(createResponder(defaultConfig({ openaiBaseUrl: 'http://127.0.0.1:1/v1' })).name).toBe('openai');
    expect(resolveTtsProvider(defaultConfig({ googleProject: 'my-project' }))).toBe('google');
    expect(resolveTtsProvider(defaultConfig({ ttsEndpoint: '127.0.0.1:9999' }))).toBe('google');
  });

  it('an explicit provider wins over auto', () => {
    expect(resolveLlmProvider(defaultConfig({ llmProvider: 'scripted', openaiApiKey: 'sk-x' }))).toBe(
      'scripted',
    );
    expect(resolveTtsProvider(defaultConfig({ ttsProvider: 'local', googleProject: 'my-project' }))).toBe(
      'local',
    );
  });
});
