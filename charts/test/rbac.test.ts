// The chart's RBAC against a real kube-apiserver, by impersonation: installed from `helm
// template`, then asked as the operator's ServiceAccount (Impersonate-User) whether each call it
// makes is allowed and each call it must never make is denied; the same for an agent pod's
// ServiceAccount bound the way the operator binds it. Also: a long release name and name
// override never render a name or label over 63 characters (helm template + server dry-run).
import {
  AuthorizationV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
  type KubernetesObject,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../../test-env/kube.ts';
import { template, type K8sObject } from './helm.ts';

const RELEASE = 'hva';
const NS = 'hva-system';
const AGENT_NS = 'calls';
let kube: KubeApiServer;

async function apply(obj: K8sObject, dryRun?: 'All'): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
  const spec = loadYaml<KubernetesObject>(JSON.stringify(obj));
  await api.patch(spec, undefined, dryRun, 'rbac-test', true, PatchStrategy.ServerSideApply);
}

/** The admin's client certificate, acting as `user` (Impersonate-User). */
function impersonating(user: string): KubeConfig {
  const admin = kube.kubeConfig;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: admin.clusters,
    users: [{ ...admin.getCurrentUser()!, name: 'as', impersonateUser: user }],
    contexts: [{ name: 'as', cluster: admin.getCurrentCluster()!.name, user: 'as' }],
    currentContext: 'as',
  });
  return kc;
}

type Call = [verb: string, group: string, resource: string, namespace?: string, name?: string];

async function allowed(kc: KubeConfig, [verb, group, resource, namespace, name]: Call): Promise<boolean> {
  const [res, sub] = resource.split('/');
  const attrs: V1ResourceAttributes = { verb, group, resource: res, subresource: sub, namespace, name };
  const review = await kc
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } });
  return review.status?.allowed === true;
}

beforeAll(async () => {
  kube = await startKubeApiServer();
  for (const name of [NS, AGENT_NS]) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const objs = await template(RELEASE, NS);
  for (const obj of objs.filter((o) =>
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
  ))
    await apply({
      ...obj,
      metadata: { ...obj.metadata, namespace: obj.kind.startsWith('Cluster') ? undefined : NS },
    });
  // An agent bound the way the operator binds it (render(): RoleBinding to the agent ClusterRole).
  await apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'a-agent', namespace: AGENT_NS },
  });
  await apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'a-agent', namespace: AGENT_NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: 'a-agent', namespace: AGENT_NS }],
  } as K8sObject);
});

afterAll(async () => {
  await kube?.stop();
});

const OPERATOR_SA = `system:serviceaccount:${NS}:hva-hebrew-voice-agent-operator`;
const AGENT_ROLE = 'hva-hebrew-voice-agent-operator-agent';
const LEASE = 'hva-operator-leader';
const V = 'voice.hva.dev';
const RBAC = 'rbac.authorization.k8s.io';

/** Every call the operator makes (runtime/controller.ts, reconciler.ts, leader.ts). */
const OPERATOR_CALLS: Call[] = [
  ['list', V, 'voiceagents'],
  ['watch', V, 'voiceagents'],
  ['patch', V, 'voiceagents/status', AGENT_NS, 'a'],
  ...[
    'deployments',
    'services',
    'serviceaccounts',
    'horizontalpodautoscalers',
    'poddisruptionbudgets',
    'rolebindings',
  ].flatMap((r): Call[] => {
    const g =
      {
        deployments: 'apps',
        horizontalpodautoscalers: 'autoscaling',
        poddisruptionbudgets: 'policy',
        rolebindings: RBAC,
      }[r] ?? '';
    return [
      ['list', g, r], // informers, all namespaces
      ['watch', g, r],
      ['get', g, r, AGENT_NS, 'a'], // ownership check before apply
      ['create', g, r, AGENT_NS], // server-side apply of a new child
      ['patch', g, r, AGENT_NS, 'a'],
      ...(r === 'deployments' ? [] : [['delete', g, r, AGENT_NS, 'a'] as Call]), // prune / repair
    ];
  }),
  ['get', 'keda.sh', 'scaledobjects', AGENT_NS, 'a'],
  ['list', 'keda.sh', 'scaledobjects', AGENT_NS],
  ['create', 'keda.sh', 'scaledobjects', AGENT_NS],
  ['patch', 'keda.sh', 'scaledobjects', AGENT_NS, 'a'],
  ['delete', 'keda.sh', 'scaledobjects', AGENT_NS, 'a'],
  ['list', RBAC, 'roles', AGENT_NS],
  ['delete', RBAC, 'roles', AGENT_NS, 'a-agent'],
  ['bind', RBAC, 'clusterroles', undefined, AGENT_ROLE],
  ['list', '', 'pods', AGENT_NS],
  ['create', '', 'events', AGENT_NS],
  ['get', '', 'secrets', AGENT_NS, 'twilio'],
  ['get', '', 'configmaps', AGENT_NS, 'prompts'],
  ['get', 'coordination.k8s.io', 'leases', NS, LEASE],
  ['create', 'coordination.k8s.io', 'leases', NS],
  ['update', 'coordination.k8s.io', 'leases', NS, LEASE],
];

