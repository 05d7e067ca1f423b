// Autoscaling on active calls with the real controllers (test-env/kube-cluster.ts): the HPA
// controller reads hva_active_calls from a custom-metrics adapter, the Deployment and ReplicaSet
// controllers create and delete pods, kube-scheduler binds them to kwok's fake nodes, kwok makes
// them Ready and holds a deleted pod Terminating until its grace period ends, and the garbage
// collector follows ownerReferences. The operator runs in-process. Slow by nature (the HPA
// scale-down policy is one pod per 120 s), so every assertion polls the API with a deadline.
import { readFileSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  loadYaml,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Pod,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETION_COST_ANNOTATION, DeletionCostUpdater } from '../../../agent/src/server/deletion-cost.ts';
import { CRD_PATH } from '../../../scripts/gen-crd.ts';
import { startKubeCluster, type KubeCluster } from '../../../test-env/kube-cluster.ts';
import {
  GROUP,
  MIN_SCALE_DOWN_WINDOW_SECONDS,
  PLURAL,
  VERSION,
  type VoiceAgent,
} from '../../src/api/types.ts';
import { TERMINATION_MARGIN_SECONDS } from '../../src/render/index.ts';
import { Controller } from '../../src/runtime/controller.ts';
import { apiCode } from '../../src/runtime/errors.ts';
import { createOperatorMetrics } from '../../src/runtime/metrics.ts';
import { AGENT_CLUSTER_ROLE_NAME, AGENT_CLUSTER_ROLE_RULES } from '../../src/rbac.ts';
import { IMAGE, waitFor } from './support.ts';

const NS = 'calls';
const METRIC = 'hva_active_calls';
const silent = pino({ level: 'silent' });

let cluster: KubeCluster;
let controller: Controller;
const custom = () => cluster.kubeConfig.makeApiClient(CustomObjectsApi);
const apps = () => cluster.kubeConfig.makeApiClient(AppsV1Api);
const core = () => cluster.kubeConfig.makeApiClient(CoreV1Api);
const autoscaling = () => cluster.kubeConfig.makeApiClient(AutoscalingV2Api);

async function createVa(name: string, spec: Record<string, unknown>): Promise<VoiceAgent> {
  return (await custom().createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VoiceAgent', metadata: { name }, spec },
  })) as VoiceAgent;
}

async function patchVaSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await custom().patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name, body: { spec } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

