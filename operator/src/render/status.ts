// Pure: observed children -> VoiceAgent status (conditions Ready / Progressing / Degraded /
// ConfigValid as metav1.Condition). The clock is a parameter; lastTransitionTime only moves
// when a condition's status changes, so an unchanged world yields an identical status.
import type { V1Condition, V1Deployment } from '@kubernetes/client-node';
import type { VoiceAgent, VoiceAgentStatus } from '../api/types.ts';
import { selectorString } from './meta.ts';

export const CONDITION_TYPES = [
  'Ready',
  'Progressing',
  'Degraded',
  'ConfigValid',
  'ReferencesResolved',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface Observed {
  /** The Deployment as last seen; undefined when it does not exist (yet). */
  deployment?: V1Deployment;
  /** Sum of the pods' active calls (their pod-deletion-cost), when known. */
  activeCalls?: number;
  /** The last apply failed with this message (server rejected, conflict, missing CRD, ...). */
  applyError?: string;
  /** The spec could not be rendered or was rejected as invalid (HTTP 422): not retried until it changes. */
  configError?: string;
  /** Children whose name is taken by an object this VoiceAgent does not control (nothing applied). */
  ownershipConflicts?: string[];
  /** A cluster add-on the spec needs is not installed (KEDA). */
  missingDependency?: string;
  /** Referenced Secrets/ConfigMaps (or keys) that do not exist. */
  missingReferences?: string[];
}

interface ConditionValue {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

function deploymentCondition(d: V1Deployment | undefined, type: string) {
  return d?.status?.conditions?.find((c) => c.type === type);
}

/** Problems that make the agent Degraded regardless of the Deployment, most fundamental first. */
function blockingProblem(observed: Observed): ConditionValue | undefined {
  if (observed.ownershipConflicts?.length)
    return { status: 'True', reason: 'OwnershipConflict', message: observed.ownershipConflicts.join('; ') };
  if (observed.missingDependency)
    return { status: 'True', reason: 'DependencyMissing', message: observed.missingDependency };
  if (observed.applyError) return { status: 'True', reason: 'ApplyFailed', message: observed.applyError };
  return undefined;
}

function referencesCondition(observed: Observed): ConditionValue {
  return observed.missingReferences?.length
    ? { status: 'False', reason: 'MissingReference', message: observed.missingReferences.join('; ') }
    : { status: 'True', reason: 'AllFound', message: 'Every referenced Secret and ConfigMap exists' };
}

export function desiredConditions(va: VoiceAgent, observed: Observed): Record<ConditionType, ConditionValue> {
  const configValid: ConditionValue = observed.configError
    ? { status: 'False', reason: 'InvalidConfig', message: observed.configError }
    : { status: 'True', reason: 'Valid', message: 'Spec rendered and accepted by the API server' };
  const references = referencesCondition(observed);

  const d = observed.deployment;
  if (!d) {
    const reason = observed.configError ? 'InvalidConfig' : 'DeploymentMissing';
    return {
      ConfigValid: configValid,
      Ready: { status: 'False', reason, message: 'The agent Deployment does not exist yet' },
      Progressing: {
        status: observed.configError ? 'False' : 'True',
        reason: 'Creating',
        message: 'Creating children',
      },
      Degraded: blockingProblem(observed) ?? { status: 'False', reason: 'AsExpected', message: '' },
      ReferencesResolved: references,
    };
  }

  const desired = d.spec?.replicas ?? 1;
  const status = d.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const generationSeen = (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);

  let readyCond: ConditionValue;
  if (desired === 0)
    readyCond = { status: 'False', reason: 'ScaledToZero', message: 'Deployment has 0 replicas' };
  else if (ready >= desired)
    readyCond = { status: 'True', reason: 'AllReplicasReady', message: `${ready}/${desired} replicas ready` };
  else
    readyCond = {
      status: 'False',
      reason: 'ReplicasNotReady',
      message: `${ready}/${desired} replicas ready`,
    };

  const rollingOut = !generationSeen || updated < desired || total > updated;
  const progressing: ConditionValue = rollingOut
    ? {
        status: 'True',
        reason: 'RollingOut',
        message: generationSeen
          ? `${updated}/${desired} replicas updated, ${total} total`
          : 'Deployment controller has not seen the latest spec',
      }
    : { status: 'False', reason: 'RolloutComplete', message: `${updated}/${desired} replicas updated` };

  const deadline = deploymentCondition(d, 'Progressing');
  const replicaFailure = deploymentCondition(d, 'ReplicaFailure');
  let degraded: ConditionValue = { status: 'False', reason: 'AsExpected', message: '' };
  const blocking = blockingProblem(observed);
  if (blocking) degraded = blocking;
  else if (deadline?.status === 'False' && deadline.reason === 'ProgressDeadlineExceeded')
    degraded = { status: 'True', reason: 'ProgressDeadlineExceeded', message: deadline.message ?? '' };
  else if (replicaFailure?.status === 'True')
    degraded = { status: 'True', reason: 'ReplicaFailure', message: replicaFailure.message ?? '' };

  return {
    ConfigValid: configValid,
    Ready: readyCond,
    Progressing: progressing,
    Degraded: degraded,
    ReferencesResolved: references,
  };
}

/** The full status for this observation; `now` stamps conditions whose status changed. */
export function computeStatus(va: VoiceAgent, observed: Observed, now: Date): VoiceAgentStatus {
  const previous = va.status?.conditions ?? [];
  const generation = va.metadata.generation ?? 0;
  const wanted = desiredConditions(va, observed);
  const conditions: V1Condition[] = CONDITION_TYPES.map((type) => {
    const value = wanted[type];
    const before = previous.find((c) => c.type === type);
    const lastTransitionTime =
      before && before.status === value.status && before.lastTransitionTime
        ? new Date(before.lastTransitionTime)
        : now;
    return {
      type,
      status: value.status,
      reason: value.reason,
      message: value.message,
      observedGeneration: generation,
      lastTransitionTime,
    };
  });
  const d = observed.deployment;
  return {
    observedGeneration: generation,
    replicas: d?.status?.replicas ?? 0,
    readyReplicas: d?.status?.readyReplicas ?? 0,
    selector: selectorString(va),
    activeCalls: observed.activeCalls ?? va.status?.activeCalls ?? 0,
    conditions,
  };
}

/** Normalised form for comparing statuses (timestamps as ISO strings, conditions by type). */
function canonical(status: VoiceAgentStatus | undefined): string {
  if (!status) return '';
  const conditions = [...(status.conditions ?? [])]
    .map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message ?? '',
      observedGeneration: c.observedGeneration ?? 0,
      lastTransitionTime: new Date(c.lastTransitionTime as unknown as string | Date)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    }))
    .sort((a, b) => a.type.localeCompare(b.type));
  return JSON.stringify({
    observedGeneration: status.observedGeneration ?? 0,
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    selector: status.selector ?? '',
    activeCalls: status.activeCalls ?? 0,
    conditions,
  });
}

/** True when writing `next` would change what the API server holds (so we skip no-op patches). */
export function statusChanged(current: VoiceAgentStatus | undefined, next: VoiceAgentStatus): boolean {
  return canonical(current) !== canonical(next);
}

/** Status as JSON for a merge patch (dates as RFC 3339 seconds, as metav1.Time serialises). */
export function statusToJson(status: VoiceAgentStatus): Record<string, unknown> {
  return {
    ...status,
    conditions: (status.conditions ?? []).map((c) => ({
      ...c,
      lastTransitionTime: new Date(c.lastTransitionTime as unknown as string | Date)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    })),
  };
}
