// A resilient informer is "synced" only once a list has succeeded: client-node's ListWatch
// resolves start() even when the list fails. Failed lists restart on a capped backoff; time is
// a manual clock and the list function is scripted.
import { setImmediate as turn } from 'node:timers/promises';
import {
  ApiException,
  KubeConfig,
  type KubernetesListObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { resilientInformer } from '../../src/runtime/informers.ts';
import { ManualClock } from '../support/manual-clock.ts';

function unreachable(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const forbidden = () =>
  new ApiException(403, 'Forbidden', JSON.stringify({ message: 'configmaps is forbidden' }), {});

describe('resilientInformer', () => {
  it('a failed list is not synced (with the reason); restarts back off; the first successful list syncs it', async () => {
    const clock = new ManualClock();
    const answers: (() => Promise<KubernetesListObject<V1ConfigMap>>)[] = [
      () => Promise.reject(forbidden()),
      () => Promise.reject(forbidden()),
      () =>
        Promise.resolve({
          metadata: { resourceVersion: '7' },
          items: [{ metadata: { name: 'a', namespace: 'ns' } }],
        }),
    ];
    let lists = 0;
    let restarts = 0;
    const informer = resilientInformer<V1ConfigMap>({
      kc: unreachable(),
      resource: 'configmaps',
      path: '/api/v1/configmaps',
      list: () => answers[Math.min(lists++, answers.length - 1)]!(),
      onChange: () => undefined,
      onRestart: () => restarts++,
      logger: pino({ level: 'silent' }),
      restartDelayMs: 5000,
      clock,
      random: () => 0,
    });
    let synced = false;
    void informer.waitForSync().then(() => (synced = true));

    await informer.start(); // resolves although the list failed
    await turn();
    expect(lists).toBe(1);
    expect(informer.synced).toBe(false);
    expect(informer.lastError).toBe('HTTP 403: configmaps is forbidden');
    expect(synced).toBe(false);
    expect(clock.pendingDelays()).toEqual([5000]);

    await clock.advance(5000, turn);
    await turn();
    expect([lists, restarts]).toEqual([2, 1]);
    expect(informer.synced).toBe(false);
    expect(clock.pendingDelays()).toEqual([10_000]); // doubled

    await clock.advance(10_000, turn);
    await turn();
    expect(lists).toBe(3);
    expect(informer.synced).toBe(true);
    expect(synced).toBe(true);
    expect(informer.cache.get('a', 'ns')).toBeDefined();
    await informer.stop();
    expect(informer.synced).toBe(false);
  });
});
