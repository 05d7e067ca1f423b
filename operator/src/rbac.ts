// The operator's ClusterRole rules: exactly what the controller uses. The chart templates
// operator/rbac/clusterrole.yaml, which scripts/gen-crd.ts writes from this list (drift-tested),
// and the integration test runs the operator as a ServiceAccount bound to only these rules.
import type { V1PolicyRule } from '@kubernetes/client-node';
import { GROUP, PLURAL } from './api/types.ts';

const WATCH = ['get', 'list', 'watch'];
const OWN = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export const OPERATOR_CLUSTER_ROLE_RULES: V1PolicyRule[] = [
  { apiGroups: [GROUP], resources: [PLURAL], verbs: WATCH },
  { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: OWN },
  { apiGroups: [''], resources: ['services', 'serviceaccounts'], verbs: OWN },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: OWN },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: OWN },
  { apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs: OWN },
  // The operator creates each agent's Role/RoleBinding (get/patch pods for pod-deletion-cost);
  // RBAC escalation prevention requires it to hold those permissions itself.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: OWN },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // Referenced Secrets/ConfigMaps must exist with their keys (status says which is missing).
  // Not a new power: whoever may create Deployments can already mount any Secret of the namespace.
  { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export const OPERATOR_CLUSTER_ROLE_NAME = 'hva-operator';
