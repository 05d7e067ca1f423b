import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  V1Deployment,
  V1Service,
  V2HorizontalPodAutoscaler,
  V2HorizontalPodAutoscalerBehavior,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import {
  render,
  PRESTOP_DRAIN_PATH,
  AGENT_NODE_BINARY,
  selectorString,
  kedaQuery,
  type ScaledObject,
} from '../../src/render/index.ts';
import { autoscaledSpec, kedaSpec, minimalSpec, voiceAgent } from '../fixtures/voiceagents.ts';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function toYaml(objects: unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

function checkGolden(file: string, objects: unknown[]): void {
  const path = join(goldenDir, file);
  const actual = toYaml(objects);
  if (update) writeFileSync(path, actual);
  const expected = readFileSync(path, 'utf8');
  expect(actual).toBe(expected);
  // the golden file is valid multi-document YAML with the same objects
  expect(parseAllDocuments(expected).map((d) => d.toJS())).toEqual(JSON.parse(JSON.stringify(objects)));
}

const kinds = (objects: { kind?: string }[]) => objects.map((o) => o.kind);
const find = <T>(objects: { kind?: string }[], kind: string) => objects.find((o) => o.kind === kind) as T;

describe('render golden files', () => {
  it('minimal spec', () => checkGolden('minimal.yaml', render(voiceAgent('minimal', minimalSpec))));
  it('autoscaled (HPA) spec', () =>
    checkGolden('autoscaled.yaml', render(voiceAgent('busy', autoscaledSpec))));
  it('KEDA spec', () => checkGolden('keda.yaml', render(voiceAgent('keda', kedaSpec))));
});

describe('render', () => {
  it('renders SA, RBAC, Deployment, Service and PDB for a fixed-size agent, with fixed replicas', () => {
    const objects = render(voiceAgent('a', { ...minimalSpec, replicas: 3 }));
    expect(kinds(objects)).toEqual([
      'ServiceAccount',
      'RoleBinding',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
    ]);
    expect(find<V1Deployment>(objects, 'Deployment').spec?.replicas).toBe(3);
    for (const o of objects) {
      expect(o.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'voice.hva.dev/v1alpha1',
          kind: 'VoiceAgent',
          name: 'a',
          uid: 'uid-a',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(o.metadata?.labels?.['voice.hva.dev/voiceagent']).toBe('a');
      expect(o.metadata?.namespace).toBe('calls');
    }
  });

  it('leaves replicas out when autoscaling and renders an HPA on hva_active_calls with a slow scale-down', () => {
    const objects = render(voiceAgent('busy', autoscaledSpec));
    const deployment = find<V1Deployment>(objects, 'Deployment');
    expect(deployment.spec && 'replicas' in deployment.spec).toBe(false);
    const hpa = find<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec?.metrics?.[0]?.pods?.metric.name).toBe('hva_active_calls');
    expect(hpa.spec?.metrics?.[0]?.pods?.target).toEqual({ type: 'AverageValue', averageValue: '40' });
    expect(hpa.spec?.behavior?.scaleDown).toEqual({
      stabilizationWindowSeconds: 2400,
      selectPolicy: 'Min',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }],
    });
    expect([hpa.spec?.minReplicas, hpa.spec?.maxReplicas]).toEqual([2, 20]);
  });

  it('keeps the one-pod-per-two-minutes scale-down promise for every allowed window', () => {
    // The HPA counts scale-ups inside a Pods policy's period when it limits a scale-down, so a
    // window shorter than the period allowed 3 -> 1 right after a 1 -> 3 scale-up (seen on the
    // real controller; operator/test/integration/autoscaling.test.ts proves the fix there).
    for (let window = 0; window <= 3600; window += 10) {
      for (const spec of [autoscaledSpec, kedaSpec]) {
        const objects = render(
          voiceAgent('w', { ...spec, autoscaling: { ...spec.autoscaling, scaleDownWindowSeconds: window } }),
        );
        const behavior =
          spec === kedaSpec
            ? (
                find<ScaledObject>(objects, 'ScaledObject').spec as {
                  advanced: {
                    horizontalPodAutoscalerConfig: { behavior: V2HorizontalPodAutoscalerBehavior };
                  };
                }
              ).advanced.horizontalPodAutoscalerConfig.behavior
            : find<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').spec?.behavior;
        const scaleDown = behavior?.scaleDown;
        expect(scaleDown?.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 120 }]);
        expect(scaleDown?.selectPolicy).toBe('Min');
        expect(scaleDown?.stabilizationWindowSeconds).toBe(Math.max(window, 150));
        expect(scaleDown?.stabilizationWindowSeconds).toBeGreaterThan(120);
      }
    }
  });

  it('drain-safe, locked-down pod template', () => {
    const pod = find<V1Deployment>(render(voiceAgent('busy', autoscaledSpec)), 'Deployment').spec!.template
      .spec!;
    const c = pod.containers[0]!;
    expect(pod.terminationGracePeriodSeconds).toBe(1200 + 30);
    const hook = c.lifecycle?.preStop?.exec?.command ?? [];
    expect(hook[0]).toBe(AGENT_NODE_BINARY);
    // The drain is on the admin port and needs the token file only this container can read.
    expect(hook.join(' ')).toContain(`http://127.0.0.1:9090${PRESTOP_DRAIN_PATH}`);
    expect(hook.join(' ')).toContain(`method:'POST'`);
    expect(hook.join(' ')).toContain('/tmp/hva-drain-9090.token');
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(c.ports).toContainEqual({ name: 'admin', containerPort: 9090, protocol: 'TCP' });
    expect(c.env).toContainEqual({ name: 'ADMIN_PORT', value: '9090' });
    // Twilio reaches the Service: it must not expose the admin port.
    const svc = find<V1Service>(render(voiceAgent('busy', autoscaledSpec)), 'Service');
    expect(svc.spec?.ports?.map((p) => p.targetPort)).toEqual(['http']);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(
      pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions,
    ).toEqual([{ key: 'topology.kubernetes.io/region', operator: 'In', values: ['europe-west1'] }]);
  });

  it('maps spec fields to the agent env names and secrets to secretKeyRefs', () => {
    const env = find<V1Deployment>(render(voiceAgent('busy', autoscaledSpec)), 'Deployment').spec!.template
      .spec!.containers[0]!.env!;
    const byName = new Map(env.map((e) => [e.name, e]));
    expect(byName.get('DRAIN_SECONDS')?.value).toBe('1200');
    expect(byName.get('STT_MODEL')?.value).toBe('default');
    expect(byName.get('STT_EARLY_FINALIZATION')?.value).toBe('true');
    expect(byName.get('PUBLIC_HOST')?.value).toBe('voice.example.com');
    expect(byName.get('TWILIO_AUTH_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'twilio', key: 'authToken' },
    });
    expect(byName.get('OPENAI_API_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'openai', key: 'apiKey' },
    });
    expect(byName.get('LLM_SYSTEM_PROMPT')?.valueFrom).toEqual({
      configMapKeyRef: { name: 'prompts', key: 'systemPrompt' },
    });
    expect(byName.get('POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // secrets never appear as literal values
    expect(env.filter((e) => e.value !== undefined).map((e) => e.name)).not.toContain('OPENAI_API_KEY');
    // extra env comes last so it can override
    expect(env.at(-1)).toEqual({ name: 'LOG_LEVEL', value: 'debug' });
  });

  it('annotates the generated ServiceAccount for Workload Identity', () => {
    const sa = render(voiceAgent('busy', autoscaledSpec)).find((o) => o.kind === 'ServiceAccount');
    expect(sa?.metadata?.annotations).toEqual({
      'iam.gke.io/gcp-service-account': 'agent@my-voice-proj.iam.gserviceaccount.com',
    });
  });

  it('KEDA: ScaledObject with a prometheus trigger, no HPA, existing SA, key Secret mounted', () => {
    const va = voiceAgent('keda', kedaSpec);
    const objects = render(va);
    expect(kinds(objects)).toEqual([
      'RoleBinding',
      'Deployment',
      'Service',
      'ScaledObject',
      'PodDisruptionBudget',
    ]);
    const so = find<ScaledObject>(objects, 'ScaledObject');
    expect(so.spec.triggers).toEqual([
      {
        type: 'prometheus',
        metricType: 'AverageValue',
        metadata: {
          serverAddress: 'http://prometheus.monitoring:9090',
          query: kedaQuery(va),
          threshold: '30',
        },
      },
    ]);
    // By labels, whatever the pod names (a 60-character VoiceAgent name gets truncated pod names).
    expect(kedaQuery(voiceAgent('a'.repeat(60), kedaSpec))).toBe(
      `sum(hva_active_calls{namespace="calls",app_kubernetes_io_name="hebrew-voice-agent",app_kubernetes_io_instance="${'a'.repeat(60)}"})`,
    );
    const pod = find<V1Deployment>(objects, 'Deployment').spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('voice-sa');
    expect(pod.containers[0]!.env).toContainEqual({
      name: 'GOOGLE_APPLICATION_CREDENTIALS',
      value: '/var/run/secrets/google/key.json',
    });
    expect(pod.volumes).toContainEqual({
      name: 'google-key',
      secret: { secretName: 'google-key', defaultMode: 0o440 },
    });
  });

  it('drops the PDB when disabled and exposes the selector string', () => {
    const va = voiceAgent('nopdb', { ...minimalSpec, podDisruptionBudget: { enabled: false } });
    expect(kinds(render(va))).not.toContain('PodDisruptionBudget');
    expect(selectorString(va)).toBe(
      'app.kubernetes.io/name=hebrew-voice-agent,app.kubernetes.io/instance=nopdb',
    );
  });

  it('is pure: same input, same output, input untouched', () => {
    const va = voiceAgent('busy', autoscaledSpec);
    const before = JSON.stringify(va);
    expect(render(va)).toEqual(render(va));
    expect(JSON.stringify(va)).toBe(before);
  });
});
