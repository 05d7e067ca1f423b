// The operator against a real kube-apiserver + etcd (no nodes, no controller-manager): the CRD,
// admission (CEL, bounds, defaults), reconcile/drift/prune/status, leader election and RBAC.
// The operator runs as a ServiceAccount (TokenRequest token) bound only to the generated
// ClusterRole.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
  type V1Deployment,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type ConfigKey, type Field } from '../../../agent/src/config/schema.ts';
import { CRD_PATH, NO_CRD_DEFAULT } from '../../../scripts/gen-crd.ts';
import { kubeConfigForToken, startKubeApiServer, type KubeApiServer } from '../../../test-env/kube.ts';
import { GROUP, PLURAL, VERSION, type VoiceAgent } from '../../src/api/types.ts';
import {
  AGENT_CLUSTER_ROLE_NAME,
  AGENT_CLUSTER_ROLE_RULES,
  OPERATOR_CLUSTER_ROLE_NAME,
  OPERATOR_CLUSTER_ROLE_RULES,
} from '../../src/rbac.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { apiCode, apiMessage } from '../../src/runtime/errors.ts';
import { resilientInformer } from '../../src/runtime/informers.ts';
import { createOperatorMetrics } from '../../src/runtime/metrics.ts';
import { IMAGE, waitFor } from './support.ts';

const NS = 'calls';
const OPERATOR_NS = 'hva-system';
const silent = pino({ level: 'silent' });

let kube: KubeApiServer;
let admin: KubeConfig;
let operatorKc: KubeConfig;
const controllers: Controller[] = [];

const custom = () => admin.makeApiClient(CustomObjectsApi);
const apps = () => admin.makeApiClient(AppsV1Api);
const core = () => admin.makeApiClient(CoreV1Api);

function startOperator(identity: string): Controller {
  const c = new Controller({
    kc: operatorKc,
    logger: silent,
    metrics: createOperatorMetrics(),
    identity,
    leaseNamespace: OPERATOR_NS,
    leaseDurationSeconds: 3,
    retryPeriodMs: 300,
    renewDeadlineMs: 2000,
    resyncMs: 2000,
    informerRestartDelayMs: 500,
    backoff: { baseMs: 200, maxMs: 2000 },
  });
  controllers.push(c);
  return c;
}

async function createVa(name: string, spec: Record<string, unknown>): Promise<VoiceAgent> {
  return (await custom().createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VoiceAgent', metadata: { name }, spec },
  })) as VoiceAgent;
}

async function getVa(name: string): Promise<VoiceAgent> {
  return (await custom().getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: PLURAL,
    name,
  })) as VoiceAgent;
}

async function patchVaSpec(name: string, spec: Record<string, unknown>): Promise<VoiceAgent> {
  return (await custom().patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name, body: { spec } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as VoiceAgent;
}

/** The API server's rejection message for this spec (fails the test if it is accepted). */
async function rejection(spec: Record<string, unknown>): Promise<string> {
  try {
    await createVa(`bad-${Math.random().toString(36).slice(2, 8)}`, spec);
  } catch (err) {
    expect(apiCode(err)).toBe(422);
    return apiMessage(err);
  }
  throw new Error(`spec was accepted: ${JSON.stringify(spec)}`);
}

const condition = (va: VoiceAgent, type: string) => va.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  kube = await startKubeApiServer();
  admin = kube.kubeConfig;
  // loadYaml maps JSON names (default, x-kubernetes-validations) onto the client's model fields.
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD_PATH, 'utf8'));
  const ext = admin.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({ body: crd });
  await waitFor('CRD established', async () => {
    const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
    return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  for (const name of [NS, OPERATOR_NS]) await core().createNamespace({ body: { metadata: { name } } });

  // The operator's identity: a ServiceAccount bound to the generated ClusterRole, nothing else.
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core().createNamespacedServiceAccount({
    namespace: OPERATOR_NS,
    body: { metadata: { name: 'hva-operator' } },
  });
  await rbac.createClusterRole({
    body: { metadata: { name: OPERATOR_CLUSTER_ROLE_NAME }, rules: OPERATOR_CLUSTER_ROLE_RULES },
  });
  await rbac.createClusterRole({
    body: { metadata: { name: AGENT_CLUSTER_ROLE_NAME }, rules: AGENT_CLUSTER_ROLE_RULES },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: OPERATOR_CLUSTER_ROLE_NAME },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: OPERATOR_CLUSTER_ROLE_NAME,
      },
      subjects: [{ kind: 'ServiceAccount', name: 'hva-operator', namespace: OPERATOR_NS }],
    },
  });
  const token = await core().createNamespacedServiceAccountToken({
    name: 'hva-operator',
    namespace: OPERATOR_NS,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const operatorToken = token.status?.token;
  if (!operatorToken) throw new Error('TokenRequest returned no token');
  operatorKc = kubeConfigForToken(kube, operatorToken, 'hva-operator');
  await waitFor('CRD served', () =>
    custom().listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL }),
  );
  await startOperator('operator-a').start();
});

