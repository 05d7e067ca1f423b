// Admission against a real kube-apiserver: every VoiceAgent the API server admits renders an
// env the agent boots with, every speech combination the agent refuses is refused at admission
// (a grid checked both ways against the agent's own loadConfig + resolveSttTarget), and each
// rejection names the fix.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/src/config/load.ts';
import { resolveSttTarget } from '../../../agent/src/stt/capabilities.ts';
import type { KubeApiServer } from '../../../test-env/kube.ts';
import { GROUP, PLURAL, VERSION, type VoiceAgent } from '../../src/api/types.ts';
import { renderEnv } from '../../src/render/index.ts';
import { apiCode, apiMessage } from '../../src/runtime/errors.ts';
import { IMAGE, startClusterWithCrd, voiceAgents } from './support.ts';

const NS = 'admission';
let kube: KubeApiServer;
let admin: KubeConfig;
let va: ReturnType<typeof voiceAgents>;

beforeAll(async () => {
  kube = await startClusterWithCrd([NS]);
  admin = kube.kubeConfig;
  va = voiceAgents(admin, NS);
});

afterAll(async () => {
  await kube?.stop();
});

/** The agent's verdict on an env: undefined when it boots, else its error. */
function agentRefusal(env: Record<string, string>): string | undefined {
  try {
    resolveSttTarget(loadConfig(env));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The env the operator renders for an admitted VoiceAgent (plain values only). */
function renderedEnv(agent: VoiceAgent): Record<string, string> {
  return Object.fromEntries(
    renderEnv(agent.spec)
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, e.value as string]),
  );
}

async function admitted(name: string, spec: Record<string, unknown>): Promise<VoiceAgent> {
  const got = await va.create(name, spec, true);
  const refusal = agentRefusal(renderedEnv(got));
  expect(refusal, `admitted ${JSON.stringify(spec)} but the agent refuses it`).toBeUndefined();
  return got;
}

describe('speech settings: the API server refuses what the agent refuses, and only that', () => {
  it('the cases from the field, each with a message that names the fix', async () => {
    expect(await va.rejection({ image: IMAGE, stt: { apiVersion: 'v2', model: 'chirp_3' } })).toContain(
      'stt.apiVersion v2 needs google.project',
    );
    expect(
      await va.rejection({
        image: IMAGE,
        google: { project: 'my-voice-proj' },
        stt: { apiVersion: 'v2', location: 'eu' },
      }),
    ).toContain('stt.model default is a Speech v1 model; v2 needs a v2 model such as chirp_3');
    for (const model of ['phone_call', 'latest_long', 'latest_short'])
      expect(await va.rejection({ image: IMAGE, stt: { model } })).toContain(
        `on Speech v1 supports only the 'default' and 'command_and_search' models; ${model} is rejected by Google: use stt.model 'default', or stt.apiVersion v2 with stt.model chirp_3`,
      );
    expect(
      await va.rejection({
        image: IMAGE,
        google: { project: 'my-voice-proj' },
        stt: { apiVersion: 'v2', model: 'chirp_3', location: 'europe-west1' },
      }),
    ).toContain('stt.location europe-west1 has no Speech v2 endpoint: set stt.location eu');
    expect(await va.rejection({ image: IMAGE, stt: { model: 'chirp_3' } })).toContain(
      'stt.model chirp_3 exists only on Speech v2: set stt.apiVersion v2',
    );
    // Valid: the agent maps region europe-west1 to the eu multi-region for chirp_3.
    const eu = await admitted('chirp-eu', {
      image: IMAGE,
      region: 'europe-west1',
      google: { project: 'my-voice-proj' },
      stt: { apiVersion: 'v2', model: 'chirp_3' },
    });
    expect(resolveSttTarget(loadConfig(renderedEnv(eu))).location).toBe('eu');
    // Valid: the Compute Engine default service account for Workload Identity.
    await admitted('compute-default', {
      image: IMAGE,
      google: {
        workloadIdentity: { gcpServiceAccount: '123456789012-compute@developer.gserviceaccount.com' },
      },
    });
    expect(
      await va.rejection({
        image: IMAGE,
        google: { workloadIdentity: { gcpServiceAccount: 'agent@gmail.com' } },
      }),
    ).toContain('must be a Google service account email');
  });

  it('refuses an explicit location outside the pods’ jurisdiction (EU pods, US audio)', async () => {
    const message = await va.rejection({
      image: IMAGE,
      region: 'europe-west1',
      google: { project: 'my-voice-proj' },
      stt: { apiVersion: 'v2', model: 'chirp_3', location: 'us' },
    });
    expect(message).toContain(
      'stt.location us is in the US but the pods run in europe-west1 (EU): audio would leave the EU',
    );
    await admitted('us-pods-us-audio', {
      image: IMAGE,
      region: 'us-central1',
      google: { project: 'my-voice-proj' },
      stt: { apiVersion: 'v2', model: 'chirp_3', location: 'us' },
    });
  });

  it('agrees with the agent over a grid of API versions, models, languages, locations, regions and projects', async () => {
    const combos: Record<string, string>[] = [];
    for (const apiVersion of ['v1', 'v2'])
      for (const model of [
        'default',
        'command_and_search',
        'phone_call',
        'latest_long',
        'chirp_3',
        'chirp_2',
        'chirp',
        'telephony',
        'banana',
      ])
        for (const language of ['he-IL', 'en-US'])
          for (const location of ['', 'global', 'eu', 'us', 'europe-west4', 'europe-west1', 'asia-south1'])
            for (const region of ['europe-west1', 'us-central1', 'me-west1'])
              // The project only matters on v2.
              for (const project of apiVersion === 'v2' ? ['', 'my-voice-proj'] : [''])
                combos.push({ apiVersion, model, language, location, region, project });
    const disagreements: string[] = [];
    let admittedCount = 0;
    const check = async (c: Record<string, string>, i: number) => {
      const spec = {
        image: IMAGE,
        region: c.region,
        ...(c.project ? { google: { project: c.project } } : {}),
        stt: {
          apiVersion: c.apiVersion,
          model: c.model,
          language: c.language,
          ...(c.location ? { location: c.location } : {}),
        },
      };
      const agent = agentRefusal({
        STT_API_VERSION: c.apiVersion!,
        STT_MODEL: c.model!,
        STT_LANGUAGE: c.language!,
        STT_LOCATION: c.location!,
        REGION: c.region!,
        GOOGLE_CLOUD_PROJECT: c.project!,
      });
      let server: string | undefined;
      try {
        const got = await va.create(`grid-${i}`, spec, true);
        admittedCount++;
        // What the operator renders from the admitted object must boot too.
        const rendered = agentRefusal(renderedEnv(got));
        if (rendered) disagreements.push(`${JSON.stringify(c)}: admitted, rendered env refused: ${rendered}`);
      } catch (err) {
        if (apiCode(err) !== 422) throw err;
        server = apiMessage(err);
      }
      if ((agent === undefined) !== (server === undefined))
        disagreements.push(
          `${JSON.stringify(c)}: agent ${agent ?? 'boots'} / API server ${server ?? 'admits'}`,
        );
    };
    for (let i = 0; i < combos.length; i += 32)
      await Promise.all(combos.slice(i, i + 32).map((c, j) => check(c, i + j)));
    expect(disagreements).toEqual([]);
    expect(combos.length).toBe(1134);
    expect(admittedCount).toBeGreaterThan(100);
    expect(admittedCount).toBeLessThan(combos.length / 2);
  }, 600_000);
});

