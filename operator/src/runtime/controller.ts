// The operator loop: informers on VoiceAgents and on the kinds it owns feed a keyed work queue;
// workers reconcile while this replica holds the Lease; a periodic resync re-queues every
// VoiceAgent (drift on kinds without an informer, active-call counts, lost events).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { VoiceAgent } from '../api/types.ts';
import { OWNER_LABEL } from '../render/index.ts';
import { resilientInformer, type ResilientInformer } from './informers.ts';
import { LeaderElector, type Clock, type LeaseTimings } from './leader.ts';
import type { OperatorMetrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';
import { WorkQueue } from './queue.ts';
import { MANAGED_SELECTOR, ownedKinds, voiceAgentKind } from './watched-kinds.ts';

export interface ControllerOptions {
  kc: KubeConfig;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Identity in the Lease (pod name). */
  identity: string;
  leaseNamespace: string;
  leaseName?: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  renewDeadlineMs?: number;
  /** Watch one namespace only; undefined = all namespaces. */
  watchNamespace?: string;
  resyncMs?: number;
  workers?: number;
  informerRestartDelayMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** The ClusterRole agents are bound to (the chart's <release>-agent). */
  agentClusterRole?: string;
  /** Lease timers (tests step time by hand); real timers by default. */
  leaseClock?: Clock;
}

export class Controller {
  private readonly opts: ControllerOptions;
  private readonly queue: WorkQueue;
  private readonly elector: LeaderElector;
  private readonly informers: ResilientInformer<KubernetesObject>[] = [];
  private readonly voiceAgents: ResilientInformer<VoiceAgent>;
  private readonly reconciler: Reconciler;
  private resyncTimer: NodeJS.Timeout | undefined;
  private workers: Promise<void> | undefined;
  private campaigning = false;
  private stopping = false;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.queue = new WorkQueue(opts.backoff);
    const { kc, logger, metrics, watchNamespace: ns } = opts;
    const voiceAgents = voiceAgentKind(kc, ns);
    this.voiceAgents = resilientInformer<VoiceAgent>({
      kc,
      logger,
      ...voiceAgents,
      onChange: (va) => this.enqueue(va),
      onRestart: () => metrics.informerRestarts.inc({ resource: voiceAgents.resource }),
      restartDelayMs: opts.informerRestartDelayMs,
    });
    for (const o of ownedKinds(kc, ns)) {
      this.informers.push(
        resilientInformer<KubernetesObject>({
          kc,
          logger,
          ...o,
          labelSelector: MANAGED_SELECTOR,
          onChange: (obj) => this.enqueueOwner(obj),
          onRestart: () => metrics.informerRestarts.inc({ resource: o.resource }),
          restartDelayMs: opts.informerRestartDelayMs,
        }),
      );
    }

    this.reconciler = new Reconciler({
      kc,
      logger,
      metrics,
      getVoiceAgent: (namespace, name) => this.voiceAgents.cache.get(name, namespace),
      hasDeployment: (namespace, name) => this.informers[0]?.cache.get(name, namespace) !== undefined,
      agentClusterRole: opts.agentClusterRole,
    });

    this.elector = new LeaderElector(kc, {
      namespace: opts.leaseNamespace,
      name: opts.leaseName ?? 'hva-operator',
      identity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      retryPeriodMs: opts.retryPeriodMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      clock: opts.leaseClock,
      logger,
      onError: () => metrics.leaseErrors.inc(),
      onStartedLeading: () => {
        metrics.leader.set(1);
        this.resyncAll();
      },
      onStoppedLeading: () => metrics.leader.set(0),
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** The Lease timings in effect (unset options take the defaults). */
  get leaseTimings(): LeaseTimings {
    return this.elector.timings;
  }

  /**
   * Ready once every informer has completed a list and this replica campaigns for the Lease
   * (holding it or standing by). A list that fails keeps it not ready, with the reason.
   */
  readiness(): { ready: boolean; reason: string } {
    const waiting = this.allInformers().filter((i) => !i.synced);
    if (waiting.length > 0)
      return {
        ready: false,
        reason: `informers not synced: ${waiting
          .map((i) => `${i.resource}${i.lastError ? ` (${i.lastError})` : ''}`)
          .join(', ')}`,
      };
    if (!this.campaigning) return { ready: false, reason: 'not campaigning for the Lease yet' };
    return { ready: true, reason: this.elector.isLeader ? 'ready (leader)' : 'ready (standby)' };
  }

  get ready(): boolean {
    return this.readiness().ready;
  }

  private allInformers(): ResilientInformer<KubernetesObject>[] {
    return [this.voiceAgents, ...this.informers];
  }

  private enqueue(va: KubernetesObject): void {
    if (va.metadata?.namespace && va.metadata.name)
      this.queue.add(`${va.metadata.namespace}/${va.metadata.name}`);
    this.opts.metrics.queueDepth.set(this.queue.length);
  }

  private enqueueOwner(obj: KubernetesObject): void {
    const owner = obj.metadata?.labels?.[OWNER_LABEL];
    if (owner && obj.metadata?.namespace) this.queue.add(`${obj.metadata.namespace}/${owner}`);
    this.opts.metrics.queueDepth.set(this.queue.length);
  }

  private resyncAll(): void {
    for (const va of this.voiceAgents.cache.list()) this.enqueue(va);
  }

  async start(): Promise<void> {
    const { logger, metrics } = this.opts;
    const informers = this.allInformers();
    await Promise.all(informers.map((i) => i.start()));
    // A failed list does not reject start(); the informer retries, and we wait for its list.
    await Promise.all(informers.map((i) => i.waitForSync()));
    if (this.stopping) return;
    logger.info({ informers: informers.length }, 'informers synced');
    this.elector.start();
    this.campaigning = true;
    this.resyncTimer = setInterval(() => this.resyncAll(), this.opts.resyncMs ?? 60_000);
    this.resyncTimer.unref();
    this.workers = this.queue.run(
      this.opts.workers ?? 2,
      async (key) => {
        if (!this.elector.isLeader) return; // followers keep caches warm; the leader re-queues all on election
        const end = metrics.reconcileDuration.startTimer();
        try {
          await this.reconciler.reconcile(key);
          metrics.reconciles.inc({ result: 'success' });
        } catch (err) {
          metrics.reconciles.inc({ result: 'error' });
          throw err;
        } finally {
          end();
          metrics.queueDepth.set(this.queue.length);
        }
      },
      (key, err, retryInMs) =>
        logger.warn({ voiceAgent: key, err: String(err), retryInMs }, 'reconcile failed; retrying'),
    );
  }

  /** Stops reconciling, releases the Lease and stops the informers. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.resyncTimer);
    this.queue.shutdown();
    await this.workers;
    this.campaigning = false;
    await this.elector.stop();
    await Promise.all(this.allInformers().map((i) => i.stop()));
    this.opts.metrics.leader.set(0);
  }
}
