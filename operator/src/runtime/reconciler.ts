// One reconcile of one VoiceAgent: render -> server-side apply every child (field manager,
// force, controller ownerReferences) -> delete labelled children the spec no longer wants ->
// compute status from what the API server returned -> patch /status only if it changed ->
// Events on significant changes. All business decisions live in render/ (pure).
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION, type VoiceAgent } from '../api/types.ts';
import {
  CHILD_KINDS,
  MANAGED_BY,
  OWNER_LABEL,
  computeStatus,
  render,
  selectorString,
  statusChanged,
  statusToJson,
  type DesiredObject,
  type Observed,
} from '../render/index.ts';
import {
  REPLICAS_HANDOVER_MANAGER,
  checkClaims,
  childId,
  missingReferences,
  ownsReplicas,
} from './children.ts';
import { apiCode, apiMessage } from './errors.ts';
import type { OperatorMetrics } from './metrics.ts';

export const FIELD_MANAGER = 'hva-operator';
export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

export interface ReconcilerOptions {
  kc: KubeConfig;
  logger: Logger;
  metrics: OperatorMetrics;
  /** The VoiceAgent as cached by the informer (undefined: deleted). */
  getVoiceAgent: (namespace: string, name: string) => VoiceAgent | undefined;
  /** Whether the Deployment exists in the informer cache (for the Created event). */
  hasDeployment: (namespace: string, name: string) => boolean;
  now?: () => Date;
  /** The ClusterRole agents are bound to. */
  agentClusterRole?: string;
}

export class ReconcileError extends Error {
  override name = 'ReconcileError';
}

type EventType = 'Normal' | 'Warning';

export class Reconciler {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly opts: ReconcilerOptions;
  private readonly now: () => Date;

  constructor(opts: ReconcilerOptions) {
    this.opts = opts;
    this.objects = KubernetesObjectApi.makeApiClient(opts.kc);
    this.custom = opts.kc.makeApiClient(CustomObjectsApi);
    this.core = opts.kc.makeApiClient(CoreV1Api);
    this.now = opts.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const va = this.opts.getVoiceAgent(namespace, name);
    if (!va || va.metadata.deletionTimestamp) return; // children go with their ownerReferences
    const log = this.opts.logger.child({ voiceAgent: key, generation: va.metadata.generation });
    const observed: Observed = {};
    let retry = false;

    let desired: DesiredObject[] = [];
    try {
      desired = render(va, { agentClusterRole: this.opts.agentClusterRole });
    } catch (err) {
      observed.configError = `render failed: ${apiMessage(err)}`;
    }

    const existedBefore = this.opts.hasDeployment(namespace, name);
    const live = new Map<string, KubernetesObject>();
    if (!observed.configError) {
      const claims = await checkClaims(this.objects, va, desired, live);
      if (claims.missingDependency) {
        observed.missingDependency = claims.missingDependency;
        desired = desired.filter((o) => !claims.unserved.has(childId(o)));
        retry = true;
      }
      if (claims.conflicts.length > 0) {
        observed.ownershipConflicts = claims.conflicts;
        desired = []; // stop: never take over an object this VoiceAgent does not control
        log.warn({ conflicts: claims.conflicts }, 'ownership conflict: nothing applied');
      }
      observed.missingReferences = await missingReferences(this.core, va);
    }

    const configErrors: string[] = [];
    const applyErrors: string[] = [];
    for (const obj of observed.configError ? [] : desired) {
      const result = await this.applyChild(va, obj, live.get(childId(obj)), log);
      if (result.deployment) observed.deployment = result.deployment;
      if (result.configError) configErrors.push(result.configError);
      if (result.applyError) {
        applyErrors.push(result.applyError);
        retry = true;
      }
    }
    // Every error is kept, not only the last.
    if (configErrors.length > 0) observed.configError = configErrors.join('; ');
    if (applyErrors.length > 0) observed.applyError = applyErrors.join('; ');

    if (!observed.configError && !observed.ownershipConflicts) {
      try {
        await this.prune(va, desired, log);
      } catch (err) {
        this.opts.metrics.reconcileErrors.inc({ kind: 'prune' });
        log.warn({ err: apiMessage(err) }, 'prune failed');
        retry = true;
      }
    }
    if (!observed.deployment) observed.deployment = await this.readDeployment(namespace, name);
    observed.activeCalls = await this.activeCalls(va).catch(() => undefined);

    const status = computeStatus(va, observed, this.now());
    if (statusChanged(va.status, status)) {
      await this.patchStatus(va, status, log);
      await this.eventsForTransition(va, status.conditions ?? [], observed, existedBefore);
    }
    if (retry)
      throw new ReconcileError(
        [observed.missingDependency, observed.applyError].filter(Boolean).join('; ') || 'prune failed',
      );
  }

