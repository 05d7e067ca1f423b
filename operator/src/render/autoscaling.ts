// The autoscaler of a VoiceAgent on its pods' active calls: an HPA on the Pods metric (through a
// custom-metrics adapter), or a KEDA ScaledObject on a Prometheus query. Pure.
import type { KubernetesObject, V2HorizontalPodAutoscaler, V2HPAScalingRules } from '@kubernetes/client-node';
import {
  AUTOSCALING_DEFAULTS,
  MIN_SCALE_DOWN_WINDOW_SECONDS,
  SCALE_DOWN_POLICY_PERIOD_SECONDS,
  type VoiceAgent,
} from '../api/types.ts';
import { ACTIVE_CALLS_METRIC, meta, selectorLabels } from './meta.ts';

export interface ScaledObject extends KubernetesObject {
  spec: Record<string, unknown>;
}

export function scaleDownRules(va: VoiceAgent): V2HPAScalingRules {
  const window = va.spec.autoscaling?.scaleDownWindowSeconds ?? AUTOSCALING_DEFAULTS.scaleDownWindowSeconds;
  return {
    stabilizationWindowSeconds: Math.max(window, MIN_SCALE_DOWN_WINDOW_SECONDS),
    selectPolicy: 'Min',
    policies: [{ type: 'Pods', value: 1, periodSeconds: SCALE_DOWN_POLICY_PERIOD_SECONDS }],
  };
}

const SCALE_UP_RULES: V2HPAScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 60 },
    { type: 'Percent', value: 100, periodSeconds: 60 },
  ],
};

/** What both autoscalers share: the Deployment they scale, its bounds, the calls-per-pod target. */
function scaling(va: VoiceAgent) {
  const a = va.spec.autoscaling ?? {};
  return {
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: va.metadata.name },
    min: a.minReplicas ?? AUTOSCALING_DEFAULTS.minReplicas,
    max: a.maxReplicas ?? AUTOSCALING_DEFAULTS.maxReplicas,
    callsPerPod: String(a.targetActiveCallsPerPod ?? AUTOSCALING_DEFAULTS.targetActiveCallsPerPod),
    behavior: { scaleDown: scaleDownRules(va), scaleUp: SCALE_UP_RULES },
  };
}

export function hpa(va: VoiceAgent): V2HorizontalPodAutoscaler {
  const s = scaling(va);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(va, va.metadata.name),
    spec: {
      scaleTargetRef: s.target,
      minReplicas: s.min,
      maxReplicas: s.max,
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: ACTIVE_CALLS_METRIC },
            target: { type: 'AverageValue', averageValue: s.callsPerPod },
          },
        },
      ],
      behavior: s.behavior,
    },
  };
}

/**
 * PromQL for the KEDA trigger: total active calls of this agent's pods (KEDA divides by pods).
 * Pods are matched by their labels, not by a pod-name prefix (a long VoiceAgent name makes the
 * Deployment truncate pod names): the chart's PodMonitor copies app.kubernetes.io/name and
 * app.kubernetes.io/instance onto the series (podTargetLabels), as the common kubernetes-pods
 * scrape config's labelmap does.
 */
export function kedaQuery(va: VoiceAgent): string {
  const labels = selectorLabels(va);
  const matchers = Object.entries(labels)
    .map(([k, v]) => `${promLabelName(k)}="${v}"`)
    .join(',');
  return `sum(${ACTIVE_CALLS_METRIC}{namespace="${va.metadata.namespace}",${matchers}})`;
}

/** A Kubernetes label key as Prometheus names it after relabelling (invalid characters -> _). */
export function promLabelName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

export function scaledObject(va: VoiceAgent): ScaledObject {
  const s = scaling(va);
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: meta(va, va.metadata.name),
    spec: {
      scaleTargetRef: s.target,
      minReplicaCount: s.min,
      maxReplicaCount: s.max,
      advanced: { horizontalPodAutoscalerConfig: { behavior: s.behavior } },
      triggers: [
        {
          type: 'prometheus',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: va.spec.autoscaling?.keda?.serverAddress ?? '',
            query: kedaQuery(va),
            threshold: s.callsPerPod,
          },
        },
      ],
    },
  };
}
