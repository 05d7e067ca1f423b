// Pure helpers and read-only checks of one VoiceAgent's children and references, used by the
// reconciler before it applies anything.
import {
  ApiException,
  type CoreV1Api,
  type KubernetesObject,
  type KubernetesObjectApi,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { DesiredObject } from '../render/index.ts';
import type { VoiceAgent } from '../api/types.ts';
import { apiCode, apiMessage } from './errors.ts';

export function childId(o: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.name}`;
}

/** Field manager that keeps spec.replicas at its value when an autoscaler takes over. */
export const REPLICAS_HANDOVER_MANAGER = 'hva-operator-replicas-handover';

/**
 * The kind is not served (its CRD is not installed): the API group answers a plain-text 404
 * ("404 page not found"), where a missing object answers a Status with reason NotFound.
 */
export function isUnservedKind(err: unknown): boolean {
  if (/Unrecognized API version and kind/i.test(apiMessage(err))) return true;
  if (!(err instanceof ApiException) || err.code !== 404) return false;
  return !/"reason"\s*:\s*"NotFound"/.test(
    typeof err.body === 'string' ? err.body : JSON.stringify(err.body),
  );
}

/** Whether `manager` holds spec.replicas through server-side apply. */
export function ownsReplicas(d: V1Deployment, manager: string): boolean {
  return (d.metadata?.managedFields ?? []).some((m) => {
    if (m.manager !== manager || m.operation !== 'Apply') return false;
    const spec = (m.fieldsV1 as Record<string, Record<string, unknown>> | undefined)?.['f:spec'];
    return spec !== undefined && 'f:replicas' in spec;
  });
}

/** Every Secret key the rendered pods read, with the spec field that names it. */
export function secretReferences(va: VoiceAgent): { name: string; key: string; field: string }[] {
  const refs: { name: string; key: string; field: string }[] = [];
  const add = (ref: { name: string; key?: string } | undefined, key: string, field: string) => {
    if (ref) refs.push({ name: ref.name, key: ref.key ?? key, field });
  };
  add(va.spec.twilio?.authTokenSecretRef, 'authToken', 'spec.twilio.authTokenSecretRef');
  add(va.spec.llm?.apiKeySecretRef, 'apiKey', 'spec.llm.apiKeySecretRef');
  add(va.spec.google?.credentialsSecretRef, 'key.json', 'spec.google.credentialsSecretRef');
  add(va.spec.twilio?.apiKeySecretRef, 'apiKeySecret', 'spec.twilio.apiKeySecretRef');
  (va.spec.tools ?? []).forEach((tool, i) => add(tool.secretRef, 'secret', `spec.tools[${i}].secretRef`));
  return refs;
}

/** Referenced Secrets, keys and ConfigMaps that do not exist (the pods would not start). */
export async function missingReferences(core: CoreV1Api, va: VoiceAgent): Promise<string[]> {
  const missing: string[] = [];
  const ns = va.metadata.namespace;
  for (const ref of secretReferences(va)) {
    try {
      const secret = await core.readNamespacedSecret({ name: ref.name, namespace: ns });
      if (!(ref.key in (secret.data ?? {})) && !(ref.key in (secret.stringData ?? {})))
        missing.push(`Secret ${ref.name} has no key ${ref.key} (${ref.field})`);
    } catch (err) {
      if (apiCode(err) !== 404) throw err;
      missing.push(`Secret ${ref.name} not found (${ref.field})`);
    }
  }
  const prompt = va.spec.llm?.systemPromptFrom?.configMapKeyRef;
  if (prompt) {
    const key = prompt.key ?? 'systemPrompt';
    try {
      const cm = await core.readNamespacedConfigMap({ name: prompt.name, namespace: ns });
      if (!(key in (cm.data ?? {})) && !(key in (cm.binaryData ?? {})))
        missing.push(`ConfigMap ${prompt.name} has no key ${key} (spec.llm.systemPromptFrom)`);
    } catch (err) {
      if (apiCode(err) !== 404) throw err;
      missing.push(`ConfigMap ${prompt.name} not found (spec.llm.systemPromptFrom)`);
    }
  }
  return missing;
}

/**
 * Reads every child before applying anything: a name taken by an object without this
 * VoiceAgent's controller ownerReference is a conflict (server-side apply with force would
 * silently take it over), and a kind the cluster does not serve is a missing add-on.
 */
export async function checkClaims(
  objects: KubernetesObjectApi,
  va: VoiceAgent,
  desired: DesiredObject[],
  live: Map<string, KubernetesObject>,
): Promise<{ conflicts: string[]; missingDependency?: string; unserved: Set<string> }> {
  const conflicts: string[] = [];
  const unserved = new Set<string>();
  let missingDependency: string | undefined;
  for (const obj of desired) {
    let current: KubernetesObject | undefined;
    try {
      current = await objects.read({
        apiVersion: obj.apiVersion as string,
        kind: obj.kind as string,
        metadata: { name: obj.metadata?.name as string, namespace: va.metadata.namespace },
      });
    } catch (err) {
      if (isUnservedKind(err)) {
        unserved.add(childId(obj));
        missingDependency =
          obj.kind === 'ScaledObject'
            ? `KEDA not installed: this cluster does not serve ${obj.apiVersion} ${obj.kind}, which autoscaling.provider keda needs. Install KEDA, or use autoscaling.provider hpa`
            : `${obj.apiVersion} ${obj.kind} is not served by this cluster`;
        continue;
      }
      if (apiCode(err) === 404) continue;
      throw err;
    }
    live.set(childId(obj), current);
    const owner = current.metadata?.ownerReferences?.find((r) => r.controller);
    if (owner?.uid !== va.metadata.uid) {
      const by = owner ? `controlled by ${owner.kind} ${owner.name}` : 'not controlled by any VoiceAgent';
      conflicts.push(
        `${obj.kind} ${obj.metadata?.name} already exists and is ${by}: the operator does not take it over (rename this VoiceAgent, or delete that ${obj.kind})`,
      );
    }
  }
  return { conflicts, missingDependency, unserved };
}
