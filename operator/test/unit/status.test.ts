import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { computeStatus, statusChanged, statusToJson } from '../../src/render/index.ts';
import { minimalSpec, voiceAgent } from '../fixtures/voiceagents.ts';

const t0 = new Date('2026-01-01T10:00:00Z');
const t1 = new Date('2026-01-01T10:05:00Z');

function deployment(replicas: number, status: V1Deployment['status'], generation = 1): V1Deployment {
  return { metadata: { name: 'a', generation }, spec: { replicas, selector: {}, template: {} }, status };
}

const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('computeStatus', () => {
  it('no Deployment yet: not ready, progressing, config valid', () => {
    const s = computeStatus(voiceAgent('a', minimalSpec, 3), {}, t0);
    expect(s.observedGeneration).toBe(3);
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'DeploymentMissing',
      observedGeneration: 3,
    });
    expect(cond(s, 'Progressing')?.status).toBe('True');
    expect(cond(s, 'ConfigValid')?.status).toBe('True');
    expect(cond(s, 'Degraded')?.status).toBe('False');
    expect(s.selector).toBe('app.kubernetes.io/name=hebrew-voice-agent,app.kubernetes.io/instance=a');
  });

  it('all replicas ready and updated: Ready True, Progressing False', () => {
    const d = deployment(2, {
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    const s = computeStatus(voiceAgent('a', minimalSpec), { deployment: d, activeCalls: 7 }, t0);
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AllReplicasReady',
      message: '2/2 replicas ready',
    });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect([s.replicas, s.readyReplicas, s.activeCalls]).toEqual([2, 2, 7]);
  });

  it('rollout in progress: old pods still present', () => {
    const d = deployment(2, { observedGeneration: 2, replicas: 3, readyReplicas: 2, updatedReplicas: 1 }, 2);
    const s = computeStatus(voiceAgent('a', minimalSpec), { deployment: d }, t0);
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(cond(s, 'Ready')?.status).toBe('True');
  });

  it('deployment controller has not seen the new generation yet', () => {
    const d = deployment(1, { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1 }, 2);
    expect(
      cond(computeStatus(voiceAgent('a', minimalSpec), { deployment: d }, t0), 'Progressing')?.status,
    ).toBe('True');
  });

  it('degraded on ProgressDeadlineExceeded, on ReplicaFailure and on apply errors', () => {
    const stuck = deployment(1, {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' },
      ],
    });
    const s = computeStatus(voiceAgent('a', minimalSpec), { deployment: stuck }, t0);
    expect(cond(s, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ProgressDeadlineExceeded',
      message: 'too slow',
    });
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReplicasNotReady',
      message: '0/1 replicas ready',
    });

    const failing = deployment(1, {
      conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' }],
    });
    expect(
      cond(computeStatus(voiceAgent('a', minimalSpec), { deployment: failing }, t0), 'Degraded')?.reason,
    ).toBe('ReplicaFailure');

    const applyFailed = computeStatus(
      voiceAgent('a', minimalSpec),
      { applyError: 'keda.sh/v1alpha1 ScaledObject: no such kind' },
      t0,
    );
    expect(cond(applyFailed, 'Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
  });

  it('invalid config: ConfigValid False with the reason', () => {
    const s = computeStatus(voiceAgent('a', minimalSpec), { configError: 'spec.stt.model: bad' }, t0);
    expect(cond(s, 'ConfigValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidConfig',
      message: 'spec.stt.model: bad',
    });
  });

  it('keeps lastTransitionTime while a condition keeps its status, moves it on change', () => {
    const va = voiceAgent('a', minimalSpec);
    const first = computeStatus(va, {}, t0);
    va.status = JSON.parse(JSON.stringify(statusToJson(first)));
    const same = computeStatus(va, {}, t1);
    expect(statusChanged(va.status, same)).toBe(false);
    expect(cond(same, 'Ready')?.lastTransitionTime).toEqual(t0);

    const ready = deployment(1, { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1 });
    const next = computeStatus(va, { deployment: ready }, t1);
    expect(statusChanged(va.status, next)).toBe(true);
    expect(cond(next, 'Ready')?.lastTransitionTime).toEqual(t1);
    expect(cond(next, 'ConfigValid')?.lastTransitionTime).toEqual(t0);
  });

  it('serialises times as RFC 3339 seconds for metav1.Time', () => {
    const json = statusToJson(
      computeStatus(voiceAgent('a', minimalSpec), {}, new Date('2026-01-01T10:00:00.123Z')),
    );
    expect((json.conditions as { lastTransitionTime: string }[])[0]?.lastTransitionTime).toBe(
      '2026-01-01T10:00:00Z',
    );
  });
});
