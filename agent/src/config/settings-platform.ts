// Settings of traces, the service name and the pod (downward API, deletion cost). Part of the one
// schema (schema.ts).
import { bool, str, type Field } from './field.ts';

export const platformFields = {
  otlpEndpoint: str({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '',
    pattern: '^https?://.+$',
    allowed: 'an http:// or https:// URL (e.g. http://jaeger:4318)',
    maxLength: 2048,
    cr: 'otlpEndpoint',
    doc: 'OTLP/HTTP endpoint for traces (e.g. http://jaeger:4318). Empty: tracing off.',
  }),
  traceUiUrl: str({
    env: 'TRACE_UI_URL',
    default: 'http://localhost:16686/trace/{traceId}',
    pattern: '^(https?://.*\\{traceId\\}.*)?$',
    allowed: 'an http:// or https:// URL containing {traceId}, or empty',
    maxLength: 2048,
    cr: 'traceUiUrl',
    doc: 'Link to one trace in the tracing UI ({traceId} is replaced); the playground links each turn to it when tracing is on. Default: Jaeger on localhost (kubectl port-forward). Empty: no link.',
  }),
  serviceName: str({
    env: 'OTEL_SERVICE_NAME',
    default: 'hebrew-voice-agent',
    doc: 'Service name on spans.',
  }),
  podName: str({
    env: 'POD_NAME',
    default: '',
    doc: 'Own pod name (downward API), for the deletion-cost annotation.',
  }),
  podNamespace: str({ env: 'POD_NAMESPACE', default: '', doc: 'Own pod namespace (downward API).' }),
  podDeletionCost: bool({
    env: 'POD_DELETION_COST_ENABLED',
    default: true,
    doc: 'Keep controller.kubernetes.io/pod-deletion-cost at the active call count (in-cluster only, best effort).',
  }),
} as const satisfies Record<string, Field>;
