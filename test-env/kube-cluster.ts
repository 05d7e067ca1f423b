// A small real cluster on loopback for integration tests that need the controllers: etcd,
// kube-apiserver with the aggregation layer, kube-controller-manager (deployment, replicaset,
// HPA, garbage collector, node lifecycle), kube-scheduler, kwok faking N nodes and their pods'
// lifecycle (no kubelet, no containers run), and a custom-metrics adapter
// (test-env/metrics-adapter) whose per-pod values the test sets. Start it only in tests that
// need it: it runs six processes.
//
//   const cluster = await startKubeCluster({ nodes: 2 });
//   await cluster.setPodMetric('default', podName, 'hva_active_calls', 12);
//   await cluster.stop();
import { writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ApiregistrationV1Api, CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { freePort } from './net.ts';
import {
  makeServingCert,
  startKubeApiServer,
  startProcess,
  stopProcess,
  type KubeApiServer,
} from './kube.ts';
import { KWOK_POD_STAGES } from './kube-stages.ts';
import { ensureTool } from './tools.ts';
import type { ChildProcess } from 'node:child_process';

export interface KubeCluster extends KubeApiServer {
  readonly nodeNames: readonly string[];
  /** Sets the value the custom-metrics API reports for one pod (pods without a value report 0). */
  setPodMetric(namespace: string, pod: string, metric: string, value: number): Promise<void>;
}

export interface KubeClusterOptions {
  /** Fake nodes managed by kwok (default 2). */
  readonly nodes?: number;
  /** kube-controller-manager --horizontal-pod-autoscaler-sync-period (default 1 s; upstream 15 s). */
  readonly hpaSyncPeriodSeconds?: number;
  readonly readyTimeoutMs?: number;
}

const ADAPTER_SERVICE = 'hva-metrics-adapter';
const ADAPTER_NAMESPACE = 'kube-system';
const FAKE_NODE_LABEL = 'hva.dev/fake-node';

async function waitFor<T>(
  what: string,
  deadline: number,
  check: () => Promise<T | undefined>,
  processes: ChildProcess[],
  output: () => string,
): Promise<T> {
  for (;;) {
    const exited = processes.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (exited || Date.now() > deadline) {
      const tail = output().split('\n').slice(-60).join('\n');
      throw new Error(`${what}${exited ? ` (process ${exited.spawnfile} exited)` : ''}:\n${tail}`);
    }
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function fakeNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { [FAKE_NODE_LABEL]: 'true', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      capacity: { cpu: '16', memory: '64Gi', pods: '110' },
      allocatable: { cpu: '16', memory: '64Gi', pods: '110' },
    },
  };
}

function isSchedulable(node: V1Node): boolean {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const noScheduleTaint = (node.spec?.taints ?? []).some(
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  return ready && !noScheduleTaint && !node.spec?.unschedulable;
}

export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const nodeCount = options.nodes ?? 2;
  // Build (or find) everything before starting anything: a first build takes minutes.
  const kcmBin = ensureTool('kube-controller-manager');
  const schedulerBin = ensureTool('kube-scheduler');
  const kwokBin = ensureTool('kwok');
  const adapterBin = ensureTool('metrics-adapter');

  const api = await startKubeApiServer({ aggregation: true, readyTimeoutMs: options.readyTimeoutMs });
  const { dir, certDir, kubeconfigPath, output } = api;
  const logFile = join(dir, 'output.log');
  const children: ChildProcess[] = [];
  const stopChildren = async () => {
    process.off('exit', killOnExit);
    for (const child of children.reverse()) await stopProcess(child);
  };
  const killOnExit = () => children.forEach((c) => c.kill('SIGKILL'));
  process.on('exit', killOnExit);

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
    const core = api.kubeConfig.makeApiClient(CoreV1Api);

    // The adapter serves custom.metrics.k8s.io on loopback. Without kube-proxy the aggregator
    // reaches it through an ExternalName Service pointing at localhost, with the port on the
    // APIService; the aggregator checks the serving certificate for <service>.<namespace>.svc.
    const [adapterPort, valuesPort] = [await freePort(), await freePort()];
    const adapterCert = makeServingCert(certDir, 'metrics-adapter', [
      `${ADAPTER_SERVICE}.${ADAPTER_NAMESPACE}.svc`,
      'localhost',
    ]);
    children.push(
      startProcess(
        adapterBin,
        [
          `--secure-port=${adapterPort}`,
          '--bind-address=127.0.0.1',
          `--tls-cert-file=${adapterCert.cert}`,
          `--tls-private-key-file=${adapterCert.key}`,
          `--lister-kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          `--values-port=${valuesPort}`,
          '--v=1',
        ],
        logFile,
      ),
    );
    await core.createNamespacedService({
      namespace: ADAPTER_NAMESPACE,
      body: {
        metadata: { name: ADAPTER_SERVICE },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      },
    });
    const registration = api.kubeConfig.makeApiClient(ApiregistrationV1Api);
    const caBundle = Buffer.from(api.caData).toString('base64');
    const versions = ['v1beta1', 'v1beta2'];
    for (const version of versions) {
      await registration.createAPIService({
        body: {
          metadata: { name: `${version}.custom.metrics.k8s.io` },
          spec: {
            group: 'custom.metrics.k8s.io',
            version,
            service: { namespace: ADAPTER_NAMESPACE, name: ADAPTER_SERVICE, port: adapterPort },
            caBundle,
            groupPriorityMinimum: 100,
            versionPriority: version === 'v1beta2' ? 200 : 100,
          },
        },
      });
    }

    const kcmDir = join(dir, 'kcm');
    mkdirSync(kcmDir);
    children.push(
      startProcess(
        kcmBin,
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          '--controllers=deployment-controller,replicaset-controller,horizontal-pod-autoscaler-controller,garbage-collector-controller,node-lifecycle-controller',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${await freePort()}`,
          `--cert-dir=${kcmDir}`,
          `--horizontal-pod-autoscaler-sync-period=${options.hpaSyncPeriodSeconds ?? 1}s`,
          '--node-monitor-period=1s',
          // kwok v0.7.0 refreshes a fake node's status about every 50 s and keeps no node Lease,
          // so the default 50 s grace flaps the nodes NotReady, and the controller then marks
          // their pods NotReady. Fake nodes never fail in these tests: wait an hour.
          '--node-monitor-grace-period=1h',
          '--kube-api-qps=100',
          '--kube-api-burst=200',
          '--v=1',
        ],
        logFile,
      ),
    );
    const schedulerDir = join(dir, 'scheduler');
    mkdirSync(schedulerDir);
    children.push(
      startProcess(
        schedulerBin,
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${await freePort()}`,
          `--cert-dir=${schedulerDir}`,
          '--v=1',
        ],
        logFile,
      ),
    );
    const kwokConfig = join(dir, 'kwok.yaml');
    writeFileSync(kwokConfig, KWOK_POD_STAGES);
    children.push(
      startProcess(
        kwokBin,
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--config=${kwokConfig}`,
          `--manage-nodes-with-label-selector=${FAKE_NODE_LABEL}=true`,
          '--manage-all-nodes=false',
        ],
        logFile,
      ),
    );

    const nodeNames = Array.from({ length: nodeCount }, (_, i) => `fake-node-${i}`);
    for (const name of nodeNames) await core.createNode({ body: fakeNode(name) });

    // kwok reports the nodes Ready; the node-lifecycle controller then lifts the not-ready taint.
    await waitFor(
      'fake nodes did not become schedulable',
      deadline,
      async () => {
        const nodes = await core.listNode({ labelSelector: `${FAKE_NODE_LABEL}=true` });
        return nodes.items.length === nodeCount && nodes.items.every(isSchedulable) ? true : undefined;
      },
      children,
      output,
    );
    await waitFor(
      'the custom-metrics APIService did not become Available',
      deadline,
      async () => {
        for (const version of versions) {
          const svc = await registration.readAPIService({ name: `${version}.custom.metrics.k8s.io` });
          const available = svc.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
          if (!available) return undefined;
        }
        return true;
      },
      children,
      output,
    );

    const setPodMetric = (namespace: string, pod: string, metric: string, value: number) =>
      new Promise<void>((resolve, reject) => {
        const query = new URLSearchParams({ namespace, pod, metric, value: String(value) });
        const req = request(
          { host: '127.0.0.1', port: valuesPort, method: 'PUT', path: `/values?${query.toString()}` },
          (res) => {
            res.resume();
            if (res.statusCode === 204) resolve();
            else reject(new Error(`metrics adapter answered ${res.statusCode}`));
          },
        );
        req.on('error', reject);
        req.end();
      });

    return {
      ...api,
      nodeNames,
      setPodMetric,
      stop: async () => {
        await stopChildren();
        await api.stop();
      },
    };
  } catch (err) {
    await stopChildren();
    await api.stop();
    throw err;
  }
}
