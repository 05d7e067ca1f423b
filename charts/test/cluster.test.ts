// The chart and the examples against a real kube-apiserver + etcd (test-env/kube.ts):
// server-side dry-run of the rendered manifests, the examples validated by the installed CRD,
// `helm install`, then the operator (run locally from operator/src/main.ts as the chart's
// ServiceAccount) reconciling the minimal example, and `helm uninstall` keeping the CRD.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer } from '../../test-env/kube.ts';
import { freePort } from '../../test-env/net.ts';
import { chartDir, fullValues, helmOk, repoRoot, template, type K8sObject } from './helm.ts';
import { apiErrorMessage, kubeFromFile, waitFor, type Kube } from './kube-client.ts';

type KubeServer = Awaited<ReturnType<typeof startKubeApiServer>>;
let server: KubeServer;
let kube: Kube;
let kubeconfig: string;
const work = mkdtempSync(join(tmpdir(), 'hva-chart-it-'));
const children: ChildProcess[] = [];

const examples = (file: string): K8sObject[] =>
  parseAllDocuments(readFileSync(join(repoRoot, 'examples', file), 'utf8'))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

// Third-party kinds the full values render; the API server has no Prometheus Operator, so
// stand-in CRDs (open schemas) let the dry-run check everything else about those objects.
function stubCrd(group: string, kind: string, plural: string): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  } as K8sObject;
}

