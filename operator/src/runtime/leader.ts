// Leader election on a coordination.k8s.io/v1 Lease (client-node has no helper). One candidate
// holds the Lease and renews it; others take it over when it expires or is released. Optimistic
// concurrency (resourceVersion) makes every take-over and renewal atomic: 409 = someone else won.
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often the holder renews and candidates retry. */
  retryPeriodMs?: number;
  /** The holder gives up leadership if it cannot renew for this long. */
  renewDeadlineMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger: Logger;
}

/** RFC 3339 with microseconds, the only form metav1.MicroTime accepts. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return 0;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly opts: Required<
    Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading' | 'logger'>
  > &
    LeaderElectionOptions;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(kc: KubeConfig, opts: LeaderElectionOptions) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.opts = { leaseDurationSeconds: 15, retryPeriodMs: 2000, renewDeadlineMs: 10_000, ...opts };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.tryAcquireOrRenew()
        .catch((err) => this.opts.logger.warn({ err: String(err) }, 'lease: acquire/renew failed'))
        .finally(() => {
          if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs)
            this.lose('renew deadline passed');
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.retryPeriodMs);
        });
    };
    tick();
  }

  /** Stops campaigning; a holder releases the Lease so another candidate takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (!this.leading) return;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = '';
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({
          name: this.opts.name,
          namespace: this.opts.namespace,
          body: lease,
        });
        this.opts.logger.info({ lease: this.opts.name }, 'lease released');
      }
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'lease: release failed');
    }
    this.lose('stopped');
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.opts.logger.warn({ lease: this.opts.name, why }, 'leadership lost');
    this.opts.onStoppedLeading();
  }

  private win(): void {
    this.lastRenew = Date.now();
    if (this.leading) return;
    this.leading = true;
    this.opts.logger.info({ lease: this.opts.name, identity: this.opts.identity }, 'leadership acquired');
    this.opts.onStartedLeading();
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    const lease = await this.read();
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: microTime(now) as unknown as Date,
              renewTime: microTime(now) as unknown as Date,
              leaseTransitions: 0,
            },
          },
        });
        this.win();
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
      }
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expires = timeOf(spec.renewTime) + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder !== identity && holder !== '' && expires > now.getTime()) {
      this.lose(`held by ${holder}`);
      return;
    }
    const takeover = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now) as unknown as Date,
      ...(takeover
        ? {
            acquireTime: microTime(now) as unknown as Date,
            leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
          }
        : {}),
    };
    // Dates read back from the API are re-sent as-is; normalise them to MicroTime strings.
    if (lease.spec.acquireTime instanceof Date)
      lease.spec.acquireTime = microTime(lease.spec.acquireTime) as unknown as Date;
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.win();
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) {
        this.lose('lease changed underneath (409)');
        return;
      }
      throw err;
    }
  }
}