/** Calls the operator never makes and must not be able to make. */
const OPERATOR_FORBIDDEN: Call[] = [
  ['patch', '', 'pods', AGENT_NS, 'a-1'],
  ['patch', '', 'pods', 'kube-system', 'kube-dns-1'],
  ['get', '', 'pods', AGENT_NS, 'a-1'],
  ['delete', '', 'pods', AGENT_NS, 'a-1'],
  ['create', '', 'pods/exec', AGENT_NS, 'a-1'],
  ['create', '', 'pods/eviction', AGENT_NS, 'a-1'],
  ['list', '', 'secrets', AGENT_NS],
  ['watch', '', 'secrets'],
  ['list', '', 'configmaps', AGENT_NS],
  ['update', V, 'voiceagents', AGENT_NS, 'a'],
  ['delete', V, 'voiceagents', AGENT_NS, 'a'],
  ['update', V, 'voiceagents/status', AGENT_NS, 'a'],
  ['delete', 'apps', 'deployments', AGENT_NS, 'a'],
  ['update', 'apps', 'deployments', AGENT_NS, 'a'],
  ['list', 'apps', 'statefulsets', AGENT_NS],
  ['create', RBAC, 'roles', AGENT_NS],
  ['escalate', RBAC, 'roles', AGENT_NS],
  ['bind', RBAC, 'clusterroles', undefined, 'cluster-admin'],
  ['create', RBAC, 'clusterrolebindings'],
  ['create', '', 'serviceaccounts/token', AGENT_NS, 'a-agent'],
  ['patch', '', 'events', AGENT_NS, 'e'],
  ['update', 'coordination.k8s.io', 'leases', 'kube-system', 'kube-controller-manager'],
  ['update', 'coordination.k8s.io', 'leases', NS, 'someone-else'],
  ['list', '', 'nodes'],
  ['create', '', 'namespaces'],
];

describe('RBAC by impersonation', () => {
  it('the operator ServiceAccount may make every call it makes', async () => {
    const kc = impersonating(OPERATOR_SA);
    const denied: string[] = [];
    for (const call of OPERATOR_CALLS) if (!(await allowed(kc, call))) denied.push(call.join(' '));
    expect(denied).toEqual([]);
  });

  it('and none of the calls it must not make', async () => {
    const kc = impersonating(OPERATOR_SA);
    const granted: string[] = [];
    for (const call of OPERATOR_FORBIDDEN) if (await allowed(kc, call)) granted.push(call.join(' '));
    expect(granted).toEqual([]);
  });

  it('an agent pod may patch pods in its own namespace and nothing else', async () => {
    const kc = impersonating(`system:serviceaccount:${AGENT_NS}:a-agent`);
    expect(await allowed(kc, ['patch', '', 'pods', AGENT_NS, 'a-1'])).toBe(true);
    for (const call of [
      ['get', '', 'pods', AGENT_NS, 'a-1'],
      ['list', '', 'pods', AGENT_NS],
      ['delete', '', 'pods', AGENT_NS, 'a-1'],
      ['patch', '', 'pods', 'kube-system', 'x'],
      ['get', '', 'secrets', AGENT_NS, 'twilio'],
      ['patch', 'apps', 'deployments', AGENT_NS, 'a'],
    ] as Call[])
      expect(await allowed(kc, call), call.join(' ')).toBe(false);
  });
});

describe('names within 63 characters', () => {
  it('a 53-character release and a 63-character name override render no name or label value over 63, and the server accepts them', async () => {
    const release = 'r'.repeat(53); // helm's own limit for release names
    const objs = await template(release, NS, [
      '--set',
      `nameOverride=${'n'.repeat(63)}`,
      '--set',
      'prometheusAdapter.rules.enabled=true',
      '--set',
      'grafana.dashboard.enabled=true',
      '--set',
      'metrics.serviceMonitor.enabled=true',
    ]);
    const tooLong: string[] = [];
    for (const o of objs) {
      if (o.metadata.name.length > 63)
        tooLong.push(`${o.kind} name ${o.metadata.name} (${o.metadata.name.length})`);
      for (const [k, v] of Object.entries(o.metadata.labels ?? {}))
        if (String(v).length > 63) tooLong.push(`${o.kind} ${o.metadata.name} label ${k}`);
    }
    expect(tooLong).toEqual([]);
    for (const o of objs.filter((x) => !x.apiVersion.startsWith('monitoring.coreos.com'))) {
      const namespaced = !o.kind.startsWith('Cluster') && o.kind !== 'CustomResourceDefinition';
      await apply({ ...o, metadata: { ...o.metadata, ...(namespaced ? { namespace: NS } : {}) } }, 'All');
    }
  });
});
