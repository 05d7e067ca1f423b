// Names, labels and owner references every object the operator renders carries. Pure.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type VoiceAgent } from '../api/types.ts';

export const APP_NAME = 'hebrew-voice-agent';
export const MANAGED_BY = 'hva-operator';
/** Label on every child: the owning VoiceAgent's name (used to list children for pruning). */
export const OWNER_LABEL = 'voice.hva.dev/voiceagent';
export const ACTIVE_CALLS_METRIC = 'hva_active_calls';
export function selectorLabels(va: VoiceAgent): Record<string, string> {
  return { 'app.kubernetes.io/name': APP_NAME, 'app.kubernetes.io/instance': va.metadata.name };
}

/** The pod selector as a label-selector string (status.selector, for the scale subresource). */
export function selectorString(va: VoiceAgent): string {
  return Object.entries(selectorLabels(va))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Labels of every rendered object: the pod selector plus managed-by and the owning VoiceAgent. */
export function labels(va: VoiceAgent): Record<string, string> {
  return {
    ...selectorLabels(va),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [OWNER_LABEL]: va.metadata.name,
  };
}

export function ownerReference(va: VoiceAgent): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: va.metadata.name,
    uid: va.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function meta(va: VoiceAgent, name: string, annotations?: Record<string, string>) {
  return {
    name,
    namespace: va.metadata.namespace,
    labels: labels(va),
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReference(va)],
  };
}
