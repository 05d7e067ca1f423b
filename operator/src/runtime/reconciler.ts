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
}

export class ReconcileError extends Error {
  override name = 'ReconcileError';
}

type EventType = 'Normal' | 'Warning';

function childId(o: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.name}`;
}

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
      desired = render(va);
    } catch (err) {
      observed.configError = `render failed: ${apiMessage(err)}`;
    }

    const existedBefore = this.opts.hasDeployment(namespace, name);
    const applyErrors: string[] = [];
    for (const obj of observed.configError ? [] : desired) {
      try {
        const applied = await this.objects.patch(
          obj,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
        if (obj.kind === 'Deployment') observed.deployment = applied as V1Deployment;
      } catch (err) {
        const code = apiCode(err);
        const message = `${obj.kind} ${obj.metadata?.name}: ${apiMessage(err)}`;
        if (code === 422 || code === 400) {
          observed.configError = message;
          this.opts.metrics.reconcileErrors.inc({ kind: 'invalid' });
        } else {
          applyErrors.push(message);
          this.opts.metrics.reconcileErrors.inc({ kind: 'apply' });
          retry = true;
        }
        log.warn({ child: childId(obj), code, err: message }, 'apply failed');
      }
    }
    if (applyErrors.length > 0) observed.applyError = applyErrors.join('; ');

    if (!observed.configError) {
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
      try {
        await this.custom.patchNamespacedCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
            name,
            body: { status: statusToJson(status) },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        log.debug({ status }, 'status updated');
      } catch (err) {
        this.opts.metrics.reconcileErrors.inc({ kind: 'status' });
        // 404: the VoiceAgent was deleted meanwhile; nothing left to report on.
        if (apiCode(err) !== 404) throw new ReconcileError(`status patch failed: ${apiMessage(err)}`);
      }
      await this.eventsForTransition(va, status.conditions ?? [], observed, existedBefore);
    }
    if (retry) throw new ReconcileError(observed.applyError ?? 'prune failed');
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