describe('everything else admission should refuse', () => {
  it('an autoscaling target above maxCallsPerPod', async () => {
    expect(
      await va.rejection({ image: IMAGE, maxCallsPerPod: 40, autoscaling: { targetActiveCallsPerPod: 50 } }),
    ).toContain('autoscaling.targetActiveCallsPerPod is above maxCallsPerPod');
    // The default target (50) is above a maxCallsPerPod of 40 too.
    expect(await va.rejection({ image: IMAGE, maxCallsPerPod: 40, autoscaling: {} })).toContain(
      'lower the target or raise maxCallsPerPod',
    );
    await admitted('target-eq-max', {
      image: IMAGE,
      maxCallsPerPod: 40,
      autoscaling: { targetActiveCallsPerPod: 40 },
    });
  });

  it('spec.env entries that redefine what the operator renders, and duplicates', async () => {
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'STT_MODEL', value: 'phone_call' }] })).toContain(
      'spec.env STT_MODEL is rendered by the operator from spec.stt.model: set that instead',
    );
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'TWILIO_AUTH_TOKEN', value: 'x' }] })).toContain(
      'from spec.twilio.authTokenSecretRef',
    );
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'LLM_SYSTEM_PROMPT', value: 'x' }] })).toContain(
      'from spec.llm.systemPrompt or spec.llm.systemPromptFrom',
    );
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'PORT', value: '9000' }] })).toContain(
      'spec.env PORT is rendered by the operator',
    );
    expect(
      await va.rejection({
        image: IMAGE,
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
      }),
    ).toMatch(/Duplicate value/);
    await admitted('extra-env', { image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'debug' }] });
  });

  it('tools and transfer targets: admitted as the agent loads them; reserved names, bad targets and HVA_TOOL_SECRET_* env refused', async () => {
    const tool = {
      name: 'check_availability',
      description: 'Free slots',
      parameters: { type: 'object', properties: { day: { type: 'string' } }, required: ['day'] },
      url: 'https://booking.example.com/availability',
      timeoutMs: 2000,
      secretRef: { name: 'booking-hmac' },
    };
    const got = await admitted('tools', {
      image: IMAGE,
      tools: [tool],
      transfer: { targets: [{ name: 'reception', description: 'desk', number: '+97231234567' }] },
      twilio: { apiKeySid: `SK${'a'.repeat(32)}`, apiKeySecretRef: { name: 'twilio-key' } },
    });
    // The free-form JSON Schema survives admission untouched, and the secret key defaults.
    expect(got.spec.tools?.[0]?.parameters).toEqual(tool.parameters);
    expect(got.spec.tools?.[0]?.secretRef).toEqual({ name: 'booking-hmac', key: 'secret' });
    expect(await va.rejection({ image: IMAGE, tools: [{ ...tool, name: 'end_call' }] })).toContain(
      'tool name is taken by a built-in action',
    );
    expect(
      await va.rejection({
        image: IMAGE,
        transfer: { targets: [{ name: 'x', description: 'd', number: '+97231234567', sip: 'sip:a@b.c' }] },
      }),
    ).toContain('set exactly one of number or sip');
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'HVA_TOOL_SECRET_0', value: 'x' }] })).toContain(
      'rendered by the operator from spec.tools[].secretRef',
    );
    expect(await va.rejection({ image: IMAGE, env: [{ name: 'TOOLS_JSON', value: '[]' }] })).toContain(
      'from spec.tools',
    );
  });

  it('names that cannot name the children, said on metadata.name', async () => {
    for (const name of ['a'.repeat(64), 'agent.v2', 'x-']) {
      const message = await va.rejection({ image: IMAGE }, name);
      expect(message).toContain('metadata.name');
      expect(message).toContain('use at most 63 lowercase letters, digits and -, starting with a letter');
    }
    await admitted('a'.repeat(63), { image: IMAGE });
  });

  it('an image with whitespace or without a tag or digest', async () => {
    expect(await va.rejection({ image: 'ghcr.io/hva/agent :1.0' })).toContain('must not contain whitespace');
    for (const image of ['ghcr.io/hva/agent', 'localhost:5000/agent', 'agent'])
      expect(await va.rejection({ image })).toContain('must name a tag or a digest');
    for (const image of [
      'localhost:5000/agent:1.0',
      `ghcr.io/hva/agent@sha256:${'a'.repeat(64)}`,
      `ghcr.io/hva/agent:1.0@sha256:${'b'.repeat(64)}`,
      'agent:latest',
    ])
      await admitted(`image-${Math.abs(image.length)}`, { image });
  });

  it('pattern rules say what is allowed; an empty optional string means unset', async () => {
    expect(
      await va.rejection({ image: IMAGE, twilio: { publicHost: 'https://voice.example.com/twilio' } }),
    ).toContain(
      'spec.twilio.publicHost: Invalid value: "string": must be a host name with an optional :port, without scheme or path',
    );
    expect(await va.rejection({ image: IMAGE, region: 'Europe West' })).toContain(
      'must be a Google Cloud region name (e.g. europe-west1)',
    );
    await admitted('empty-optional', { image: IMAGE, twilio: { publicHost: '' }, stt: { location: '' } });
  });

  it('limits count characters, as the agent does: 1000 emoji or Hebrew letters fit a 1000-character greeting', async () => {
    for (const [i, ch] of ['😀', 'ש'].entries()) {
      await admitted(`greeting-${i}`, { image: IMAGE, greeting: ch.repeat(1000) });
      expect(await va.rejection({ image: IMAGE, greeting: ch.repeat(1001) })).toMatch(
        /spec\.greeting: Too long: may not be more than 1000/,
      );
      expect(() => loadConfig({ GREETING_TEXT: ch.repeat(1001) })).toThrow(/at most 1000 characters/);
    }
  });

  it('the scale subresource: scales a fixed agent, and says why an autoscaled one cannot be scaled by hand', async () => {
    const custom = admin.makeApiClient(CustomObjectsApi);
    const ref = { group: GROUP, version: VERSION, namespace: NS, plural: PLURAL };
    await va.create('fixed', { image: IMAGE, replicas: 2 });
    await custom.patchNamespacedCustomObjectScale(
      { ...ref, name: 'fixed', body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await va.get('fixed')).spec.replicas).toBe(4);
    await va.create('scaled', { image: IMAGE, autoscaling: {} });
    const err = await custom
      .patchNamespacedCustomObjectScale(
        { ...ref, name: 'scaled', body: { spec: { replicas: 4 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(apiCode(err)).toBe(422);
    expect(apiMessage(err)).toContain('an autoscaled VoiceAgent cannot be scaled by hand (kubectl scale)');
  });
});