const podsOf = async (name: string): Promise<V1Pod[]> =>
  (await core().listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${name}` }))
    .items;
const isTerminating = (p: V1Pod) => p.metadata?.deletionTimestamp !== undefined;
const isReadyOnFakeNode = (p: V1Pod) =>
  !isTerminating(p) &&
  cluster.nodeNames.includes(p.spec?.nodeName ?? '') &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Resolves with the pods once exactly `count` are Ready on fake nodes and none is Terminating. */
function readyPods(name: string, count: number, timeoutMs = 90_000): Promise<V1Pod[]> {
  return waitFor(
    `${count} Ready pods of ${name}`,
    async () => {
      const pods = await podsOf(name);
      return pods.length === count && pods.every(isReadyOnFakeNode) ? pods : undefined;
    },
    timeoutMs,
  );
}

const deploymentReplicas = async (name: string) =>
  (await apps().readNamespacedDeployment({ name, namespace: NS })).spec?.replicas;

/** Sets each pod's active calls as the agent does: the metric and its pod-deletion-cost. */
async function setCalls(name: string, calls: Map<string, number>): Promise<void> {
  const sa = (await apps().readNamespacedDeployment({ name, namespace: NS })).spec?.template.spec
    ?.serviceAccountName;
  const token = (
    await core().createNamespacedServiceAccountToken({
      name: sa!,
      namespace: NS,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    })
  ).status?.token;
  for (const [pod, value] of calls) {
    const updater = new DeletionCostUpdater({
      podName: pod,
      namespace: NS,
      apiBase: cluster.server,
      token: () => token!,
      ca: Buffer.from(cluster.caData),
      logger: silent,
      debounceMs: 0,
    });
    updater.update(value);
    await updater.flush();
    await updater.stop();
    const annotated = await core().readNamespacedPod({ name: pod, namespace: NS });
    expect(annotated.metadata?.annotations?.[DELETION_COST_ANNOTATION]).toBe(String(value));
    await cluster.setPodMetric(NS, pod, METRIC, value);
  }
}

beforeAll(async () => {
  cluster = await startKubeCluster({ nodes: 2 });
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD_PATH, 'utf8'));
  const ext = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({ body: crd });
  await waitFor(
    'CRD established',
    async () =>
      (await ext.readCustomResourceDefinition({ name: crd.metadata!.name! })).status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      ),
    30_000,
  );
  for (const name of [NS, 'hva-system']) await core().createNamespace({ body: { metadata: { name } } });
  // The agents' pod-deletion-cost role, which the chart installs and each VoiceAgent's RoleBinding names.
  await cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
    body: { metadata: { name: AGENT_CLUSTER_ROLE_NAME }, rules: AGENT_CLUSTER_ROLE_RULES },
  });
  await waitFor(
    'CRD served',
    () =>
      custom().listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL }),
    30_000,
  );
  controller = new Controller({
    kc: cluster.kubeConfig,
    logger: silent,
    metrics: createOperatorMetrics(),
    identity: 'autoscaling-test',
    leaseNamespace: 'hva-system',
    leaseDurationSeconds: 3,
    retryPeriodMs: 300,
    renewDeadlineMs: 2000,
    resyncMs: 2000,
    informerRestartDelayMs: 500,
    backoff: { baseMs: 200, maxMs: 2000 },
  });
  await controller.start();
});

afterAll(async () => {
  await controller?.stop();
  await cluster?.stop();
});

describe('autoscaling on active calls (real HPA, ReplicaSet, scheduler, kwok nodes)', () => {
  it('grows with calls, then shrinks one pod at a time, deleting the idlest pod after its grace period', async () => {
    const drainSeconds = 15;
    // A requested window under the policy period: the rendered HPA must still remove one pod per 120 s.
    await createVa('busy', {
      image: IMAGE,
      drainSeconds,
      autoscaling: {
        minReplicas: 1,
        maxReplicas: 4,
        targetActiveCallsPerPod: 10,
        scaleDownWindowSeconds: 30,
      },
    });
    const [first] = await readyPods('busy', 1);
    await setCalls('busy', new Map([[first!.metadata!.name!, 25]])); // ceil(25 / 10) = 3 pods

    const grown = await readyPods('busy', 3);
    const grownAt = Date.now();
    const nodes = new Set(grown.map((p) => p.spec?.nodeName));
    expect([...nodes].every((n) => cluster.nodeNames.includes(n!))).toBe(true);

    // Calls fall to 6 in all (desired 1), unevenly: the pod with 1 call is the idlest.
    const names = grown.map((p) => p.metadata!.name!);
    const calls = new Map(names.map((n, i) => [n, [3, 1, 2][i]!]));
    await setCalls('busy', calls);
    const idlest = names[1]!;

    const history: number[] = [];
    const shrunk = await waitFor(
      'the first scale-down',
      async () => {
        const replicas = (await deploymentReplicas('busy')) ?? 0;
        if (history.at(-1) !== replicas) history.push(replicas);
        return replicas < 3 ? replicas : undefined;
      },
      (MIN_SCALE_DOWN_WINDOW_SECONDS + 90) * 1000,
    );
    const shrunkAfterMs = Date.now() - grownAt;
    // One pod, not two (3 -> 1 was the bug), and not before the policy period has passed.
    expect(shrunk).toBe(2);
    expect(history).toEqual([3, 2]);
    expect(shrunkAfterMs).toBeGreaterThan(120_000);

    const deleted = await waitFor(
      'the idlest pod Terminating',
      async () => (await podsOf('busy')).find(isTerminating),
      30_000,
    );
    expect(deleted.metadata?.name).toBe(idlest);
    const grace = drainSeconds + TERMINATION_MARGIN_SECONDS;
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(grace);
    const endsAt = Date.parse(deleted.metadata!.deletionTimestamp as unknown as string);
    // Terminating, not gone, until the grace period ends (deletionTimestamp = delete time + grace).
    await waitFor(
      'the deleted pod to go',
      async () => {
        const pods = await podsOf('busy');
        const still = pods.some((p) => p.metadata?.name === idlest);
        if (!still) return true;
        expect(isTerminating(pods.find((p) => p.metadata?.name === idlest)!)).toBe(true);
        return undefined;
      },
      (grace + 60) * 1000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt - 1000);
    const remaining = await readyPods('busy', 2);
    expect(remaining.map((p) => p.metadata?.name).sort()).toEqual([names[0], names[2]].sort());
  }, 600_000);

  // Server-side apply would release spec.replicas (defaulting it to 1) when a VoiceAgent moves to
  // autoscaling; the operator keeps the running count until the HPA takes over.
  it('moving from fixed replicas to autoscaling and back keeps the running pods', async () => {
    await createVa('steady', { image: IMAGE, drainSeconds: 0, replicas: 3 });
    const before = (await readyPods('steady', 3)).map((p) => p.metadata!.name!).sort();
    // 30 calls at 10 per pod: the HPA wants the 3 pods that are running.
    await setCalls('steady', new Map(before.map((n) => [n, 10])));

    await patchVaSpec('steady', {
      replicas: null,
      autoscaling: { minReplicas: 1, maxReplicas: 5, targetActiveCallsPerPod: 10 },
    });
    await waitFor(
      'the HPA to act on the metric',
      async () => {
        const hpa = await autoscaling().readNamespacedHorizontalPodAutoscaler({
          name: 'steady',
          namespace: NS,
        });
        return hpa.status?.currentMetrics?.length && hpa.status.desiredReplicas === 3 ? true : undefined;
      },
      60_000,
    );
    const pods = await podsOf('steady');
    expect(pods.filter(isTerminating).map((p) => p.metadata?.name)).toEqual([]);
    expect(pods.map((p) => p.metadata!.name!).sort()).toEqual(before);
    expect(await deploymentReplicas('steady')).toBe(3);

    await patchVaSpec('steady', { autoscaling: null, replicas: 3 });
    await waitFor(
      'the HPA pruned',
      async () => {
        try {
          await autoscaling().readNamespacedHorizontalPodAutoscaler({ name: 'steady', namespace: NS });
          return undefined;
        } catch (err) {
          return apiCode(err) === 404 ? true : undefined;
        }
      },
      30_000,
    );
    const after = await podsOf('steady');
    expect(after.filter(isTerminating).map((p) => p.metadata?.name)).toEqual([]);
    expect(after.map((p) => p.metadata!.name!).sort()).toEqual(before);
    expect(await deploymentReplicas('steady')).toBe(3);
  }, 300_000);

  it('deleting a VoiceAgent lets the garbage collector remove its children and their pods', async () => {
    const gone = async (read: () => Promise<unknown>) => {
      try {
        await read();
        return false;
      } catch (err) {
        return apiCode(err) === 404;
      }
    };
    await custom().deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: PLURAL,
      name: 'busy',
    });
    await waitFor(
      'Deployment, ReplicaSets, HPA and Service of busy removed',
      async () =>
        (await gone(() => apps().readNamespacedDeployment({ name: 'busy', namespace: NS }))) &&
        (await gone(() =>
          autoscaling().readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: NS }),
        )) &&
        (await gone(() => core().readNamespacedService({ name: 'busy', namespace: NS }))) &&
        (
          await apps().listNamespacedReplicaSet({
            namespace: NS,
            labelSelector: 'app.kubernetes.io/instance=busy',
          })
        ).items.length === 0,
      60_000,
    );
    // Pods drain first: Terminating for their grace period, then gone.
    await waitFor('busy pods gone', async () => (await podsOf('busy')).length === 0, 120_000);
    // Another VoiceAgent's children are untouched.
    expect(
      (await apps().readNamespacedDeployment({ name: 'steady', namespace: NS })).metadata?.deletionTimestamp,
    ).toBe(undefined);
  }, 300_000);
});
