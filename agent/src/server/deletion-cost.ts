// Keeps this pod's controller.kubernetes.io/pod-deletion-cost annotation at its active call
// count, so a ReplicaSet scale-down removes the idlest pods first. Best effort: debounced, one
// request in flight, failures logged and counted, never thrown. Talks to the API server with the
// in-cluster service-account token and CA (node:https; node:http for a test fake server).
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../telemetry/logger.ts';
import { deletionCostUpdates } from './metrics.ts';

export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface DeletionCostOptions {
  readonly podName: string;
  readonly namespace: string;
  /** API server base URL; in cluster https://kubernetes.default.svc. */
  readonly apiBase: string;
  /** Reads the bearer token each time (projected tokens rotate). */
  readonly token: () => string;
  readonly ca?: Buffer;
  readonly logger: Logger;
  readonly debounceMs?: number;
  readonly requestTimeoutMs?: number;
}

/** The JSON merge-patch body that sets the annotation. */
export function deletionCostPatch(activeCalls: number): string {
  return JSON.stringify({
    metadata: { annotations: { [DELETION_COST_ANNOTATION]: String(Math.max(0, Math.floor(activeCalls))) } },
  });
}

export class DeletionCostUpdater {
  private readonly options: DeletionCostOptions;
  private desired = 0;
  private applied: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(options: DeletionCostOptions) {
    this.options = options;
  }

  /** Records the current call count; the patch follows after the debounce interval. */
  update(activeCalls: number): void {
    if (this.stopped) return;
    this.desired = activeCalls;
    if (this.timer !== undefined || this.inFlight !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.debounceMs ?? 2000);
    this.timer.unref();
  }

  /** Sends the latest value now if it differs from what the API server has. */
  async flush(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.desired === this.applied) return;
    const value = this.desired;
    this.inFlight = this.patch(value)
      .then(() => {
        this.applied = value;
        deletionCostUpdates.inc({ result: 'ok' });
      })
      .catch((err: Error) => {
        deletionCostUpdates.inc({ result: 'error' });
        this.options.logger.warn({ err: { message: err.message }, value }, 'pod deletion-cost update failed');
      })
      .finally(() => {
        this.inFlight = undefined;
        // A change that arrived while the request was in flight gets its own (debounced) patch.
        if (!this.stopped && this.desired !== this.applied) this.update(this.desired);
      });
    return this.inFlight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private patch(value: number): Promise<void> {
    const { apiBase, namespace, podName } = this.options;
    const url = new URL(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(podName)}`,
      apiBase,
    );
    const body = deletionCostPatch(value);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${this.options.token()}`,
            'content-type': 'application/merge-patch+json',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
          },
          ca: this.options.ca,
          timeout: this.options.requestTimeoutMs ?? 5000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`PATCH ${url.pathname} returned HTTP ${status}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/**
 * The updater for this pod when it runs in a cluster with POD_NAME/POD_NAMESPACE set and the
 * feature on; undefined otherwise (local runs, tests).
 */
export function inClusterDeletionCost(
  config: { podName: string; podNamespace: string; podDeletionCost: boolean },
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DeletionCostUpdater | undefined {
  if (!config.podDeletionCost || config.podName === '' || config.podNamespace === '') return undefined;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const tokenPath = `${SA_DIR}/token`;
  if (host === undefined || !existsSync(tokenPath)) {
    logger.info('pod deletion-cost updates off: not running in a cluster');
    return undefined;
  }
  const caPath = `${SA_DIR}/ca.crt`;
  return new DeletionCostUpdater({
    podName: config.podName,
    namespace: config.podNamespace,
    apiBase: 'https://kubernetes.default.svc',
    token: () => readFileSync(tokenPath, 'utf8').trim(),
    ca: existsSync(caPath) ? readFileSync(caPath) : undefined,
    logger,
  });
}
