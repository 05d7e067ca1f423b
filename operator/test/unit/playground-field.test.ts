// The VoiceAgent switch for the agent's browser playground reaches the container env.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/render/index.ts';
import { minimalSpec, voiceAgent } from '../fixtures/voiceagents.ts';

const envOf = (spec: Parameters<typeof voiceAgent>[1]) => {
  const deployment = render(voiceAgent('pg', spec)).find((o) => o.kind === 'Deployment') as V1Deployment;
  return new Map(deployment.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e]));
};

describe('VoiceAgent playground fields', () => {
  it('spec.playground.enabled and spec.traceUiUrl become PLAYGROUND_ENABLED and TRACE_UI_URL', () => {
    const env = envOf({
      ...minimalSpec,
      playground: { enabled: true },
      traceUiUrl: 'https://jaeger.example.com/trace/{traceId}',
    } as Parameters<typeof voiceAgent>[1]);
    expect(env.get('PLAYGROUND_ENABLED')?.value).toBe('true');
    expect(env.get('TRACE_UI_URL')?.value).toBe('https://jaeger.example.com/trace/{traceId}');
  });

  it('leaves the playground off when the spec says nothing', () => {
    expect(envOf(minimalSpec).get('PLAYGROUND_ENABLED')?.value ?? 'false').toBe('false');
  });
});
