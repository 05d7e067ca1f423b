// Generates the VoiceAgent CRD and the operator's CR-path -> env table from the agent's config
// schema (agent/src/config/schema.ts), so defaults, bounds and env names have one source.
//   npx node scripts/gen-crd.ts          write crds/ and operator/src/render/fields.generated.ts
//   npx node scripts/gen-crd.ts --check  exit 1 if the committed files differ from the output
// Fields with a `cr` path become spec properties; the structural fields (image, replicas,
// autoscaling, secrets, resources, ...) are declared here.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { stringify } from 'yaml';
import { schema, type ConfigKey, type Field } from '../agent/src/config/schema.ts';

import { GROUP, KIND, PLURAL, VERSION } from '../operator/src/api/types.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRD_PATH = join(root, 'crds', `${PLURAL}.${GROUP}.yaml`);
export const FIELDS_TS_PATH = join(root, 'operator', 'src', 'render', 'fields.generated.ts');

/**
 * CR fields that get no CRD default although the schema has one: the system prompt is
 * exclusive with llm.systemPromptFrom, and a default would make that rule always fire.
 * Absent fields are simply not rendered, so the agent's own default applies.
 */
export const NO_CRD_DEFAULT: ReadonlySet<ConfigKey> = new Set<ConfigKey>(['llmSystemPrompt']);

type JsonSchema = Record<string, unknown>;

function describe(key: string, field: Field): string {
  const unit = field.unit ? ` Unit: ${field.unit}.` : '';
  return `${field.doc}${unit} (agent env ${field.env}, schema key ${key})`;
}

/** OpenAPI v3 property for one schema field. Empty-string defaults mean "unset": no default. */
export function fieldProperty(key: ConfigKey, field: Field): JsonSchema {
  const description = describe(key, field);
  const withDefault = !NO_CRD_DEFAULT.has(key) && field.default !== '';
  const base: JsonSchema = { description };
  switch (field.kind) {
    case 'int':
      Object.assign(base, { type: 'integer', minimum: field.min, maximum: field.max });
      break;
    case 'number':
      Object.assign(base, { type: 'number', minimum: field.min, maximum: field.max });
      break;
    case 'bool':
      Object.assign(base, { type: 'boolean' });
      break;
    case 'enum':
      Object.assign(base, { type: 'string', enum: [...field.values] });
      break;
    case 'string':
      Object.assign(base, { type: 'string' });
      if (field.pattern !== undefined) base.pattern = field.pattern;
      if (field.maxLength !== undefined) base.maxLength = field.maxLength;
      break;
  }
  if (withDefault) base.default = field.default;
  return base;
}

/** Every schema field with a `cr` path, in schema order. */
export function crFields(): { key: ConfigKey; crPath: string; field: Field }[] {
  return (Object.entries(schema) as [ConfigKey, Field][])
    .filter(([, f]) => f.cr !== undefined)
    .map(([key, field]) => ({ key, crPath: field.cr as string, field }));
}

const obj = (
  description: string,
  properties: Record<string, JsonSchema>,
  extra: JsonSchema = {},
): JsonSchema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});

const secretKeyRef = (description: string, defaultKey: string): JsonSchema =>
  obj(
    description,
    {
      name: { type: 'string', description: 'Secret name (same namespace).', maxLength: 253, minLength: 1 },
      key: {
        type: 'string',
        description: 'Key in the Secret.',
        maxLength: 253,
        minLength: 1,
        default: defaultKey,
      },
    },
    { required: ['name'] },
  );