async function ensureNamespace(name: string): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function establishedCrd(name: string): Promise<void> {
  await waitFor(`CRD ${name} established`, async () => {
    const crd = await kube.read<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      name,
    );
    return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
}

beforeAll(async () => {
  server = await startKubeApiServer();
  kubeconfig = server.kubeconfigPath;
  kube = kubeFromFile(kubeconfig);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('chart against a real kube-apiserver', () => {
  it('rendered manifests (default and full values) pass a server-side dry-run', async () => {
    for (const crd of [
      stubCrd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors'),
      stubCrd('monitoring.coreos.com', 'PodMonitor', 'podmonitors'),
    ]) {
      await kube.apply(crd);
      await establishedCrd(crd.metadata.name);
    }
    for (const [ns, args] of [
      ['dry-default', []],
      ['dry-full', ['-f', fullValues]],
    ] as const) {
      await ensureNamespace(ns);
      const objs = await template('hva', ns, [...args]);
      expect(objs.length).toBeGreaterThan(5);
      for (const obj of objs) {
        await kube
          .dryRunApply(
            obj,
            obj.kind.startsWith('Cluster') || obj.kind === 'CustomResourceDefinition' ? undefined : ns,
          )
          .catch((err: unknown) => {
            throw new Error(`${ns}: ${obj.kind}/${obj.metadata.name} rejected: ${apiErrorMessage(err)}`);
          });
      }
    }
  });

  it('helm install creates the CRD, operator and RBAC; the examples pass the CRD validation', async () => {
    await helmOk([
      'install',
      'hva',
      chartDir,
      '--namespace',
      'hva-system',
      '--create-namespace',
      '--kubeconfig',
      kubeconfig,
    ]);
    await establishedCrd('voiceagents.voice.hva.dev');
    expect(
      await kube.read('apps/v1', 'Deployment', 'hva-hebrew-voice-agent-operator', 'hva-system'),
    ).toBeDefined();
    expect(
      await kube.read('rbac.authorization.k8s.io/v1', 'ClusterRole', 'hva-hebrew-voice-agent-operator'),
    ).toBeDefined();

    await ensureNamespace('voice');
    for (const file of [
      'secrets.example.yaml',
      'minimal.yaml',
      'production.yaml',
      'keda.yaml',
      'jaeger.yaml',
    ]) {
      for (const obj of examples(file)) {
        await kube.dryRunApply(obj, 'voice').catch((err: unknown) => {
          throw new Error(
            `examples/${file}: ${obj.kind}/${obj.metadata.name} rejected: ${apiErrorMessage(err)}`,
          );
        });
      }
    }
    // The validation is live: the production example with both replicas and autoscaling is refused.
    const [production] = examples('production.yaml');
    const broken = { ...production!, spec: { ...(production!.spec as object), replicas: 3 } } as K8sObject;
    await expect(
      kube.dryRunApply(broken, 'voice').catch((e: unknown) => Promise.reject(new Error(apiErrorMessage(e)))),
    ).rejects.toThrow(/spec.replicas and spec.autoscaling are exclusive/);
  });

  it('the operator, running as the chart ServiceAccount, reconciles the minimal example', async () => {
    const saKubeconfig = await serviceAccountKubeconfig('hva-system', 'hva-hebrew-voice-agent-operator');
    for (const obj of examples('secrets.example.yaml')) await kube.apply(obj, 'voice');
    const [minimal] = examples('minimal.yaml');
    await kube.apply(minimal!, 'voice');

    const port = await freePort();
    let out = '';
    const operator = spawn(
      join(repoRoot, 'node_modules', '.bin', 'node'),
      [join(repoRoot, 'operator', 'src', 'main.ts')],
      {
        env: {
          ...process.env,
          KUBECONFIG: saKubeconfig,
          POD_NAMESPACE: 'hva-system',
          POD_NAME: 'hva-operator-test',
          LEASE_NAME: 'hva-operator-leader',
          // As the chart's Deployment sets it: the agent ClusterRole the operator may bind.
          AGENT_CLUSTER_ROLE: 'hva-hebrew-voice-agent-operator-agent',
          PORT: String(port),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(operator);
    operator.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    operator.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    try {
      const deploy = await waitFor(
        'the operator to create Deployment voice/hebrew-agent',
        () =>
          kube.read<{
            metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
            spec: { template: { spec: { containers: { image: string }[] } } };
          }>('apps/v1', 'Deployment', 'hebrew-agent', 'voice'),
        60_000,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\noperator output:\n${out}`);
      });
      expect(deploy.metadata.ownerReferences).toContainEqual(
        expect.objectContaining({ kind: 'VoiceAgent', name: 'hebrew-agent', controller: true }),
      );
      expect(deploy.spec.template.spec.containers[0]!.image).toBe(
        'ghcr.io/hebrew-voice-agent/hebrew-voice-agent:0.1.0',
      );
      expect(await kube.read('v1', 'Service', 'hebrew-agent', 'voice')).toBeDefined();
      expect(
        await kube.read<{ roleRef: { kind: string; name: string } }>(
          'rbac.authorization.k8s.io/v1',
          'RoleBinding',
          'hebrew-agent-agent',
          'voice',
        ),
      ).toMatchObject({ roleRef: { kind: 'ClusterRole', name: expect.stringMatching(/-agent$/) } });
      const status = await waitFor('VoiceAgent status.observedGeneration', async () => {
        const va = await kube.read<{
          status?: { observedGeneration?: number; conditions?: { type: string }[] };
        }>('voice.hva.dev/v1alpha1', 'VoiceAgent', 'hebrew-agent', 'voice');
        return va?.status?.observedGeneration !== undefined ? va.status : undefined;
      });
      expect(status.conditions?.map((c) => c.type)).toEqual(expect.arrayContaining(['Ready', 'ConfigValid']));
      expect(out).not.toMatch(/forbidden/i);
    } finally {
      operator.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        if (operator.exitCode !== null) return resolve();
        const t = setTimeout(() => operator.kill('SIGKILL'), 10_000);
        operator.once('exit', () => (clearTimeout(t), resolve()));
      });
    }
  });

  it('helm uninstall removes the operator but keeps the CRD and the VoiceAgents', async () => {
    await helmOk(['uninstall', 'hva', '--namespace', 'hva-system', '--kubeconfig', kubeconfig]);
    await waitFor(
      'operator Deployment deleted',
      async () =>
        (await kube.read('apps/v1', 'Deployment', 'hva-hebrew-voice-agent-operator', 'hva-system')) ===
        undefined,
    );
    expect(
      await kube.read('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'voiceagents.voice.hva.dev'),
    ).toBeDefined();
    expect(await kube.read('voice.hva.dev/v1alpha1', 'VoiceAgent', 'hebrew-agent', 'voice')).toBeDefined();
  });
});

/** A kubeconfig that authenticates as a ServiceAccount (TokenRequest), so RBAC is the chart's. */
async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const core = kube.kc.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = kube.kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the admin kubeconfig');
  const path = join(work, `${name}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: {
            server: cluster.server,
            'certificate-authority-data': cluster.caData,
            'insecure-skip-tls-verify': cluster.caData ? undefined : cluster.skipTLSVerify,
          },
        },
      ],
      users: [{ name, user: { token: tr.status?.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'test', user: name, namespace } }],
      'current-context': 'sa',
    }),
  );
  return path;
}
