// What the operator's informers list and watch: VoiceAgents, and the kinds it renders for them
// (only objects labelled as managed by it), in one namespace or in all.
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type VoiceAgent } from '../api/types.ts';
import { MANAGED_BY } from '../render/index.ts';

export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

export interface WatchedKind<T extends KubernetesObject> {
  /** The plural resource name (metrics label, logs). */
  readonly resource: string;
  /** The watch path, namespaced when one namespace is watched. */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
}

/** `/apis/group/version[/namespaces/ns]/resource`. */
function watchPath(groupVersion: string, resource: string, ns: string | undefined): string {
  return `${groupVersion}${ns ? `/namespaces/${ns}` : ''}/${resource}`;
}

export function voiceAgentKind(kc: KubeConfig, ns: string | undefined): WatchedKind<VoiceAgent> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const api = { group: GROUP, version: VERSION, plural: PLURAL };
  return {
    resource: PLURAL,
    path: watchPath(`/apis/${GROUP}/${VERSION}`, PLURAL, ns),
    list: async () =>
      (ns
        ? await custom.listNamespacedCustomObject({ ...api, namespace: ns })
        : await custom.listClusterCustomObject(api)) as KubernetesListObject<VoiceAgent>,
  };
}

/** The kinds rendered per VoiceAgent; the Deployment comes first (the reconciler reads its cache). */
export function ownedKinds(kc: KubeConfig, ns: string | undefined): WatchedKind<KubernetesObject>[] {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const labelSelector = MANAGED_SELECTOR;
  const inNs = { namespace: ns ?? '', labelSelector };
  const all = { labelSelector };
  return [
    {
      resource: 'deployments',
      path: watchPath('/apis/apps/v1', 'deployments', ns),
      list: () => (ns ? apps.listNamespacedDeployment(inNs) : apps.listDeploymentForAllNamespaces(all)),
    },
    {
      resource: 'services',
      path: watchPath('/api/v1', 'services', ns),
      list: () => (ns ? core.listNamespacedService(inNs) : core.listServiceForAllNamespaces(all)),
    },
    {
      resource: 'serviceaccounts',
      path: watchPath('/api/v1', 'serviceaccounts', ns),
      list: () =>
        ns ? core.listNamespacedServiceAccount(inNs) : core.listServiceAccountForAllNamespaces(all),
    },
    {
      resource: 'horizontalpodautoscalers',
      path: watchPath('/apis/autoscaling/v2', 'horizontalpodautoscalers', ns),
      list: () =>
        ns
          ? autoscaling.listNamespacedHorizontalPodAutoscaler(inNs)
          : autoscaling.listHorizontalPodAutoscalerForAllNamespaces(all),
    },
    {
      resource: 'poddisruptionbudgets',
      path: watchPath('/apis/policy/v1', 'poddisruptionbudgets', ns),
      list: () =>
        ns
          ? policy.listNamespacedPodDisruptionBudget(inNs)
          : policy.listPodDisruptionBudgetForAllNamespaces(all),
    },
    {
      resource: 'rolebindings',
      path: watchPath('/apis/rbac.authorization.k8s.io/v1', 'rolebindings', ns),
      list: () => (ns ? rbac.listNamespacedRoleBinding(inNs) : rbac.listRoleBindingForAllNamespaces(all)),
    },
  ];
}