const quantityMap: JsonSchema = {
  type: 'object',
  additionalProperties: {
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern:
      '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  },
};

/** Structural fields that are not agent settings (or are rendered specially, like secret refs). */
function structuralSpec(): Record<string, JsonSchema> {
  return {
    image: { type: 'string', description: 'Agent container image.', minLength: 1, maxLength: 512 },
    imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'], default: 'IfNotPresent' },
    replicas: {
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      description: 'Fixed replica count. Exclusive with autoscaling; without either, 1.',
    },
    autoscaling: obj(
      'Scale on active calls per pod (hva_active_calls). Exclusive with replicas.',
      {
        minReplicas: { type: 'integer', minimum: 1, maximum: 1000, default: 1 },
        maxReplicas: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
        targetActiveCallsPerPod: {
          type: 'integer',
          minimum: 1,
          maximum: 5000,
          default: 50,
          description: 'Average active calls per pod the autoscaler aims for.',
        },
        provider: {
          type: 'string',
          enum: ['hpa', 'keda'],
          default: 'hpa',
          description:
            'hpa: HorizontalPodAutoscaler (needs a custom-metrics adapter); keda: KEDA ScaledObject.',
        },
        scaleDownWindowSeconds: {
          type: 'integer',
          minimum: 0,
          maximum: 3600,
          default: 1800,
          description:
            'Scale-down stabilisation window; long calls want a long one. Scale-down is also limited to 1 pod per 2 minutes.',
        },
        keda: obj('KEDA prometheus trigger settings.', {
          serverAddress: {
            type: 'string',
            pattern: '^https?://.+$',
            maxLength: 512,
            description: 'Prometheus URL KEDA queries.',
          },
        }),
      },
      {
        'x-kubernetes-validations': [
          {
            rule: 'self.minReplicas <= self.maxReplicas',
            message: 'autoscaling.minReplicas must be <= autoscaling.maxReplicas',
          },
          {
            rule: "self.provider != 'keda' || (has(self.keda) && has(self.keda.serverAddress))",
            message:
              'autoscaling.provider keda needs autoscaling.keda.serverAddress (the Prometheus URL KEDA queries)',
          },
        ],
      },
    ),
    regionAffinity: {
      type: 'string',
      enum: ['preferred', 'required'],
      default: 'preferred',
      description: 'Node affinity on topology.kubernetes.io/region = spec.region.',
    },
    serviceAccountName: {
      type: 'string',
      maxLength: 253,
      description:
        'Use this existing ServiceAccount for the pods (e.g. one already bound to a Google service account). Empty: the operator creates <name>-agent.',
    },
    service: obj('Service for Twilio webhooks and the media WebSocket.', {
      type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'], default: 'ClusterIP' },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 80 },
    }),
    podDisruptionBudget: obj('PodDisruptionBudget for voluntary evictions.', {
      enabled: { type: 'boolean', default: true },
      maxUnavailable: { type: 'integer', minimum: 0, maximum: 1000, default: 1 },
    }),
    resources: obj('Container resources (requests/limits). Default: requests 500m CPU, 512Mi memory.', {
      requests: quantityMap,
      limits: quantityMap,
    }),
    env: {
      type: 'array',
      maxItems: 100,
      description: 'Extra container env (appended after the generated env).',
      items: obj(
        'An env var.',
        {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          value: { type: 'string', maxLength: 32768 },
          valueFrom: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
        { required: ['name'] },
      ),
    },
  };
}

/** Extra properties merged into the generated sub-objects (secret refs and prompt source). */
function structuralNested(): Record<string, Record<string, JsonSchema>> {
  return {
    twilio: {
      authTokenSecretRef: secretKeyRef(
        'Secret holding the Twilio auth token (TWILIO_AUTH_TOKEN).',
        'authToken',
      ),
    },
    llm: {
      apiKeySecretRef: secretKeyRef(
        'Secret holding the OpenAI (or compatible) API key (OPENAI_API_KEY).',
        'apiKey',
      ),
      systemPromptFrom: obj(
        'Read the system prompt from a ConfigMap key. Exclusive with systemPrompt.',
        {
          configMapKeyRef: obj(
            'ConfigMap key.',
            {
              name: { type: 'string', minLength: 1, maxLength: 253 },
              key: { type: 'string', minLength: 1, maxLength: 253, default: 'systemPrompt' },
            },
            { required: ['name'] },
          ),
        },
        { required: ['configMapKeyRef'] },
      ),
    },
    google: {
      workloadIdentity: obj(
        'GKE Workload Identity (preferred, no key files): the generated ServiceAccount is annotated with this Google service account.',
        {
          gcpServiceAccount: {
            type: 'string',
            maxLength: 253,
            pattern: '^[a-z0-9-]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$',
            description: 'Google service account email (iam.gke.io/gcp-service-account).',
          },
        },
        { required: ['gcpServiceAccount'] },
      ),
      credentialsSecretRef: secretKeyRef(
        'Secret holding a Google service-account key file, mounted read-only and pointed to by GOOGLE_APPLICATION_CREDENTIALS.',
        'key.json',
      ),
    },
  };
}

const SUB_OBJECT_RULES: Record<string, JsonSchema[]> = {
  stt: [
    {
      rule: "!(self.apiVersion == 'v1' && (self.language == 'he-IL' || self.language == 'iw-IL') && (self.model.startsWith('phone_call') || self.model.startsWith('latest_')))",
      message:
        "Hebrew (he-IL) on Speech v1 supports only the 'default' and 'command_and_search' models; phone_call and latest_* are rejected by Google: use stt.model 'default', or stt.apiVersion v2 with stt.model chirp_3",
    },
    {
      rule: "!self.model.startsWith('chirp') || self.apiVersion == 'v2'",
      message: 'chirp models (chirp_3) need stt.apiVersion v2',
    },
    {
      rule: "self.apiVersion != 'v1' || !has(self.location) || self.location in ['global', 'eu', 'us']",
      message:
        'Speech v1 is served only from the global, eu and us endpoints: stt.location must be global, eu or us on v1',
    },
    {
      rule: "!(self.apiVersion == 'v2' && self.model == 'chirp_3') || !has(self.location) || self.location in ['eu', 'us']",
      message: 'chirp_3 is served from the eu and us multi-regions: stt.location must be eu or us',
    },
  ],
  llm: [
    {
      rule: '!(has(self.systemPrompt) && has(self.systemPromptFrom))',
      message: 'set llm.systemPrompt or llm.systemPromptFrom, not both',
    },
  ],
  google: [
    {
      rule: '!(has(self.workloadIdentity) && has(self.credentialsSecretRef))',
      message:
        'use google.workloadIdentity or google.credentialsSecretRef, not both (Workload Identity is preferred)',
    },
  ],
};

const SPEC_RULES: JsonSchema[] = [
  {
    rule: '!(has(self.replicas) && has(self.autoscaling))',
    message: 'set spec.replicas or spec.autoscaling, not both',
  },
  {
    rule: "!(has(self.stt) && self.stt.apiVersion == 'v2' && !has(self.stt.location) && self.region == 'europe-west1')",
    message:
      'Speech v2 has no europe-west1 location: set stt.location (eu, or a v2 region such as europe-west4) when region is europe-west1',
  },
  {
    rule: '!has(self.serviceAccountName) || !has(self.google) || !has(self.google.workloadIdentity)',
    message:
      'google.workloadIdentity annotates the generated ServiceAccount: do not combine it with serviceAccountName (annotate that one yourself)',
  },
];

/** The spec schema: generated config fields nested by their `cr` path, plus the structural fields. */
export function specSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = structuralSpec();
  for (const { key, crPath, field } of crFields()) {
    const parts = crPath.split('.');
    let node = properties;
    for (const part of parts.slice(0, -1)) {
      const child = (node[part] ??= { type: 'object', properties: {}, default: {} }) as JsonSchema;
      node = child.properties as Record<string, JsonSchema>;
    }
    node[parts.at(-1) as string] = fieldProperty(key, field);
  }
  for (const [name, extra] of Object.entries(structuralNested())) {
    const target = (properties[name] ??= { type: 'object', properties: {} }) as JsonSchema;
    Object.assign(target.properties as Record<string, JsonSchema>, extra);
  }
  for (const [name, rules] of Object.entries(SUB_OBJECT_RULES)) {
    (properties[name] as JsonSchema)['x-kubernetes-validations'] = rules;
  }
  return {
    type: 'object',
    description:
      'Desired state of a Hebrew voice agent deployment. Agent settings default to the agent config schema.',
    required: ['image'],
    properties,
    'x-kubernetes-validations': SPEC_RULES,
  };
}

function statusSchema(): JsonSchema {
  return obj('Observed state, written by the operator.', {
    observedGeneration: { type: 'integer', format: 'int64' },
    replicas: { type: 'integer', description: 'Pods of the Deployment (scale subresource).' },
    readyReplicas: { type: 'integer' },
    selector: { type: 'string', description: 'Pod label selector (scale subresource, for autoscalers).' },
    activeCalls: {
      type: 'integer',
      description: 'Sum of active calls reported by the pods (pod-deletion-cost).',
    },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: obj(
        'metav1.Condition',
        {
          type: {
            type: 'string',
            maxLength: 316,
            pattern:
              '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
          },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          reason: {
            type: 'string',
            minLength: 1,
            maxLength: 1024,
            pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
          },
          message: { type: 'string', maxLength: 32768 },
        },
        { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
      ),
    },
  });
}

export function buildCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'hebrew-voice-agent' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: 'voiceagent',
        shortNames: ['va'],
        categories: ['all'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
            { name: 'Active calls', type: 'integer', jsonPath: '.status.activeCalls' },
            { name: 'Region', type: 'string', jsonPath: '.spec.region' },
            { name: 'STT model', type: 'string', jsonPath: '.spec.stt.model' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A Hebrew real-time phone agent (Twilio Media Streams -> Google STT -> LLM -> Google TTS).',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema(),
                status: statusSchema(),
              },
            },
          },
        },
      ],
    },
  };
}