afterAll(async () => {
  for (const c of controllers) await c.stop();
  await kube?.stop();
});

describe('VoiceAgent CRD admission', () => {
  // Speech settings, names, images, env and limits: operator/test/integration/admission.test.ts.

  it('rejects a public host with signature validation on and no auth token Secret (the agent would refuse to start)', async () => {
    const message = await rejection({ image: IMAGE, twilio: { publicHost: 'voice.example.com' } });
    expect(message).toContain('no twilio.authTokenSecretRef');
    const withToken = await createVa('twilio-token', {
      image: IMAGE,
      twilio: { publicHost: 'voice.example.com', authTokenSecretRef: { name: 'twilio' } },
    });
    expect(withToken.spec.twilio?.publicHost).toBe('voice.example.com');
    const openOnPurpose = await createVa('twilio-open', {
      image: IMAGE,
      twilio: { publicHost: 'voice.example.com', validateSignature: false },
    });
    expect(openOnPurpose.spec.twilio?.validateSignature).toBe(false);
  });

  it('rejects min > max, replicas with autoscaling, KEDA without a server, and out-of-bounds / unknown values', async () => {
    expect(await rejection({ image: IMAGE, autoscaling: { minReplicas: 5, maxReplicas: 2 } })).toContain(
      'autoscaling.minReplicas must be <= autoscaling.maxReplicas',
    );
    expect(await rejection({ image: IMAGE, replicas: 2, autoscaling: {} })).toContain(
      'spec.replicas and spec.autoscaling are exclusive',
    );
    expect(await rejection({ image: IMAGE, autoscaling: { provider: 'keda' } })).toContain(
      'needs autoscaling.keda.serverAddress',
    );
    expect(await rejection({ image: IMAGE, stt: { batchMs: 5 } })).toMatch(
      /spec\.stt\.batchMs.*greater than or equal to 20/,
    );
    expect(await rejection({ image: IMAGE, drainSeconds: 100000 })).toMatch(
      /spec\.drainSeconds.*less than or equal to 86400/,
    );
    expect(await rejection({ image: IMAGE, stt: { apiVersion: 'v3' } })).toMatch(
      /spec\.stt\.apiVersion.*Unsupported value/,
    );
    expect(
      await rejection({
        image: IMAGE,
        llm: { systemPrompt: 'x', systemPromptFrom: { configMapKeyRef: { name: 'p' } } },
      }),
    ).toContain('set llm.systemPrompt or llm.systemPromptFrom, not both');
    expect(await rejection({ stt: {} })).toMatch(/spec\.image.*Required/);
  });

  it('fills every default from the agent config schema', async () => {
    const va = await createVa('defaults', { image: IMAGE });
    let checked = 0;
    for (const [key, field] of Object.entries(schema) as [ConfigKey, Field][]) {
      if (!field.cr || NO_CRD_DEFAULT.has(key) || field.default === '') continue;
      let node: unknown = va.spec;
      for (const part of field.cr.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
      expect(node, field.cr).toEqual(field.default);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    expect([va.spec.drainSeconds, va.spec.region, va.spec.stt?.language, va.spec.regionAffinity]).toEqual([
      3600,
      'europe-west1',
      'he-IL',
      'preferred',
    ]);
  });
});

describe('reconcile', () => {
  it('creates every child with a controller ownerReference and reports status', async () => {
    const va = await createVa('agent-a', {
      image: IMAGE,
      replicas: 2,
      twilio: { publicHost: 'voice.example.com', authTokenSecretRef: { name: 'twilio' } },
    });
    const objects = KubernetesObjectApi.makeApiClient(admin);
    const children = [
      ['v1', 'ServiceAccount', 'agent-a-agent'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'agent-a-agent'],
      ['apps/v1', 'Deployment', 'agent-a'],
      ['v1', 'Service', 'agent-a'],
      ['policy/v1', 'PodDisruptionBudget', 'agent-a'],
    ] as const;
    for (const [apiVersion, kind, name] of children) {
      const obj = await waitFor(`${kind} ${name}`, () =>
        objects.read({ apiVersion, kind, metadata: { name, namespace: NS } }),
      );
      expect(obj.metadata?.ownerReferences, kind).toEqual([
        expect.objectContaining({
          kind: 'VoiceAgent',
          name: 'agent-a',
          uid: va.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        }),
      ]);
      expect(
        obj.metadata?.managedFields?.some((m) => m.manager === 'hva-operator' && m.operation === 'Apply'),
        kind,
      ).toBe(true);
    }
    const deployment = await apps().readNamespacedDeployment({ name: 'agent-a', namespace: NS });
    expect(deployment.spec?.replicas).toBe(2);
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual(expect.objectContaining({ name: 'PUBLIC_HOST', value: 'voice.example.com' }));
    expect(env.find((e) => e.name === 'TWILIO_AUTH_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
      name: 'twilio',
      key: 'authToken',
    });

    const withStatus = await waitFor('status', async () => {
      const got = await getVa('agent-a');
      return got.status?.observedGeneration === got.metadata.generation && condition(got, 'ConfigValid')
        ? got
        : undefined;
    });
    expect(withStatus.status?.selector).toBe(
      'app.kubernetes.io/name=hebrew-voice-agent,app.kubernetes.io/instance=agent-a',
    );
    expect(condition(withStatus, 'ConfigValid')?.status).toBe('True');
    expect(condition(withStatus, 'Ready')?.status).toBe('False');
    // Events are recorded after the status patch: wait for them rather than race them.
    await waitFor('Created event', async () => {
      const events = await core().listNamespacedEvent({
        namespace: NS,
        fieldSelector: 'involvedObject.name=agent-a',
      });
      return events.items.some((e) => e.reason === 'Created');
    });
  });

  it('a full-featured spec (secrets, ConfigMap prompt, Workload Identity, resources, env) is accepted end to end', async () => {
    await createVa('full', {
      image: IMAGE,
      regionAffinity: 'required',
      drainSeconds: 900,
      autoscaling: {
        minReplicas: 2,
        maxReplicas: 6,
        targetActiveCallsPerPod: 25,
        scaleDownWindowSeconds: 3600,
      },
      twilio: { publicHost: 'voice.example.com', authTokenSecretRef: { name: 'twilio' } },
      llm: {
        apiKeySecretRef: { name: 'openai' },
        systemPromptFrom: { configMapKeyRef: { name: 'prompts' } },
      },
      google: {
        project: 'my-voice-proj',
        workloadIdentity: { gcpServiceAccount: 'agent@my-voice-proj.iam.gserviceaccount.com' },
      },
      stt: { apiVersion: 'v2', model: 'chirp_3', location: 'eu', phraseHints: 'שלום,תור' },
      resources: { requests: { cpu: 1, memory: '1Gi' }, limits: { memory: '2Gi' } },
      env: [{ name: 'LOG_LEVEL', value: 'debug' }],
    });
    const va = await waitFor('full reconciled', async () => {
      const got = await getVa('full');
      return condition(got, 'ConfigValid')?.status === 'True' &&
        condition(got, 'Degraded')?.status === 'False'
        ? got
        : undefined;
    });
    expect(va.status?.observedGeneration).toBe(va.metadata.generation);
    const d = await apps().readNamespacedDeployment({ name: 'full', namespace: NS });
    const pod = d.spec?.template.spec;
    expect(pod?.terminationGracePeriodSeconds).toBe(930);
    expect(pod?.containers[0]?.resources?.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(pod?.containers[0]?.env).toContainEqual(
      expect.objectContaining({ name: 'STT_PHRASE_HINTS', value: 'שלום,תור' }),
    );
    const sa = await core().readNamespacedServiceAccount({ name: 'full-agent', namespace: NS });
    expect(sa.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toBe(
      'agent@my-voice-proj.iam.gserviceaccount.com',
    );
  });

  it('reverts manual drift and recreates deleted children', async () => {
    await apps().patchNamespacedDeployment(
      {
        name: 'agent-a',
        namespace: NS,
        fieldManager: 'kubectl-edit',
        body: { spec: { template: { spec: { terminationGracePeriodSeconds: 5 } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('grace period restored', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'agent-a', namespace: NS });
      return d.spec?.template.spec?.terminationGracePeriodSeconds === 3600 + 30;
    });
    await core().deleteNamespacedService({ name: 'agent-a', namespace: NS });
    await waitFor('service recreated', () =>
      core().readNamespacedService({ name: 'agent-a', namespace: NS }),
    );
  });

  it('status and conditions follow the Deployment status; active calls come from the pods', async () => {
    const d = await apps().readNamespacedDeployment({ name: 'agent-a', namespace: NS });
    const fakeStatus = (ready: number) =>
      apps().patchNamespacedDeploymentStatus(
        {
          name: 'agent-a',
          namespace: NS,
          body: {
            status: {
              observedGeneration: d.metadata?.generation,
              replicas: 2,
              updatedReplicas: 2,
              readyReplicas: ready,
              availableReplicas: ready,
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await fakeStatus(2);
    const ready = await waitFor('Ready=True', async () => {
      const va = await getVa('agent-a');
      return condition(va, 'Ready')?.status === 'True' ? va : undefined;
    });
    expect([ready.status?.replicas, ready.status?.readyReplicas]).toEqual([2, 2]);
    expect(condition(ready, 'Progressing')?.status).toBe('False');

    await fakeStatus(1);
    const notReady = await waitFor('Ready=False', async () => {
      const va = await getVa('agent-a');
      return condition(va, 'Ready')?.status === 'False' ? va : undefined;
    });
    expect(condition(notReady, 'Ready')?.message).toBe('1/2 replicas ready');

    for (const [i, calls] of [7, 5].entries()) {
      await core().createNamespacedPod({
        namespace: NS,
        body: {
          metadata: {
            name: `agent-a-pod-${i}`,
            labels: {
              'app.kubernetes.io/name': 'hebrew-voice-agent',
              'app.kubernetes.io/instance': 'agent-a',
            },
            annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(calls) },
          },
          spec: { containers: [{ name: 'agent', image: IMAGE }] },
        },
      });
    }
    await waitFor('activeCalls=12', async () => (await getVa('agent-a')).status?.activeCalls === 12);
  });

  it('prunes children the spec no longer wants', async () => {
    await patchVaSpec('agent-a', { podDisruptionBudget: { enabled: false } });
    const policy = KubernetesObjectApi.makeApiClient(admin);
    await waitFor('PDB deleted', async () => {
      try {
        await policy.read({
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'agent-a', namespace: NS },
        });
        return false;
      } catch (err) {
        return apiCode(err) === 404;
      }
    });
  });

  it('leaves replicas to the HPA when autoscaling', async () => {
    await createVa('agent-b', {
      image: IMAGE,
      autoscaling: { minReplicas: 2, maxReplicas: 8, targetActiveCallsPerPod: 20 },
    });
    const hpa = await waitFor('HPA', () =>
      KubernetesObjectApi.makeApiClient(admin).read({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'agent-b', namespace: NS },
      }),
    );
    expect((hpa as { spec?: { maxReplicas?: number } }).spec?.maxReplicas).toBe(8);
    await waitFor('Deployment', () => apps().readNamespacedDeployment({ name: 'agent-b', namespace: NS }));
    // What the HPA controller would do: scale the Deployment through its scale subresource.
    await apps().patchNamespacedDeploymentScale(
      {
        name: 'agent-b',
        namespace: NS,
        fieldManager: 'horizontal-pod-autoscaler',
        body: { spec: { replicas: 5 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Force at least one more full reconcile after the scale and wait for it to be observed.
    const bumped = await patchVaSpec('agent-b', { drainSeconds: 1800 });
    await waitFor('reconciled the new generation', async () => {
      const va = await getVa('agent-b');
      const d = await apps().readNamespacedDeployment({ name: 'agent-b', namespace: NS });
      return (
        va.status?.observedGeneration === bumped.metadata.generation &&
        d.spec?.template.spec?.terminationGracePeriodSeconds === 1830
      );
    });
    await new Promise((r) => setTimeout(r, 2500)); // one more resync period
    const d: V1Deployment = await apps().readNamespacedDeployment({ name: 'agent-b', namespace: NS });
    expect(d.spec?.replicas).toBe(5);
  });

  it('reports a missing KEDA as Degraded (DependencyMissing) and prunes the HPA it replaced', async () => {
    await patchVaSpec('agent-b', {
      autoscaling: { provider: 'keda', keda: { serverAddress: 'http://prometheus:9090' } },
    });
    const va = await waitFor('Degraded', async () => {
      const got = await getVa('agent-b');
      return condition(got, 'Degraded')?.status === 'True' ? got : undefined;
    });
    expect(condition(va, 'Degraded')?.reason).toBe('DependencyMissing');
    expect(condition(va, 'Degraded')?.message).toContain('KEDA not installed');
    await waitFor('HPA pruned', async () => {
      try {
        await KubernetesObjectApi.makeApiClient(admin).read({
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'agent-b', namespace: NS },
        });
        return false;
      } catch (err) {
        return apiCode(err) === 404;
      }
    });
  });
});

describe('RBAC', () => {
  it('the operator ServiceAccount holds only the ClusterRole: it cannot read Secrets or touch other kinds', async () => {
    const asOperator = operatorKc.makeApiClient(CoreV1Api);
    await expect(asOperator.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
    await expect(
      asOperator.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'x' } } }),
    ).rejects.toMatchObject({
      code: 403,
    });
    await expect(
      operatorKc.makeApiClient(AppsV1Api).listNamespacedStatefulSet({ namespace: NS }),
    ).rejects.toMatchObject({ code: 403 });
  });
});

describe('leader election', () => {
  it('one leader among two operators; the other takes over when the leader stops', async () => {
    const a = controllers[0]!;
    const b = startOperator('operator-b');
    await b.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    const leases = admin.makeApiClient(CoordinationV1Api);
    expect(
      (await leases.readNamespacedLease({ name: 'hva-operator', namespace: OPERATOR_NS })).spec
        ?.holderIdentity,
    ).toBe('operator-a');

    await a.stop(); // releases the Lease
    await waitFor('b leads', async () => b.isLeader, 10_000);
    const lease = await leases.readNamespacedLease({ name: 'hva-operator', namespace: OPERATOR_NS });
    expect(lease.spec?.holderIdentity).toBe('operator-b');
    expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);

    // the new leader reconciles
    await createVa('agent-c', { image: IMAGE });
    await waitFor('agent-c Deployment by the new leader', () =>
      apps().readNamespacedDeployment({ name: 'agent-c', namespace: NS }),
    );
  });
});

describe('informers', () => {
  it('restart after an error and fill their cache', async () => {
    await core().createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'watched', labels: { 'app.kubernetes.io/managed-by': 'hva-operator' } } },
    });
    const api = operatorKc.makeApiClient(CoreV1Api);
    let lists = 0;
    let restarts = 0;
    const seen: string[] = [];
    // Lists ConfigMaps through the admin client (the operator may not); the first list fails.
    const informer = resilientInformer({
      kc: admin,
      logger: silent,
      resource: 'configmaps',
      path: `/api/v1/namespaces/${NS}/configmaps`,
      list: async () => {
        lists++;
        if (lists === 1) await api.listNamespacedConfigMap({ namespace: NS }); // 403 for the operator
        return core().listNamespacedConfigMap({ namespace: NS });
      },
      onChange: (o) => seen.push(o.metadata?.name ?? ''),
      onRestart: () => restarts++,
      restartDelayMs: 100,
    });
    await informer.start();
    await waitFor(
      'cache filled after restart',
      async () => informer.cache.get('watched', NS) !== undefined,
      10_000,
    );
    await informer.stop();
    expect(restarts).toBe(1);
    expect(lists).toBe(2);
    expect(seen).toContain('watched');
  });
});

describe('operator process (main.ts)', () => {
  it('serves probes and metrics, leads, and releases its Lease on SIGTERM', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        KUBECONFIG: kube.kubeconfigPath,
        POD_NAME: 'main-op',
        POD_NAMESPACE: OPERATOR_NS,
        LEASE_NAME: 'hva-operator-main',
        PROBE_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        'readyz',
        async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200,
        20_000,
      );
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const leases = admin.makeApiClient(CoordinationV1Api);
      await waitFor(
        'main-op leads',
        async () =>
          (await leases.readNamespacedLease({ name: 'hva-operator-main', namespace: OPERATOR_NS })).spec
            ?.holderIdentity === 'main-op',
      );
      await waitFor('a reconcile counted', async () =>
        /hva_operator_reconciles_total\{[^}]*result="success"[^}]*\} [1-9]/.test(
          await (await fetch(`${base}/metrics`)).text(),
        ),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lease = await leases.readNamespacedLease({ name: 'hva-operator-main', namespace: OPERATOR_NS });
      expect(lease.spec?.holderIdentity ?? '').toBe('');
    } catch (err) {
      throw new Error(`${String(err)}\noperator output:\n${output}`, { cause: err });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
