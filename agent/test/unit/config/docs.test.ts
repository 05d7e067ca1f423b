import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc, renderReadme } from '../../../../scripts/gen-config-docs.ts';

// The configuration reference is generated from the schema; this fails when someone changes
// the schema without regenerating (npx node scripts/gen-config-docs.ts).
describe('generated configuration docs', () => {
  it('README.md table matches the schema', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });
  it('docs/configuration.md matches the schema', () => {
    expect(readFileSync('docs/configuration.md', 'utf8')).toBe(renderConfigDoc());
  });
});