export function renderCrdYaml(): string {
  return `# GENERATED by scripts/gen-crd.ts from agent/src/config/schema.ts: do not edit by hand.\n${stringify(buildCrd(), { lineWidth: 0 })}`;
}

/** TypeScript module with the CR path -> env table the operator renders env from (prettier-formatted). */
export async function renderFieldsTs(): Promise<string> {
  const rows = crFields().map(({ key, crPath, field }) => ({
    key,
    crPath,
    env: field.env,
    kind: field.kind,
  }));
  const envByKey = Object.fromEntries(
    (Object.entries(schema) as [ConfigKey, Field][]).map(([k, f]) => [k, f.env]),
  );
  const source = [
    '// GENERATED by scripts/gen-crd.ts from agent/src/config/schema.ts: do not edit by hand.',
    '// The one mapping from VoiceAgent spec paths to the agent env names.',
    '',
    "export type FieldKind = 'int' | 'number' | 'bool' | 'string' | 'enum';",
    'export interface CrField {',
    '  readonly key: string;',
    '  readonly crPath: string;',
    '  readonly env: string;',
    '  readonly kind: FieldKind;',
    '}',
    '',
    `export const CR_FIELDS: readonly CrField[] = ${JSON.stringify(rows, null, 2)};`,
    '',
    '/** Env name of every agent setting, by schema key (secret and platform fields included). */',
    `export const AGENT_ENV = ${JSON.stringify(envByKey, null, 2)} as const;`,
    '',
  ].join('\n');
  const options = (await resolveConfig(FIELDS_TS_PATH)) ?? {};
  return format(source, { ...options, filepath: FIELDS_TS_PATH });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const outputs: [string, string][] = [
    [CRD_PATH, renderCrdYaml()],
    [FIELDS_TS_PATH, await renderFieldsTs()],
  ];
  let drift = false;
  for (const [path, content] of outputs) {
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // missing counts as drift
      }
      if (current !== content) {
        console.error(`${path} is out of date: run npx node scripts/gen-crd.ts`);
        drift = true;
      }
    } else {
      writeFileSync(path, content);
      console.log(`wrote ${path}`);
    }
  }
  if (drift) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