  /** Writes the status subresource; a VoiceAgent deleted meanwhile (404) has nothing left to report on. */
  private async patchStatus(
    va: VoiceAgent,
    status: ReturnType<typeof computeStatus>,
    log: Logger,
  ): Promise<void> {
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: va.metadata.namespace,
          plural: PLURAL,
          name: va.metadata.name,
          body: { status: statusToJson(status) },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      log.debug({ status }, 'status updated');
    } catch (err) {
      this.opts.metrics.reconcileErrors.inc({ kind: 'status' });
      if (apiCode(err) !== 404) throw new ReconcileError(`status patch failed: ${apiMessage(err)}`);
    }
  }

  /** Server-side apply of one child, with the replica hand-over and hand-edit repair. */
  private async applyChild(
    va: VoiceAgent,
    obj: DesiredObject,
    current: KubernetesObject | undefined,
    log: Logger,
  ): Promise<{ deployment?: V1Deployment; configError?: string; applyError?: string }> {
    const label = `${obj.kind} ${obj.metadata?.name}`;
    try {
      if (obj.kind === 'Deployment' && current)
        await this.handOverReplicas(obj, current as V1Deployment, log);
      const applied = await this.apply(obj);
      return obj.kind === 'Deployment' ? { deployment: applied as V1Deployment } : {};
    } catch (err) {
      const code = apiCode(err);
      const message = `${label}: ${apiMessage(err)}`;
      log.warn({ child: childId(obj), code, err: message }, 'apply failed');
      if ((code === 422 || code === 400) && current) {
        // The child exists and is ours, so the spec is not what is wrong: someone changed it
        // by hand so that the rendered fields no longer fit. Repair by re-creating it, except the
        // Deployment (re-creating it would end calls): that one is reported for a human.
        if (obj.kind !== 'Deployment') return this.recreate(va, obj, message, log);
        this.opts.metrics.reconcileErrors.inc({ kind: 'apply' });
        return {
          applyError: `${label} was changed by hand so that the operator's fields cannot be applied (${apiMessage(err)}); undo that edit or delete the Deployment`,
        };
      }
      if (code === 422 || code === 400) {
        this.opts.metrics.reconcileErrors.inc({ kind: 'invalid' });
        return { configError: message };
      }
      this.opts.metrics.reconcileErrors.inc({ kind: 'apply' });
      return { applyError: message };
    }
  }

  private apply(obj: DesiredObject, fieldManager = FIELD_MANAGER): Promise<KubernetesObject> {
    return this.objects.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
  }

  private async recreate(
    va: VoiceAgent,
    obj: DesiredObject,
    cause: string,
    log: Logger,
  ): Promise<{ applyError?: string }> {
    try {
      await this.objects.delete({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata?.name, namespace: va.metadata.namespace },
      });
      await this.apply(obj);
    } catch (err) {
      this.opts.metrics.reconcileErrors.inc({ kind: 'apply' });
      return { applyError: `${cause}; re-creating it failed: ${apiMessage(err)}` };
    }
    log.info({ child: childId(obj) }, 're-created a hand-edited child');
    await this.event(
      va,
      'Warning',
      'ChildRepaired',
      `${obj.kind} ${obj.metadata?.name} could not take the operator's fields (${cause}): it was edited by hand, or an earlier operator version rendered an immutable field differently; re-created it`,
    );
    return {};
  }

  /**
   * Fixed replicas -> autoscaling: render() leaves spec.replicas out, and server-side apply
   * would reset a field nobody else owns to its default (1). A second field manager takes the
   * current value first, so the count stays until the autoscaler changes it.
   */
  private async handOverReplicas(obj: DesiredObject, current: V1Deployment, log: Logger): Promise<void> {
    const wantsReplicas = (obj as V1Deployment).spec?.replicas !== undefined;
    const replicas = current.spec?.replicas;
    if (wantsReplicas || replicas === undefined || !ownsReplicas(current, FIELD_MANAGER)) return;
    await this.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: current.metadata?.name, namespace: current.metadata?.namespace },
        spec: { replicas },
      } as V1Deployment,
      REPLICAS_HANDOVER_MANAGER,
    );
    log.info({ replicas }, 'replicas handed over to the autoscaler at the current count');
  }

  private async readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.objects.read<V1Deployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
      });
    } catch {
      return undefined;
    }
  }

  /** Children carrying our labels and controlled by this VoiceAgent that render() no longer wants. */
  private async prune(va: VoiceAgent, desired: DesiredObject[], log: Logger): Promise<void> {
    const wanted = new Set(desired.map(childId));
    const selector = `${OWNER_LABEL}=${va.metadata.name},app.kubernetes.io/managed-by=${MANAGED_BY}`;
    for (const { apiVersion, kind } of CHILD_KINDS) {
      let items: KubernetesObject[];
      try {
        const list = await this.objects.list(
          apiVersion,
          kind,
          va.metadata.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          selector,
        );
        items = list.items;
      } catch (err) {
        // An optional API (KEDA) that is not installed has nothing to prune.
        if (apiCode(err) === 404 || /Unrecognized API version and kind|not found/i.test(apiMessage(err)))
          continue;
        throw err;
      }
      for (const item of items) {
        const id = childId({ apiVersion, kind, metadata: item.metadata });
        const controlled = item.metadata?.ownerReferences?.some(
          (r) => r.controller && r.uid === va.metadata.uid,
        );
        if (!controlled || wanted.has(id)) continue;
        await this.objects.delete({
          apiVersion,
          kind,
          metadata: { name: item.metadata?.name, namespace: va.metadata.namespace },
        });
        log.info({ child: id }, 'pruned child the spec no longer wants');
        await this.event(
          va,
          'Normal',
          'Pruned',
          `Deleted ${kind} ${item.metadata?.name}: no longer wanted by the spec`,
        );
      }
    }
  }

  /** Sum of the pods' active calls, which the agent keeps in its pod-deletion-cost annotation. */
  private async activeCalls(va: VoiceAgent): Promise<number> {
    const pods = await this.core.listNamespacedPod({
      namespace: va.metadata.namespace,
      labelSelector: selectorString(va),
    });
    let total = 0;
    for (const pod of pods.items) {
      const n = Number.parseInt(pod.metadata?.annotations?.[DELETION_COST_ANNOTATION] ?? '', 10);
      if (Number.isFinite(n) && n > 0) total += n;
    }
    return total;
  }

  private async eventsForTransition(
    va: VoiceAgent,
    conditions: { type: string; status: string; reason: string; message: string }[],
    observed: Observed,
    existedBefore: boolean,
  ): Promise<void> {
    const before = new Map((va.status?.conditions ?? []).map((c) => [c.type, c]));
    const changed = (type: string) => {
      const now = conditions.find((c) => c.type === type);
      const prev = before.get(type);
      return now && (!prev || prev.status !== now.status || prev.reason !== now.reason) ? now : undefined;
    };
    if (!existedBefore && observed.deployment)
      await this.event(va, 'Normal', 'Created', 'Created the agent Deployment and its children');
    const ready = changed('Ready');
    if (ready)
      await this.event(
        va,
        ready.status === 'True' ? 'Normal' : 'Warning',
        ready.status === 'True' ? 'Ready' : 'NotReady',
        ready.message,
      );
    const config = changed('ConfigValid');
    if (config?.status === 'False') await this.event(va, 'Warning', 'InvalidConfig', config.message);
    const degraded = changed('Degraded');
    if (degraded?.status === 'True') await this.event(va, 'Warning', degraded.reason, degraded.message);
    const references = changed('ReferencesResolved');
    if (references?.status === 'False')
      await this.event(va, 'Warning', references.reason, references.message);
  }

  private async event(va: VoiceAgent, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.now();
    try {
      await this.core.createNamespacedEvent({
        namespace: va.metadata.namespace,
        body: {
          metadata: { generateName: `${va.metadata.name}.`, namespace: va.metadata.namespace },
          involvedObject: {
            apiVersion: va.apiVersion,
            kind: va.kind,
            name: va.metadata.name,
            namespace: va.metadata.namespace,
            uid: va.metadata.uid,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.opts.logger.debug({ err: apiMessage(err), reason }, 'event not recorded');
    }
  }
}
