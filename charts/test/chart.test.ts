// The chart with the real helm binary: lint, render (default and full values), schema
// rejections, the CRD copy, and the properties the operator and SREs rely on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AGENT_CLUSTER_ROLE_RULES, OPERATOR_CLUSTER_ROLE_RULES } from '../../operator/src/rbac.ts';
import { chartDir, find, fullValues, helm, helmOk, repoRoot, template, type K8sObject } from './helm.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rulesOf = (o: K8sObject): Rule[] => (o as unknown as { rules: Rule[] }).rules;
const allows = (rules: Rule[], group: string, resource: string, verb: string): boolean =>
  rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      !r.resourceNames,
  );

describe('helm chart', () => {
  it('passes helm lint --strict with default and full values', async () => {
    await helmOk(['lint', '--strict', chartDir]);
    await helmOk(['lint', '--strict', chartDir, '-f', fullValues]);
  });

  it('renders the defaults: CRD (kept), operator, least-privilege RBAC, no optional extras', async () => {
    const objs = await template('hva', 'hva-system');
    expect(objs.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const crd = find(objs, 'CustomResourceDefinition');
    expect(crd.metadata.name).toBe('voiceagents.voice.hva.dev');
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');

    const deploy = find(objs, 'Deployment') as unknown as {
      metadata: { name: string; namespace: string };
      spec: { template: { spec: Record<string, any> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    expect(deploy.metadata.namespace).toBe('hva-system');
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/hebrew-voice-agent/hebrew-voice-agent-operator:0.1.0');
    expect(c.args).toEqual(['dist/main.js']);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(pod.serviceAccountName).toBe('hva-hebrew-voice-agent-operator');

    // Exactly the operator's own rule list, with Leases moved to a namespaced, name-scoped Role.
    const cluster = rulesOf(find(objs, 'ClusterRole', 'hva-hebrew-voice-agent-operator'));
    // Agents: patch pods and nothing else, bound per namespace; the operator may only bind it.
    expect(rulesOf(find(objs, 'ClusterRole', 'hva-hebrew-voice-agent-operator-agent'))).toEqual(
      AGENT_CLUSTER_ROLE_RULES,
    );
    expect(cluster).toContainEqual({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      resourceNames: ['hva-hebrew-voice-agent-operator-agent'],
      verbs: ['bind'],
    });
    expect(allows(cluster, '', 'pods', 'patch')).toBe(false);
    const wanted = OPERATOR_CLUSTER_ROLE_RULES.filter((r) => !r.resources?.includes('leases'));
    const norm = (rules: Rule[]) =>
      rules
        .map((r) => JSON.stringify([[...r.apiGroups].sort(), [...r.resources].sort(), [...r.verbs].sort()]))
        .sort();
    expect(norm(cluster)).toEqual(norm(wanted as Rule[]));
    expect(allows(cluster, 'voice.hva.dev', 'voiceagents/status', 'patch')).toBe(true);
    expect(allows(cluster, 'voice.hva.dev', 'voiceagents', 'update')).toBe(false);
    // Least privilege: no wildcards, no listing Secrets, no cluster-wide Leases.
    expect(JSON.stringify(cluster)).not.toContain('"*"');
    // Secrets: get by name only (to report a missing one), never list or watch.
    expect(allows(cluster, '', 'secrets', 'list')).toBe(false);
    expect(allows(cluster, '', 'secrets', 'watch')).toBe(false);
    expect(allows(cluster, 'coordination.k8s.io', 'leases', 'get')).toBe(false);
    const lease = rulesOf(find(objs, 'Role'));
    expect(lease).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['hva-operator-leader'],
        verbs: ['get', 'update'],
      },
    ]);
    const leaseVerbs = OPERATOR_CLUSTER_ROLE_RULES.find((r) => r.resources?.includes('leases'))!.verbs;
    expect([...leaseVerbs].sort()).toEqual(['create', 'get', 'update']);
    const env = (pod.containers[0].env as { name: string; value?: string }[]).map((e) => e.name);
    expect(env).toEqual(
      expect.arrayContaining([
        'PROBE_PORT',
        'RESYNC_SECONDS',
        'WORKERS',
        'LEASE_NAME',
        'AGENT_CLUSTER_ROLE',
        'POD_NAME',
        'POD_NAMESPACE',
      ]),
    );
  });

  it('renders every optional object with full values', async () => {
    const objs = await template('voice', 'platform', ['-f', fullValues]);
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'ServiceMonitor/voice-hebrew-voice-agent-operator',
        'PodMonitor/voice-hebrew-voice-agent-operator-agents',
        'ConfigMap/voice-hebrew-voice-agent-operator-adapter-rules',
        'ConfigMap/voice-hebrew-voice-agent-operator-dashboard',
        'ServiceAccount/hva-operator',
      ]),
    );
    // Agents are scraped on their admin port, which their Service (Twilio's way in) never exposes.
    const podMonitor = find(objs, 'PodMonitor', 'voice-hebrew-voice-agent-operator-agents') as unknown as {
      spec: { podMetricsEndpoints: { port: string; path: string }[] };
    };
    expect(podMonitor.spec.podMetricsEndpoints).toEqual([
      expect.objectContaining({ port: 'admin', path: '/metrics' }),
    ]);
    const deploy = find(objs, 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: { spec: { containers: { image: string; env: unknown[] }[] } };
      };
    };
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.template.spec.containers[0]?.image).toBe(
      'registry.example.com/voice/hebrew-voice-agent-operator:0.1.0-rc.1',
    );
    expect(deploy.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'EXTRA_FLAG', value: '1' });
    const adapter = find(objs, 'ConfigMap', 'voice-hebrew-voice-agent-operator-adapter-rules') as unknown as {
      data: Record<string, string>;
    };
    expect(adapter.data['config.yaml']).toContain('seriesQuery: \'hva_active_calls{namespace!="",pod!=""}\'');
    const dashboard = find(objs, 'ConfigMap', 'voice-hebrew-voice-agent-operator-dashboard') as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    const json = JSON.parse(dashboard.data['hebrew-voice-agent.json']!) as {
      panels: { targets: { expr: string }[] }[];
    };
    expect(json.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n')).toContain('hva_active_calls');
  });

  it('can leave the CRD to a platform pipeline and allows uninstalling it with the release', async () => {
    expect(
      (await template('hva', 'x', ['--set', 'crds.install=false'])).some(
        (o) => o.kind === 'CustomResourceDefinition',
      ),
    ).toBe(false);
    const crd = find(await template('hva', 'x', ['--set', 'crds.keep=false']), 'CustomResourceDefinition');
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
  });

  it.each([
    [['--set', 'replicaCount=0'], 'replicaCount'],
    [['--set', 'image.pullPolicy=Sometimes'], 'pullPolicy'],
    [['--set', 'operator.logLevel=loud'], 'logLevel'],
    [['--set', 'operator.port=80'], 'port'],
    [['--set', 'operator.workers=0'], 'workers'],
    [['--set', 'unknownKey=1'], 'unknownKey'],
    [['--set', 'operator.leaseName='], 'leaseName'],
    [['--set', 'metrics.serviceMonitor.interval=often'], 'interval'],
    [['--set', 'image.digest=sha256:nothex'], 'digest'],
    [['--set', 'resources.requests.cpu=lots'], 'cpu'],
    [['--set', 'crds.install=maybe'], 'install'],
  ])('the schema rejects %j', async (args, field) => {
    const r = await helm(['template', 'hva', chartDir, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toContain(field);
  });

  it('ships the same CRD as crds/voiceagents.voice.hva.dev.yaml', () => {
    // Compared as data: prettier may format the chart's copy differently from the generated file.
    const source = parse(
      readFileSync(join(repoRoot, 'crds', 'voiceagents.voice.hva.dev.yaml'), 'utf8'),
    ) as unknown;
    const copy = parse(
      readFileSync(join(chartDir, 'files', 'voiceagents.voice.hva.dev.yaml'), 'utf8'),
    ) as unknown;
    expect(copy, 'run: cp crds/voiceagents.voice.hva.dev.yaml charts/hebrew-voice-agent/files/').toEqual(
      source,
    );
  });
});
