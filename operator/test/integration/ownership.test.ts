// Ownership, transitions and status truth against a real kube-apiserver, with the operator
// running as a ServiceAccount bound only to the generated ClusterRole.
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '../../../test-env/kube.ts';
import type { VoiceAgent } from '../../src/api/types.ts';
import {
  AGENT_CLUSTER_ROLE_NAME,
  AGENT_CLUSTER_ROLE_RULES,
  OPERATOR_CLUSTER_ROLE_NAME,
  OPERATOR_CLUSTER_ROLE_RULES,
} from '../../src/rbac.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { apiCode } from '../../src/runtime/errors.ts';
import { createOperatorMetrics } from '../../src/runtime/metrics.ts';
import {
  condition,
  IMAGE,
  operatorKubeConfig,
  startClusterWithCrd,
  voiceAgents,
  waitFor,
} from './support.ts';

const NS = 'owned';
const OPERATOR_NS = 'hva-system';
let kube: KubeApiServer;
let admin: KubeConfig;
let controller: Controller;
let va: ReturnType<typeof voiceAgents>;
const apps = () => admin.makeApiClient(AppsV1Api);
const core = () => admin.makeApiClient(CoreV1Api);

beforeAll(async () => {
  kube = await startClusterWithCrd([NS, OPERATOR_NS]);
  admin = kube.kubeConfig;
  va = voiceAgents(admin, NS);
  const kc = await operatorKubeConfig(kube, OPERATOR_NS, [
    { name: OPERATOR_CLUSTER_ROLE_NAME, rules: OPERATOR_CLUSTER_ROLE_RULES, bind: true },
    { name: AGENT_CLUSTER_ROLE_NAME, rules: AGENT_CLUSTER_ROLE_RULES, bind: false },
  ]);
  controller = new Controller({
    kc,
    logger: pino({ level: 'silent' }),
    metrics: createOperatorMetrics(),
    identity: 'op',
    leaseNamespace: OPERATOR_NS,
    resyncMs: 2000,
    informerRestartDelayMs: 500,
    backoff: { baseMs: 200, maxMs: 2000 },
  });
  await controller.start();
  await waitFor('leader', async () => controller.isLeader);
});

afterAll(async () => {
  await controller?.stop();
  await kube?.stop();
});

