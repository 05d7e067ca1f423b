import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { schema, type ConfigKey, type Field } from '../../../agent/src/config/schema.ts';
import {
  CLUSTER_ROLE_PATH,
  CRD_PATH,
  FIELDS_TS_PATH,
  NO_CRD_DEFAULT,
  crFields,
  renderClusterRoleYaml,
  renderCrdYaml,
  renderFieldsTs,
} from '../../../scripts/gen-crd.ts';
import { CR_FIELDS } from '../../src/render/fields.generated.ts';

type Prop = Record<string, unknown> & { properties?: Record<string, Prop> };
const committed = parse(readFileSync(CRD_PATH, 'utf8'));
const version = committed.spec.versions[0];
const spec: Prop = version.schema.openAPIV3Schema.properties.spec;

function propAt(path: string): Prop | undefined {
  let node: Prop | undefined = spec;
  for (const part of path.split('.')) node = node?.properties?.[part];
  return node;
}

describe('committed CRD and env table', () => {
  it('equal the generator output (run `npx node scripts/gen-crd.ts` after editing schema.ts)', async () => {
    expect(readFileSync(CRD_PATH, 'utf8')).toBe(renderCrdYaml());
    expect(readFileSync(FIELDS_TS_PATH, 'utf8')).toBe(await renderFieldsTs());
    expect(readFileSync(CLUSTER_ROLE_PATH, 'utf8')).toBe(await renderClusterRoleYaml());
  });

  it('every schema field with a cr path is a spec property with the schema default and bounds', () => {
    const fields = crFields();
    expect(fields.length).toBeGreaterThan(30);
    for (const { key, crPath, field } of fields) {
      const prop = propAt(crPath);
      expect(prop, crPath).toBeDefined();
      if (NO_CRD_DEFAULT.has(key) || field.default === '') expect(prop?.default, crPath).toBeUndefined();
      else expect(prop?.default, crPath).toEqual(field.default);
      if (field.kind === 'int' || field.kind === 'number') {
        expect([prop?.minimum, prop?.maximum], crPath).toEqual([field.min, field.max]);
      }
      if (field.kind === 'enum') expect(prop?.enum, crPath).toEqual(field.values);
      if (field.kind === 'string' && field.pattern) {
        // A CEL rule instead of a bare pattern, so the rejection says what is allowed.
        const [rule] = prop?.['x-kubernetes-validations'] as { rule: string; message: string }[];
        // The pattern as a CEL string literal: backslashes escaped.
        const celPattern = field.pattern.replace(/\\/g, '\\\\');
        expect(rule?.rule, crPath).toContain(`self.matches('${celPattern}')`);
        expect(rule?.message, crPath).toBe(`must be ${field.allowed}`);
        expect(prop?.maxLength, crPath).toBe(field.maxLength);
      }
    }
  });

  it('the operator env table names exactly the schema env for each cr path', () => {
    const expected = (Object.entries(schema) as [ConfigKey, Field][])
      .filter(([, f]) => f.cr)
      .map(([key, f]) => ({ key, crPath: f.cr, env: f.env, kind: f.kind }));
    expect(CR_FIELDS).toEqual(expected);
  });

  it('has status and scale subresources and the printer columns', () => {
    expect(version.subresources.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
    expect(version.subresources.status).toEqual({});
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual([
      'Ready',
      'Replicas',
      'Active calls',
      'Region',
      'STT model',
      'Age',
    ]);
    const conditions = version.schema.openAPIV3Schema.properties.status.properties.conditions;
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
  });
});
