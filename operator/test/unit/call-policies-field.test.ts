// The VoiceAgent's call policies (issue 11) reach the agent container env.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/render/index.ts';
import { minimalSpec, voiceAgent } from '../fixtures/voiceagents.ts';

const envOf = (spec: Parameters<typeof voiceAgent>[1]) => {
  const deployment = render(voiceAgent('cp', spec)).find((o) => o.kind === 'Deployment') as V1Deployment;
  return new Map(deployment.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
};

describe('VoiceAgent call policy fields', () => {
  it('spec.callPolicies becomes the max-duration, silence and DTMF settings', () => {
    const env = envOf({
      ...minimalSpec,
      callPolicies: {
        maxDurationSeconds: 600,
        closingText: 'תם הזמן, להתראות.',
        silence: { repromptAfterSeconds: 8, repromptText: 'הלו?', maxReprompts: 1, closingText: 'ביי.' },
        dtmf: { interDigitTimeoutMs: 2500, finishKey: '*' },
      },
    } as Parameters<typeof voiceAgent>[1]);
    expect(env.get('CALL_MAX_DURATION_SECONDS')).toBe('600');
    expect(env.get('CALL_CLOSING_TEXT')).toBe('תם הזמן, להתראות.');
    expect(env.get('SILENCE_REPROMPT_SECONDS')).toBe('8');
    expect(env.get('SILENCE_REPROMPT_TEXT')).toBe('הלו?');
    expect(env.get('SILENCE_MAX_REPROMPTS')).toBe('1');
    expect(env.get('SILENCE_CLOSING_TEXT')).toBe('ביי.');
    expect(env.get('DTMF_INTER_DIGIT_TIMEOUT_MS')).toBe('2500');
    expect(env.get('DTMF_FINISH_KEY')).toBe('*');
  });

  it('a spec without call policies leaves the agent on the schema defaults', () => {
    const env = envOf(minimalSpec);
    expect(env.has('CALL_MAX_DURATION_SECONDS')).toBe(false);
    expect(env.has('SILENCE_REPROMPT_SECONDS')).toBe(false);
  });
});