async function events(name: string): Promise<{ reason?: string; message?: string }[]> {
  return (await core().listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` }))
    .items;
}

async function statusWhere(name: string, ok: (v: VoiceAgent) => boolean, what: string): Promise<VoiceAgent> {
  return waitFor(what, async () => {
    const got = await va.get(name);
    return ok(got) ? got : undefined;
  });
}

describe('ownership', () => {
  it('never takes over an object without its ownerReference: condition, Event, nothing applied', async () => {
    await core().createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'taken', labels: { team: 'payments' } },
        spec: { ports: [{ port: 443 }], selector: { app: 'payments' } },
      },
    });
    await va.create('taken', { image: IMAGE });
    const got = await statusWhere(
      'taken',
      (v) => condition(v, 'Degraded')?.reason === 'OwnershipConflict',
      'OwnershipConflict',
    );
    expect(condition(got, 'Degraded')?.message).toContain(
      'Service taken already exists and is not controlled by any VoiceAgent: the operator does not take it over',
    );
    await waitFor('OwnershipConflict event', async () =>
      (await events('taken')).some((e) => e.reason === 'OwnershipConflict'),
    );
    const svc = await core().readNamespacedService({ name: 'taken', namespace: NS });
    expect(svc.spec?.selector).toEqual({ app: 'payments' });
    expect(svc.metadata?.ownerReferences).toBeUndefined();
    expect(svc.metadata?.managedFields?.some((m) => m.manager === 'hva-operator')).toBe(false);
    await expect(apps().readNamespacedDeployment({ name: 'taken', namespace: NS })).rejects.toMatchObject({
      code: 404,
    });
  });
});

describe('replica transitions', () => {
  it('fixed -> autoscaling keeps the current count (no drop to 1), and back', async () => {
    await va.create('scaling', { image: IMAGE, replicas: 3 });
    await waitFor('3 replicas', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'scaling', namespace: NS });
      return d.spec?.replicas === 3;
    });
    // Every value spec.replicas takes, as the API server reports it.
    const seen: number[] = [];
    const watch = await new Watch(admin).watch(
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      { fieldSelector: 'metadata.name=scaling' },
      (_t, d: V1Deployment) => seen.push(d.spec?.replicas ?? -1),
      () => undefined,
    );
    try {
      const toAuto = await va.patchSpec('scaling', { replicas: null, autoscaling: { maxReplicas: 8 } });
      await statusWhere(
        'scaling',
        (v) => v.status?.observedGeneration === toAuto.metadata.generation,
        'autoscaled generation reconciled',
      );
      await waitFor('HPA', () =>
        KubernetesObjectApi.makeApiClient(admin).read({
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'scaling', namespace: NS },
        }),
      );
      expect((await apps().readNamespacedDeployment({ name: 'scaling', namespace: NS })).spec?.replicas).toBe(
        3,
      );
      // The HPA controller scales through the scale subresource.
      await apps().patchNamespacedDeploymentScale(
        {
          name: 'scaling',
          namespace: NS,
          fieldManager: 'horizontal-pod-autoscaler',
          body: { spec: { replicas: 5 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const toFixed = await va.patchSpec('scaling', { autoscaling: null, replicas: 2 });
      await statusWhere(
        'scaling',
        (v) => v.status?.observedGeneration === toFixed.metadata.generation,
        'fixed generation reconciled',
      );
      await waitFor('2 replicas', async () => seen.at(-1) === 2);
      expect(seen).not.toContain(1);
      expect(seen).toContain(5);
    } finally {
      watch.abort();
    }
  });

  it('"KEDA not installed" in those words, as DependencyMissing', async () => {
    await va.create('keda', {
      image: IMAGE,
      autoscaling: { provider: 'keda', keda: { serverAddress: 'http://prometheus:9090' } },
    });
    const got = await statusWhere(
      'keda',
      (v) => condition(v, 'Degraded')?.reason === 'DependencyMissing',
      'DependencyMissing',
    );
    expect(condition(got, 'Degraded')?.message).toMatch(
      /^KEDA not installed: .*Install KEDA, or use autoscaling.provider hpa/,
    );
    // everything else was applied
    await apps().readNamespacedDeployment({ name: 'keda', namespace: NS });
  });
});

describe('status tells the truth', () => {
  it('missing Secrets, keys and ConfigMaps: ReferencesResolved False naming each, and an Event', async () => {
    await va.create('refs', {
      image: IMAGE,
      twilio: { authTokenSecretRef: { name: 'twilio' } },
      llm: {
        apiKeySecretRef: { name: 'openai' },
        systemPromptFrom: { configMapKeyRef: { name: 'prompts' } },
      },
    });
    const got = await statusWhere(
      'refs',
      (v) => condition(v, 'ReferencesResolved')?.status === 'False',
      'ReferencesResolved False',
    );
    const message = condition(got, 'ReferencesResolved')?.message;
    expect(message).toContain('Secret twilio not found (spec.twilio.authTokenSecretRef)');
    expect(message).toContain('Secret openai not found (spec.llm.apiKeySecretRef)');
    expect(message).toContain('ConfigMap prompts not found (spec.llm.systemPromptFrom)');
    await waitFor('MissingReference event', async () =>
      (await events('refs')).some((e) => e.reason === 'MissingReference' && e.message?.includes('twilio')),
    );
    await core().createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'twilio' }, stringData: { wrongKey: 'x' } },
    });
    await core().createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'openai' }, stringData: { apiKey: 'k' } },
    });
    await core().createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'prompts' }, data: { systemPrompt: 'שלום' } },
    });
    const keyMissing = await statusWhere(
      'refs',
      (v) =>
        condition(v, 'ReferencesResolved')?.message ===
        'Secret twilio has no key authToken (spec.twilio.authTokenSecretRef)',
      'only the key missing',
    );
    expect(condition(keyMissing, 'ReferencesResolved')?.status).toBe('False');
    await core().replaceNamespacedSecret({
      name: 'twilio',
      namespace: NS,
      body: { metadata: { name: 'twilio' }, stringData: { authToken: 't' } },
    });
    await statusWhere('refs', (v) => condition(v, 'ReferencesResolved')?.status === 'True', 'all found');
  });

  it('a hand-edited child that breaks the apply is reported as such and repaired, not called an invalid spec', async () => {
    await va.create('edited', { image: IMAGE });
    const policy = admin.makeApiClient(PolicyV1Api);
    const before = await waitFor('PDB', () =>
      policy.readNamespacedPodDisruptionBudget({ name: 'edited', namespace: NS }),
    );
    // Someone adds minAvailable by hand; the operator's maxUnavailable can no longer be applied next to it.
    await policy
      .patchNamespacedPodDisruptionBudget(
        { name: 'edited', namespace: NS, fieldManager: 'kubectl-edit', body: { spec: { minAvailable: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch((err: unknown) => {
        // The API server itself refuses both fields together; then drop ours by hand instead.
        if (apiCode(err) !== 422) throw err;
        return policy.patchNamespacedPodDisruptionBudget(
          {
            name: 'edited',
            namespace: NS,
            fieldManager: 'kubectl-edit',
            body: [
              { op: 'remove', path: '/spec/maxUnavailable' },
              { op: 'add', path: '/spec/minAvailable', value: 1 },
            ],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
      });
    await waitFor('ChildRepaired event', async () =>
      (await events('edited')).some(
        (e) => e.reason === 'ChildRepaired' && e.message?.includes('PodDisruptionBudget edited'),
      ),
    );
    const repaired = await waitFor('PDB repaired', async () => {
      const p = await policy.readNamespacedPodDisruptionBudget({ name: 'edited', namespace: NS });
      return p.spec?.minAvailable === undefined && p.spec?.maxUnavailable === 1 ? p : undefined;
    });
    expect(repaired.metadata?.uid).not.toBe(before.metadata?.uid);
    const got = await va.get('edited');
    expect(condition(got, 'ConfigValid')?.status).toBe('True');
    expect((await events('edited')).some((e) => e.reason === 'InvalidConfig')).toBe(false);
  });
});
