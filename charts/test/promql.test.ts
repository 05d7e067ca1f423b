// Every query the chart ships, evaluated by Prometheus' own PromQL engine (test-env/promql)
// over sample series shaped like the agent's and operator's metrics: each Grafana panel, the
// prometheus-adapter rule (seriesQuery and the metricsQuery as the adapter expands it) and the
// KEDA trigger the operator renders. A query that cannot run (say `sum by (__name__)` over
// rate() of two counters, whose results share a label set) fails here, not on a dashboard.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluatePromql, type PromqlCases } from '../../test-env/promql.ts';
import { kedaQuery } from '../../operator/src/render/index.ts';
import { kedaSpec, voiceAgent } from '../../operator/test/fixtures/voiceagents.ts';
import { find, repoRoot, template } from './helm.ts';

const NS = 'calls';
const INSTANCE = 'agent-a';
const PODS = [`${INSTANCE}-7d9f8b6c5-x2x9q`, `${INSTANCE}-7d9f8b6c5-k4l8m`];

function sourceText(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) text += sourceText(path);
    else if (entry.endsWith('.ts')) text += readFileSync(path, 'utf8');
  }
  return text;
}

/** Sample series for every metric the queries name, shaped as prom-client exports them. */
function sampleSeries(names: Set<string>): string {
  const lines: string[] = [];
  const podLabels = (pod: string) =>
    `namespace="${NS}",pod="${pod}",app="hebrew-voice-agent",app_kubernetes_io_name="hebrew-voice-agent",app_kubernetes_io_instance="${INSTANCE}"`;
  for (const name of names) {
    if (name.startsWith('hva_operator_')) {
      lines.push(`${name}{app="hva-operator",namespace="hva-system",pod="op-1",kind="apply"} 0+1x40`);
      continue;
    }
    for (const pod of PODS) {
      const l = podLabels(pod);
      if (name.endsWith('_bucket')) {
        const base = name.slice(0, -'_bucket'.length);
        for (const stage of ['llm', 'total'])
          for (const [i, le] of ['0.25', '0.5', '1', '+Inf'].entries())
            lines.push(`${name}{${l},stage="${stage}",le="${le}"} 0+${i + 1}x40`);
        lines.push(`${base}_sum{${l},stage="llm"} 0+2x40`, `${base}_count{${l},stage="llm"} 0+4x40`);
      } else if (name.endsWith('_total')) lines.push(`${name}{${l},reason="max_calls"} 0+3x40`);
      else lines.push(`${name}{${l}} 7+0x40`);
    }
  }
  return `load 30s\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

describe('shipped PromQL, evaluated by the Prometheus engine', () => {
  it('every dashboard panel, the adapter rule and the KEDA query run and return series', async () => {
    const objs = await template('hva', 'hva-system', [
      '--set',
      'grafana.dashboard.enabled=true',
      '--set',
      'prometheusAdapter.rules.enabled=true',
    ]);
    const dashboardCm = find(objs, 'ConfigMap', 'hva-hebrew-voice-agent-operator-dashboard') as unknown as {
      data: Record<string, string>;
    };
    const dashboard = JSON.parse(Object.values(dashboardCm.data)[0]!) as {
      panels: { title: string; targets?: { refId: string; expr: string }[] }[];
    };
    const queries: PromqlCases['queries'] = [];
    for (const panel of dashboard.panels)
      for (const t of panel.targets ?? [])
        queries.push({
          name: `panel ${panel.title} ${t.refId}`,
          // What Grafana sends for one selected namespace.
          expr: t.expr.replaceAll('$namespace', NS),
          wantSeries: true,
        });
    const adapterCm = find(objs, 'ConfigMap', 'hva-hebrew-voice-agent-operator-adapter-rules') as unknown as {
      data: Record<string, string>;
    };
    expect(Object.keys(adapterCm.data)).toEqual(['config.yaml']);
    const { rules } = parse(adapterCm.data['config.yaml']!) as {
      rules: { seriesQuery: string; metricsQuery: string }[];
    };
    for (const [i, rule] of rules.entries()) {
      queries.push({ name: `adapter rule ${i} seriesQuery`, expr: rule.seriesQuery, wantSeries: true });
      // As prometheus-adapter expands it for `kubectl get --raw .../namespaces/calls/pods/*/hva_active_calls`.
      queries.push({
        name: `adapter rule ${i} metricsQuery`,
        expr: rule.metricsQuery
          .replaceAll('<<.Series>>', 'hva_active_calls')
          .replaceAll('<<.LabelMatchers>>', `namespace="${NS}",pod=~"${PODS.join('|')}"`)
          .replaceAll('<<.GroupBy>>', 'pod'),
        wantSeries: true,
      });
    }
    queries.push({ name: 'KEDA trigger', expr: kedaQuery(voiceAgent(INSTANCE, kedaSpec)), wantSeries: true });
    expect(queries.length).toBeGreaterThan(15);

    // Every metric a query names exists in the agent's or the operator's code.
    const code = sourceText(join(repoRoot, 'agent', 'src')) + sourceText(join(repoRoot, 'operator', 'src'));
    const names = new Set(queries.flatMap((q) => q.expr.match(/hva_[a-z_]+/g) ?? []));
    for (const name of names) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(
        code.includes(`'${base}'`) || code.includes(`'${name}'`),
        `metric ${name} is not defined in the code`,
      ).toBe(true);
    }

    const cases: PromqlCases = { load: sampleSeries(names), end: 1200, queries };
    const result = await evaluatePromql(cases);
    expect(result.code, result.output).toBe(0);
    expect(result.output.match(/--- PASS: TestQueries\//g)?.length).toBe(queries.length);
  }, 900_000);
});
