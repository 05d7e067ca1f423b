// Starts a real Jaeger v2 (built by build-jaeger.sh, cached by version) on loopback for
// integration tests: OTLP/HTTP receiver + query HTTP API, in-memory storage, every port free.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTool } from './tools.ts';
import { freePort } from './net.ts';

/** One span as Jaeger's query API (/api/traces) returns it; times in microseconds. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  logs: { timestamp: number; fields: { key: string; value: unknown }[] }[];
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export interface JaegerInstance {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  readonly otlpHttpEndpoint: string;
  /** Base URL of the query API (e.g. `${queryUrl}/api/traces?service=x`). */
  readonly queryUrl: string;
  /** Traces of a service (newest first, as Jaeger returns them). */
  traces(service: string): Promise<JaegerTrace[]>;
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  /** Polls until `predicate` holds for the service's traces, or throws after timeoutMs. */
  waitForTraces(
    service: string,
    predicate: (t: JaegerTrace[]) => boolean,
    timeoutMs?: number,
  ): Promise<JaegerTrace[]>;
  /** Jaeger's stdout/stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function configYaml(p: { otlpHttp: number; queryHttp: number; queryGrpc: number; health: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${p.health}
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${p.queryHttp}
    grpc:
      endpoint: 127.0.0.1:${p.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlpHttp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Builds (first time only, minutes) and starts Jaeger; resolves when the query API answers. */
export async function startJaeger(): Promise<JaegerInstance> {
  const bin = ensureTool('jaeger');
  const ports = {
    otlpHttp: await freePort(),
    queryHttp: await freePort(),
    queryGrpc: await freePort(),
    health: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'hva-jaeger-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, configYaml(ports));

  let out = '';
  const child: ChildProcess = spawn(bin, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const queryUrl = `http://127.0.0.1:${ports.queryHttp}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`jaeger exited with ${child.exitCode} before it was ready:\n${out}`);
    }
    try {
      await getJson(`${queryUrl}/api/services`);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`jaeger not ready after 30 s:\n${out}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const traces = async (service: string): Promise<JaegerTrace[]> => {
    const body = (await getJson(
      `${queryUrl}/api/traces?service=${encodeURIComponent(service)}&limit=100`,
    )) as {
      data: JaegerTrace[] | null;
    };
    return body.data ?? [];
  };

  return {
    otlpHttpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`,
    queryUrl,
    traces,
    async trace(traceId) {
      const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET trace ${traceId}: ${res.status}`);
      const body = (await res.json()) as { data: JaegerTrace[] | null };
      return body.data?.[0];
    },
    async waitForTraces(service, predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      let last: JaegerTrace[] = [];
      for (;;) {
        try {
          last = await traces(service);
          if (predicate(last)) return last;
        } catch {
          // the service is unknown until its first span lands; keep polling
        }
        if (Date.now() > until) {
          throw new Error(
            `traces for ${service} did not match within ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 2000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    output: () => out,
    stop,
  };
}
