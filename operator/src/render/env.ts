// VoiceAgent spec -> agent container env, through the one generated CR-path -> env table.
import type { V1EnvVar } from '@kubernetes/client-node';
import type { VoiceAgentSpec } from '../api/types.ts';
import { AGENT_ENV, CR_FIELDS } from './fields.generated.ts';

/** Where a Google key Secret is mounted; GOOGLE_APPLICATION_CREDENTIALS points into it. */
export const GOOGLE_KEY_DIR = '/var/run/secrets/google';
export const AGENT_PORT = 8080;
/** Probes, metrics and drain: never in the Service (agent/src/server/http.ts buildAdminApp). */
export const AGENT_ADMIN_PORT = 9090;

function valueAt(spec: VoiceAgentSpec, path: string): unknown {
  let node: unknown = spec;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Env for every schema field the spec sets (after CRD defaulting), in schema order. */
export function configEnv(spec: VoiceAgentSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  for (const field of CR_FIELDS) {
    const value = valueAt(spec, field.crPath);
    if (value === undefined || value === null) continue;
    env.push({ name: field.env, value: String(value) });
  }
  return env;
}

/** Env var holding the signing secret of spec.tools[index] (named by TOOLS_JSON's secretEnv). */
export const toolSecretEnv = (index: number): string => `HVA_TOOL_SECRET_${index}`;

/**
 * spec.tools -> TOOLS_JSON (no secret in it: each tool names the env var its secret is in) plus
 * one secretKeyRef env var per signed tool; spec.transfer.targets -> TRANSFER_TARGETS_JSON.
 */
export function toolEnv(spec: VoiceAgentSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  const tools = spec.tools ?? [];
  if (tools.length > 0) {
    const entries = tools.map(({ secretRef, ...tool }, i) =>
      secretRef ? { ...tool, secretEnv: toolSecretEnv(i) } : tool,
    );
    env.push({ name: AGENT_ENV.toolsJson, value: JSON.stringify(entries) });
    tools.forEach((tool, i) => {
      if (tool.secretRef)
        env.push({
          name: toolSecretEnv(i),
          valueFrom: { secretKeyRef: { name: tool.secretRef.name, key: tool.secretRef.key ?? 'secret' } },
        });
    });
  }
  const targets = spec.transfer?.targets ?? [];
  if (targets.length > 0) env.push({ name: AGENT_ENV.transferTargetsJson, value: JSON.stringify(targets) });
  return env;
}

/** The full container env: fixed platform values, config, secret/ConfigMap refs, then spec.env. */
export function renderEnv(spec: VoiceAgentSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: AGENT_ENV.port, value: String(AGENT_PORT) },
    { name: AGENT_ENV.adminPort, value: String(AGENT_ADMIN_PORT) },
    { name: AGENT_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: AGENT_ENV.podNamespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ...configEnv(spec),
  ];
  const prompt = spec.llm?.systemPromptFrom?.configMapKeyRef;
  if (prompt) {
    env.push({
      name: AGENT_ENV.llmSystemPrompt,
      valueFrom: { configMapKeyRef: { name: prompt.name, key: prompt.key ?? 'systemPrompt' } },
    });
  }
  const twilio = spec.twilio?.authTokenSecretRef;
  if (twilio) {
    env.push({
      name: AGENT_ENV.twilioAuthToken,
      valueFrom: { secretKeyRef: { name: twilio.name, key: twilio.key ?? 'authToken' } },
    });
  }
  const apiKey = spec.twilio?.apiKeySecretRef;
  if (apiKey) {
    env.push({
      name: AGENT_ENV.twilioApiKeySecret,
      valueFrom: { secretKeyRef: { name: apiKey.name, key: apiKey.key ?? 'apiKeySecret' } },
    });
  }
  env.push(...toolEnv(spec));
  const openai = spec.llm?.apiKeySecretRef;
  if (openai) {
    env.push({
      name: AGENT_ENV.openaiApiKey,
      valueFrom: { secretKeyRef: { name: openai.name, key: openai.key ?? 'apiKey' } },
    });
  }
  const googleKey = spec.google?.credentialsSecretRef;
  if (googleKey) {
    env.push({
      name: AGENT_ENV.googleCredentials,
      value: `${GOOGLE_KEY_DIR}/${googleKey.key ?? 'key.json'}`,
    });
  }
  for (const extra of spec.env ?? []) {
    env.push(
      extra.valueFrom
        ? { name: extra.name, valueFrom: extra.valueFrom }
        : { name: extra.name, value: extra.value ?? '' },
    );
  }
  return env;
}

/**
 * Env the operator renders from something other than a spec field with a `cr` path (those are
 * added by scripts/gen-crd.ts): spec.env may not redefine any of them. Value: where it comes from.
 */
export const OPERATOR_OWNED_ENV: Readonly<Record<string, string>> = {
  [AGENT_ENV.port]: 'the operator (the container port)',
  [AGENT_ENV.podName]: 'the downward API (metadata.name)',
  [AGENT_ENV.podNamespace]: 'the downward API (metadata.namespace)',
  [AGENT_ENV.llmSystemPrompt]: 'spec.llm.systemPrompt or spec.llm.systemPromptFrom',
  [AGENT_ENV.twilioAuthToken]: 'spec.twilio.authTokenSecretRef',
  [AGENT_ENV.twilioApiKeySecret]: 'spec.twilio.apiKeySecretRef',
  [AGENT_ENV.toolsJson]: 'spec.tools',
  [AGENT_ENV.transferTargetsJson]: 'spec.transfer.targets',
  [AGENT_ENV.openaiApiKey]: 'spec.llm.apiKeySecretRef',
  [AGENT_ENV.googleCredentials]: 'spec.google.credentialsSecretRef',
};
