// Informers (list + watch + cache) that restart themselves: client-node's ListWatch re-lists on
// 410 Gone but stops on any other error, so a stopped informer is started again after a capped,
// jittered backoff. ListWatch.start() resolves even when its list fails (the failure only
// raises 'error'), so "synced" is tracked here: an informer is synced once a list has succeeded.
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.ts';
import { apiCode, apiMessage } from './errors.ts';
import { realClock, type Clock } from './leader.ts';

export interface ResilientInformer<T extends KubernetesObject> {
  readonly cache: ObjectCache<T>;
  readonly resource: string;
  /** A list has succeeded since start (the cache holds what the API server had). */
  readonly synced: boolean;
  /** Why the informer is not synced: the last list/watch error, if any. */
  readonly lastError: string | undefined;
  start(): Promise<void>;
  /** Resolves once a list has succeeded (or the informer is stopped). */
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

/** Restarts after consecutive failures wait base × 2^n, capped here (plus jitter). */
export const INFORMER_MAX_RESTART_DELAY_MS = 60_000;

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  resource: string;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  onChange: (obj: T) => void;
  onRestart?: () => void;
  logger: Logger;
  restartDelayMs?: number;
  /** Restart timers (tests step time by hand); real timers by default. */
  clock?: Clock;
  /** Jitter source in [0, 1); Math.random by default. */
  random?: () => number;
}

export function resilientInformer<T extends KubernetesObject>(
  opts: ResilientInformerOptions<T>,
): ResilientInformer<T> {
  const clock = opts.clock ?? realClock;
  let synced = false;
  let lastError: string | undefined;
  let failures = 0;
  let markSynced: () => void = () => undefined;
  let syncedOnce = new Promise<void>((resolve) => (markSynced = resolve));
  const list = async () => {
    const result = await opts.list();
    // ListWatch fills its cache right after this resolves, in the same turn.
    synced = true;
    lastError = undefined;
    failures = 0;
    markSynced();
    return result;
  };
  const informer: Informer<T> & ObjectCache<T> = makeInformer(opts.kc, opts.path, list, opts.labelSelector);
  let stopped = true;
  let timer: unknown;
  for (const verb of ['add', 'update', 'delete'] as const)
    informer.on(verb, (obj: T) => {
      failures = 0; // the watch delivers again: the next error starts from the base delay
      opts.onChange(obj);
    });
  informer.on('error', (err) => {
    if (stopped) return;
    failures++;
    const code = apiCode(err);
    lastError = `${code ? `HTTP ${code}: ` : ''}${apiMessage(err).trim()}`;
    const base = opts.restartDelayMs ?? 5000;
    const retryInMs = backoffDelay(
      failures,
      { baseMs: base, maxMs: Math.max(base, INFORMER_MAX_RESTART_DELAY_MS), jitter: 0.5 },
      opts.random,
    );
    opts.logger.warn({ resource: opts.resource, err: lastError, retryInMs }, 'informer stopped; restarting');
    clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      if (stopped) return;
      opts.onRestart?.();
      informer.start().catch(() => undefined); // a failing start raises 'error' again
    }, retryInMs);
  });
  return {
    cache: informer,
    resource: opts.resource,
    get synced() {
      return synced;
    },
    get lastError() {
      return lastError;
    },
    async start() {
      stopped = false;
      await informer.start();
    },
    waitForSync() {
      return syncedOnce;
    },
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      markSynced(); // nobody waits for a stopped informer
      await informer.stop();
      synced = false;
      syncedOnce = new Promise<void>((resolve) => (markSynced = resolve));
    },
  };
}
