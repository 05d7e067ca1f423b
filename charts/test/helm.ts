// Helpers for the chart tests: the real helm binary (built and cached by test-env) and YAML
// stream parsing of what it renders.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ensureTool } from '../../test-env/tools.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chartDir = join(repoRoot, 'charts', 'hebrew-voice-agent');
export const fullValues = join(repoRoot, 'charts', 'test', 'values-full.yaml');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with an isolated config/cache/data home, so tests never touch the user's helm state. */
export function helm(args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const bin = ensureTool('helm');
  const home = join(repoRoot, 'node_modules', '.cache', 'hva-helm-home');
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          HELM_CONFIG_HOME: join(home, 'config'),
          HELM_CACHE_HOME: join(home, 'cache'),
          HELM_DATA_HOME: join(home, 'data'),
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function helmOk(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await helm(args, env);
  if (r.code !== 0)
    throw new Error(`helm ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return r.stdout;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`invalid YAML from helm: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export async function template(
  release: string,
  namespace: string,
  extraArgs: string[] = [],
): Promise<K8sObject[]> {
  return parseManifests(
    await helmOk(['template', release, chartDir, '--namespace', namespace, ...extraArgs]),
  );
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ''} in [${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}]`,
    );
  return hit;
}
