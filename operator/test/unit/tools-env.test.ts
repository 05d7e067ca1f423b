// spec.tools, spec.transfer.targets and the Twilio API key reach the agent as env: the tool list
// as TOOLS_JSON without secrets, each signing secret as a secretKeyRef env var that the list
// names, and the agent's own loader accepts exactly what was rendered.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadToolConfig } from '../../../agent/src/tools/config.ts';
import { render } from '../../src/render/index.ts';
import { minimalSpec, voiceAgent } from '../fixtures/voiceagents.ts';

const spec = {
  ...minimalSpec,
  twilio: { apiKeySid: `SK${'a'.repeat(32)}`, apiKeySecretRef: { name: 'twilio-key' } },
  tools: [
    {
      name: 'check_availability',
      description: 'Free appointment slots on a day',
      parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
      url: 'https://booking.example.com/availability',
      timeoutMs: 2000,
      secretRef: { name: 'booking-hmac', key: 'key' },
    },
    { name: 'opening_hours', description: 'Opening hours', url: 'http://hours.internal/x' },
  ],
  transfer: {
    targets: [
      { name: 'reception', description: 'The front desk', number: '+97231234567' },
      { name: 'support', description: 'Support desk', sip: 'sip:support@pbx.example.com', sendDigits: '12' },
    ],
  },
};

function env() {
  const deployment = render(voiceAgent('tools', spec)).find((o) => o.kind === 'Deployment') as V1Deployment;
  return deployment.spec!.template.spec!.containers[0]!.env!;
}

describe('render: tools, transfer targets, Twilio API key', () => {
  it('renders TOOLS_JSON without secrets and each signing secret from its Secret', () => {
    const byName = new Map(env().map((e) => [e.name, e]));
    const tools = JSON.parse(byName.get('TOOLS_JSON')!.value!) as Record<string, unknown>[];
    expect(tools).toEqual([
      {
        name: 'check_availability',
        description: 'Free appointment slots on a day',
        parameters: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
        url: 'https://booking.example.com/availability',
        timeoutMs: 2000,
        secretEnv: 'HVA_TOOL_SECRET_0',
      },
      { name: 'opening_hours', description: 'Opening hours', url: 'http://hours.internal/x' },
    ]);
    expect(byName.get('HVA_TOOL_SECRET_0')).toEqual({
      name: 'HVA_TOOL_SECRET_0',
      valueFrom: { secretKeyRef: { name: 'booking-hmac', key: 'key' } },
    });
    expect(byName.has('HVA_TOOL_SECRET_1')).toBe(false);
    expect(byName.get('TWILIO_API_KEY_SID')?.value).toBe(`SK${'a'.repeat(32)}`);
    expect(byName.get('TWILIO_API_KEY_SECRET')?.valueFrom).toEqual({
      secretKeyRef: { name: 'twilio-key', key: 'apiKeySecret' },
    });
  });

  it('what is rendered is what the agent loads (the secret as the kubelet would resolve it)', () => {
    const byName = new Map(env().map((e) => [e.name, e.value]));
    const loaded = loadToolConfig(
      {
        toolsJson: byName.get('TOOLS_JSON') ?? '',
        toolsFile: '',
        transferTargetsJson: byName.get('TRANSFER_TARGETS_JSON') ?? '',
      },
      { HVA_TOOL_SECRET_0: 'from-the-secret' },
    );
    expect(loaded.tools.map((t) => [t.spec.name, t.spec.secret, t.spec.timeoutMs])).toEqual([
      ['check_availability', 'from-the-secret', 2000],
      ['opening_hours', '', 3000],
    ]);
    expect(loaded.transferTargets.map((t) => t.name)).toEqual(['reception', 'support']);
  });

  it('renders nothing for an agent without tools or targets', () => {
    const names = render(voiceAgent('plain', minimalSpec))
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => (d as V1Deployment).spec!.template.spec!.containers[0]!.env!.map((e) => e.name));
    expect(
      names.filter((n) => n.startsWith('TOOLS') || n.startsWith('TRANSFER') || n.startsWith('HVA_TOOL')),
    ).toEqual([]);
  });
});

describe('references: the tools’ and the API key’s Secrets are checked like the others', () => {
  it('lists every Secret key the rendered pods read, with the field that names it', async () => {
    const { secretReferences } = await import('../../src/runtime/children.ts');
    expect(secretReferences(voiceAgent('tools', spec))).toEqual([
      { name: 'twilio-key', key: 'apiKeySecret', field: 'spec.twilio.apiKeySecretRef' },
      { name: 'booking-hmac', key: 'key', field: 'spec.tools[0].secretRef' },
    ]);
  });
});
