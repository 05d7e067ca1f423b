// Informers (list + watch + cache) that restart themselves: client-node's ListWatch re-lists on
// 410 Gone but stops on any other error, so a stopped informer is started again after a delay.
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface ResilientInformer<T extends KubernetesObject> {
  readonly cache: ObjectCache<T>;
  readonly resource: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function resilientInformer<T extends KubernetesObject>(opts: {
  kc: KubeConfig;
  resource: string;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  onChange: (obj: T) => void;
  onRestart?: () => void;
  logger: Logger;
  restartDelayMs?: number;
}): ResilientInformer<T> {
  const informer: Informer<T> & ObjectCache<T> = makeInformer(
    opts.kc,
    opts.path,
    opts.list,
    opts.labelSelector,
  );
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, opts.onChange);
  informer.on('error', (err) => {
    if (stopped) return;
    opts.logger.warn({ resource: opts.resource, err: String(err) }, 'informer stopped; restarting');
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (stopped) return;
      opts.onRestart?.();
      informer.start().catch(() => undefined); // a failing start raises 'error' again
    }, opts.restartDelayMs ?? 5000);
    timer.unref();
  });
  return {
    cache: informer,
    resource: opts.resource,
    async start() {
      stopped = false;
      await informer.start();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
