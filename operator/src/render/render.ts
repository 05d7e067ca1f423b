// Pure: VoiceAgent -> the objects the operator wants in the cluster. No I/O, no clock.
// The reconciler server-side-applies exactly these and deletes labelled children not in the list.
import type {
  V1Container,
  V1Deployment,
  V1PodDisruptionBudget,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1Volume,
  V1VolumeMount,
  V1Affinity,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { VoiceAgent } from '../api/types.ts';
import { AGENT_CLUSTER_ROLE_NAME } from '../rbac.ts';
import { AGENT_ADMIN_PORT, AGENT_PORT, GOOGLE_KEY_DIR, renderEnv } from './env.ts';
import { hpa, scaledObject, type ScaledObject } from './autoscaling.ts';
import { labels, meta, selectorLabels } from './meta.ts';

export const REGION_TOPOLOGY_KEY = 'topology.kubernetes.io/region';
export const WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';
/** Grace beyond the agent's own drain deadline, so it can end calls and flush telemetry. */
export const TERMINATION_MARGIN_SECONDS = 30;
/** The agent's drain endpoint on its admin port. */
export const PRESTOP_DRAIN_PATH = '/drain';
/**
 * The agent writes the token POST /drain needs here (agent/src/server/drain-token.ts, the pod's
 * /tmp emptyDir); only processes in its own container can read it, so the hook runs inside it.
 */
export function drainTokenFile(adminPort: number): string {
  return `/tmp/hva-drain-${adminPort}.token`;
}
/** Node in the agent image (distroless nodejs24); the image has no shell or curl. */
export const AGENT_NODE_BINARY = '/nodejs/bin/node';
/** The distroless 'nonroot' user the agent image declares. */
const NON_ROOT_UID = 65532;

/**
 * preStop: ask the agent, from inside its container, to start draining (readiness false, new
 * streams refused, calls continue), with the drain token only that container can read. The
 * kubelet's SIGTERM that follows continues the same drain.
 */
export function preStopDrainCommand(adminPort: number): string[] {
  const url = `http://127.0.0.1:${adminPort}${PRESTOP_DRAIN_PATH}`;
  const tokenFile = drainTokenFile(adminPort);
  return [
    AGENT_NODE_BINARY,
    '-e',
    `const t=require('fs').readFileSync(${JSON.stringify(tokenFile)},'utf8').trim();` +
      `fetch(${JSON.stringify(url)},{method:'POST',headers:{authorization:'Bearer '+t}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
  ];
}

export type DesiredObject =
  | V1ServiceAccount
  | V1RoleBinding
  | V1Deployment
  | V1Service
  | V2HorizontalPodAutoscaler
  | V1PodDisruptionBudget
  | ScaledObject;

/** Kinds the operator may create, in apply order; pruning lists each of them by OWNER_LABEL. */
export const CHILD_KINDS = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
] as const;

export function agentServiceAccountName(va: VoiceAgent): string {
  return va.spec.serviceAccountName || `${va.metadata.name}-agent`;
}

function affinity(va: VoiceAgent): V1Affinity {
  const term = {
    matchExpressions: [
      { key: REGION_TOPOLOGY_KEY, operator: 'In', values: [va.spec.region ?? 'europe-west1'] },
    ],
  };
  if (va.spec.regionAffinity === 'required') {
    return {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } },
    };
  }
  return {
    nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: term }] },
  };
}

/** The pod's volumes and the agent's mounts: a scratch /tmp and, when given, the Google key. */
function storage(spec: VoiceAgent['spec']): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }];
  const mounts: V1VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  const googleKey = spec.google?.credentialsSecretRef;
  if (googleKey) {
    volumes.push({ name: 'google-key', secret: { secretName: googleKey.name, defaultMode: 0o440 } });
    mounts.push({ name: 'google-key', mountPath: GOOGLE_KEY_DIR, readOnly: true });
  }
  return { volumes, mounts };
}

function agentContainer(spec: VoiceAgent['spec'], mounts: V1VolumeMount[]): V1Container {
  const quantities = (m?: Record<string, string | number>) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined;
  const resources = spec.resources
    ? { requests: quantities(spec.resources.requests), limits: quantities(spec.resources.limits) }
    : { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } };
  return {
    name: 'agent',
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    // 'admin' (probes, metrics, drain) is deliberately absent from the Service.
    ports: [
      { name: 'http', containerPort: AGENT_PORT, protocol: 'TCP' },
      { name: 'admin', containerPort: AGENT_ADMIN_PORT, protocol: 'TCP' },
    ],
    env: renderEnv(spec),
    resources,
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'admin' },
      periodSeconds: 5,
      failureThreshold: 2,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'admin' },
      periodSeconds: 10,
      failureThreshold: 3,
      timeoutSeconds: 3,
    },
    // The image has no shell: node POSTs /drain with the token; the agent keeps its
    // calls until zero calls or DRAIN_SECONDS, within the pod's grace period (deployment()).
    lifecycle: { preStop: { exec: { command: preStopDrainCommand(AGENT_ADMIN_PORT) } } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: mounts,
  };
}

function deployment(va: VoiceAgent): V1Deployment {
  const spec = va.spec;
  const drainSeconds = typeof spec.drainSeconds === 'number' ? spec.drainSeconds : 3600;
  const { volumes, mounts } = storage(spec);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(va, va.metadata.name),
    spec: {
      // With an autoscaler the HPA owns replicas: leaving the field out keeps apply from fighting it.
      ...(spec.autoscaling ? {} : { replicas: spec.replicas ?? 1 }),
      selector: { matchLabels: selectorLabels(va) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: labels(va),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(AGENT_ADMIN_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: agentServiceAccountName(va),
          automountServiceAccountToken: true,
          terminationGracePeriodSeconds: drainSeconds + TERMINATION_MARGIN_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NON_ROOT_UID,
            runAsGroup: NON_ROOT_UID,
            fsGroup: NON_ROOT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: affinity(va),
          containers: [agentContainer(spec, mounts)],
          volumes,
        },
      },
    },
  };
}

function service(va: VoiceAgent): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(va, va.metadata.name),
    spec: {
      type: va.spec.service?.type ?? 'ClusterIP',
      selector: selectorLabels(va),
      ports: [{ name: 'http', port: va.spec.service?.port ?? 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/**
 * Slow, call-friendly scale-down: a long window and at most one pod every two minutes.
 *
 * The HPA measures a Pods policy from the replica count at the start of its period, counting
 * scale-ups inside the period as well as scale-downs (calculateScaleDownLimitWithBehaviors in
 * kube-controller-manager). A scale-up from 1 to 3 followed within 120 s by a scale-down
 * therefore starts from 1 and allows 3 -> 1 in one step. The stabilisation window holds the
 * highest recommendation of the window, so no scale-down starts within a window of a scale-up;
 * a window of at least the policy period keeps every scale-up outside the policy's period and
 * the one-pod limit true. The floor adds two default HPA sync periods (15 s) so that a sync
 * landing between a recommendation and its scale event cannot see one without the other.
 * Shorter requested windows take effect as the floor.
 */
function pdb(va: VoiceAgent): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(va, va.metadata.name),
    spec: {
      maxUnavailable: va.spec.podDisruptionBudget?.maxUnavailable ?? 1,
      selector: { matchLabels: selectorLabels(va) },
    },
  };
}

/**
 * Least privilege for the agent's pod-deletion-cost updates: a RoleBinding in the agent's own
 * namespace to the agent ClusterRole (patch pods), which the chart installs once.
 */
function agentRoleBinding(va: VoiceAgent, agentClusterRole: string): V1RoleBinding {
  const name = `${va.metadata.name}-agent`;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(va, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: agentClusterRole },
    subjects: [
      { kind: 'ServiceAccount', name: agentServiceAccountName(va), namespace: va.metadata.namespace },
    ],
  };
}

function serviceAccount(va: VoiceAgent): V1ServiceAccount {
  const gsa = va.spec.google?.workloadIdentity?.gcpServiceAccount;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(
      va,
      agentServiceAccountName(va),
      gsa ? { [WORKLOAD_IDENTITY_ANNOTATION]: gsa } : undefined,
    ),
  };
}

export interface RenderOptions {
  /** The ClusterRole agents are bound to (the chart's <release>-agent). */
  agentClusterRole?: string;
}

/** Every object the VoiceAgent wants, in apply order. */
export function render(va: VoiceAgent, options: RenderOptions = {}): DesiredObject[] {
  const out: DesiredObject[] = [];
  if (!va.spec.serviceAccountName) out.push(serviceAccount(va));
  out.push(
    agentRoleBinding(va, options.agentClusterRole ?? AGENT_CLUSTER_ROLE_NAME),
    deployment(va),
    service(va),
  );
  if (va.spec.autoscaling) out.push(va.spec.autoscaling.provider === 'keda' ? scaledObject(va) : hpa(va));
  if (va.spec.podDisruptionBudget?.enabled !== false) out.push(pdb(va));
  return out;
}
