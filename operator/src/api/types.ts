// The VoiceAgent custom resource as the operator sees it. The CRD (crds/) is generated from the
// agent config schema by scripts/gen-crd.ts; these types cover what the operator reads.
import type { V1Condition, V1ObjectMeta } from '@kubernetes/client-node';

export const GROUP = 'voice.hva.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'VoiceAgent';
export const PLURAL = 'voiceagents';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface VoiceAgentSpec {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  replicas?: number;
  autoscaling?: {
    minReplicas?: number;
    maxReplicas?: number;
    targetActiveCallsPerPod?: number;
    provider?: 'hpa' | 'keda';
    scaleDownWindowSeconds?: number;
    keda?: { serverAddress?: string };
  };
  regionAffinity?: 'preferred' | 'required';
  region?: string;
  drainSeconds?: number;
  serviceAccountName?: string;
  service?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port?: number };
  podDisruptionBudget?: { enabled?: boolean; maxUnavailable?: number };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  twilio?: { authTokenSecretRef?: SecretKeyRef; apiKeySecretRef?: SecretKeyRef; [k: string]: unknown };
  /** HTTP tools the model may call (agent TOOLS_JSON); each signing secret from a Secret. */
  tools?: VoiceAgentTool[];
  transfer?: { targets?: TransferTargetSpec[]; [k: string]: unknown };
  llm?: {
    apiKeySecretRef?: SecretKeyRef;
    systemPromptFrom?: { configMapKeyRef: { name: string; key?: string } };
    [k: string]: unknown;
  };
  google?: {
    workloadIdentity?: { gcpServiceAccount: string };
    credentialsSecretRef?: SecretKeyRef;
    [k: string]: unknown;
  };
  stt?: { model?: string; apiVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface VoiceAgentTool {
  name: string;
  description: string;
  parameters?: Record<string, unknown>;
  url: string;
  timeoutMs?: number;
  secretRef?: SecretKeyRef;
}

export interface TransferTargetSpec {
  name: string;
  description: string;
  number?: string;
  sip?: string;
  sendDigits?: string;
}

export interface VoiceAgentStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  activeCalls?: number;
  conditions?: V1Condition[];
}

export interface VoiceAgent {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: VoiceAgentSpec;
  status?: VoiceAgentStatus;
}

/** Defaults of spec.autoscaling: the CRD generator writes them, render() falls back to them. */
export const AUTOSCALING_DEFAULTS = {
  minReplicas: 1,
  maxReplicas: 10,
  targetActiveCallsPerPod: 50,
  scaleDownWindowSeconds: 1800,
} as const;

/** Scale-down removes at most one pod per this many seconds (the CRD's promise). */
export const SCALE_DOWN_POLICY_PERIOD_SECONDS = 120;
/** The shortest stabilisation window that keeps that promise after a scale-up (render.ts). */
export const MIN_SCALE_DOWN_WINDOW_SECONDS = SCALE_DOWN_POLICY_PERIOD_SECONDS + 30;
