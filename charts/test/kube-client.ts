// Minimal API access for the chart tests through @kubernetes/client-node: server-side apply
// (optionally dry-run), reads, and polling.
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { K8sObject } from './helm.ts';
import { waitFor as pollUntil } from '../../test-env/net.ts';

export interface Kube {
  readonly api: KubernetesObjectApi;
  readonly kc: KubeConfig;
  /** Server-side apply with dryRun=All: full admission (schema, CEL, RBAC of the caller), nothing stored. */
  dryRunApply(obj: K8sObject, namespace?: string): Promise<void>;
  apply(obj: K8sObject, namespace?: string): Promise<void>;
  read<T = Record<string, unknown>>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined>;
}

export function kubeFromFile(kubeconfigPath: string): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const ssa = async (
    obj: K8sObject,
    namespace: string | undefined,
    dryRun: string | undefined,
  ): Promise<void> => {
    const raw = {
      ...obj,
      metadata: { ...obj.metadata, ...(namespace && !obj.metadata.namespace ? { namespace } : {}) },
    };
    // Through loadYaml: client-node serializes known kinds from its model's property names
    // (xKubernetesValidations), so a plain wire-named object would silently lose fields such as
    // x-kubernetes-validations. loadYaml maps the wire names onto the model first.
    const spec = loadYaml<KubernetesObject>(JSON.stringify(raw));
    await api.patch(spec, undefined, dryRun, 'hva-chart-test', true, PatchStrategy.ServerSideApply);
  };
  return {
    api,
    kc,
    dryRunApply: (obj, ns) => ssa(obj, ns, 'All'),
    apply: (obj, ns) => ssa(obj, ns, undefined),
    async read<T>(
      apiVersion: string,
      kind: string,
      name: string,
      namespace?: string,
    ): Promise<T | undefined> {
      try {
        return (await api.read({
          apiVersion,
          kind,
          metadata: { name, ...(namespace ? { namespace } : {}) },
        })) as T;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
  };
}

/** The API server's error message from a client-node error (admission/CEL messages live there). */
export function apiErrorMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  if (typeof e.body === 'string') {
    try {
      return (JSON.parse(e.body) as { message?: string }).message ?? e.body;
    } catch {
      return e.body;
    }
  }
  if (e.body && typeof e.body === 'object')
    return (e.body as { message?: string }).message ?? JSON.stringify(e.body);
  return e.message ?? String(err);
}

export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return pollUntil(what, probe, timeoutMs, apiErrorMessage);
}
