// The operator's ClusterRole rules: exactly what the controller uses, each verb for a call it
// makes. The chart templates the same rules (a chart test compares them), scripts/gen-crd.ts
// writes operator/rbac/clusterrole.yaml from this list, and the integration tests run the
// operator as a ServiceAccount bound to only these rules.
import type { V1PolicyRule } from '@kubernetes/client-node';
import { GROUP, PLURAL } from './api/types.ts';

/** Informer-watched children: read, watch, server-side apply (create + patch), prune/repair (delete). */
const CHILD = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/**
 * What every agent pod may do: patch its own pod's deletion-cost annotation (RBAC cannot name
 * pods that do not exist yet, so: patch pods, in the agent's namespace through a RoleBinding).
 */
export const AGENT_CLUSTER_ROLE_NAME = 'hva-agent';
export const AGENT_CLUSTER_ROLE_RULES: V1PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['patch'] },
];

export function operatorClusterRoleRules(agentClusterRole = AGENT_CLUSTER_ROLE_NAME): V1PolicyRule[] {
  return [
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ['list', 'watch'] },
    { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['patch'] },
    // The Deployment is never pruned or re-created (that would end calls): no delete.
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
    { apiGroups: [''], resources: ['services', 'serviceaccounts'], verbs: CHILD },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: CHILD },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: CHILD },
    // KEDA is optional and not watched.
    {
      apiGroups: ['keda.sh'],
      resources: ['scaledobjects'],
      verbs: ['get', 'list', 'create', 'patch', 'delete'],
    },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: CHILD },
    // Per-agent Roles of earlier versions are pruned; no Role is created any more.
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['list', 'delete'] },
    // Agents get their pod permission through a RoleBinding to the agent ClusterRole: `bind` on
    // that one role lets the operator grant it without holding pods patch itself.
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      resourceNames: [agentClusterRole],
      verbs: ['bind'],
    },
    // Active calls are summed from the pods' deletion-cost annotations.
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    // Referenced Secrets/ConfigMaps must exist with their keys (status says which is missing).
    // get only: whoever may create Deployments can already mount any Secret of the namespace.
    { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ];
}

export const OPERATOR_CLUSTER_ROLE_RULES: V1PolicyRule[] = operatorClusterRoleRules();

export const OPERATOR_CLUSTER_ROLE_NAME = 'hva-operator';
