// Shared set-up for the operator's integration tests: a real kube-apiserver + etcd with the
// generated CRD installed, plus small VoiceAgent helpers.
import { readFileSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  loadYaml,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1PolicyRule,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { expect } from 'vitest';
import { CRD_PATH } from '../../../scripts/gen-crd.ts';
import { kubeConfigForToken, startKubeApiServer, type KubeApiServer } from '../../../test-env/kube.ts';
import { GROUP, PLURAL, VERSION, type VoiceAgent } from '../../src/api/types.ts';
import { apiCode, apiMessage } from '../../src/runtime/errors.ts';
import { waitFor as pollUntil } from '../../../test-env/net.ts';

export const IMAGE = 'ghcr.io/hva/agent:0.1.0';

/** Polls fn until it returns something other than undefined/false (API state, not time, decides). */
export function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return pollUntil(what, fn, timeoutMs, apiMessage);
}

/** Starts the API server, installs the CRD and creates the namespaces. */
export async function startClusterWithCrd(namespaces: string[]): Promise<KubeApiServer> {
  const kube = await startKubeApiServer();
  const admin = kube.kubeConfig;
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD_PATH, 'utf8'));
  const ext = admin.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({ body: crd });
  await waitFor('CRD established', async () => {
    const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
    return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  const core = admin.makeApiClient(CoreV1Api);
  for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
  const custom = admin.makeApiClient(CustomObjectsApi);
  await waitFor('CRD served', () =>
    custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: namespaces[0]!,
      plural: PLURAL,
    }),
  );
  return kube;
}

export function voiceAgents(kc: KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  const create = async (name: string, spec: Record<string, unknown>, dryRun = false) =>
    (await custom.createNamespacedCustomObject({
      ...ref,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VoiceAgent', metadata: { name }, spec },
      ...(dryRun ? { dryRun: 'All' } : {}),
    })) as VoiceAgent;
  return {
    create,
    get: async (name: string) => (await custom.getNamespacedCustomObject({ ...ref, name })) as VoiceAgent,
    patchSpec: async (name: string, spec: Record<string, unknown>) =>
      (await custom.patchNamespacedCustomObject(
        { ...ref, name, body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as VoiceAgent,
    /** The API server's rejection message for this VoiceAgent (fails the test if it is admitted). */
    rejection: async (spec: Record<string, unknown>, name = 'probe'): Promise<string> => {
      try {
        await create(name, spec, true);
      } catch (err) {
        expect(apiCode(err), apiMessage(err)).toBe(422);
        return apiMessage(err);
      }
      throw new Error(`admitted: ${name} ${JSON.stringify(spec)}`);
    },
  };
}

export const condition = (va: VoiceAgent, type: string) =>
  va.status?.conditions?.find((c) => c.type === type);

/**
 * The operator's identity as the chart sets it up: a ServiceAccount bound to exactly the
 * generated ClusterRole(s), authenticated with a TokenRequest token.
 */
export async function operatorKubeConfig(
  kube: KubeApiServer,
  namespace: string,
  roles: { name: string; rules: V1PolicyRule[]; bind: boolean }[],
): Promise<KubeConfig> {
  const admin = kube.kubeConfig;
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'hva-operator' } } });
  for (const role of roles) {
    await rbac.createClusterRole({ body: { metadata: { name: role.name }, rules: role.rules } });
    if (!role.bind) continue;
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: role.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
        subjects: [{ kind: 'ServiceAccount', name: 'hva-operator', namespace }],
      },
    });
  }
  const token = await core.createNamespacedServiceAccountToken({
    name: 'hva-operator',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!token.status?.token) throw new Error('TokenRequest returned no token');
  return kubeConfigForToken(kube, token.status.token, 'hva-operator');
}
