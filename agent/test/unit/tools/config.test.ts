import { describe, expect, it } from 'vitest';
import { loadToolConfig, ToolConfigError } from '../../../src/tools/config.ts';

const tool = {
  name: 'book',
  description: 'Book a slot',
  parameters: { type: 'object', properties: { slot: { type: 'string' } } },
  url: 'https://backend.example/book',
  secretEnv: 'BOOK_SECRET',
};
const none = { toolsJson: '', toolsFile: '', transferTargetsJson: '' };

describe('loadToolConfig', () => {
  it('reads tools from TOOLS_JSON and TOOLS_FILE, the secret from the env the entry names', () => {
    const cfg = loadToolConfig(
      { ...none, toolsJson: JSON.stringify([tool]), toolsFile: '/etc/tools.json' },
      { BOOK_SECRET: 'k1' },
      () =>
        JSON.stringify([
          { name: 'lookup', description: 'Find an order', url: 'http://orders:8080/x', timeoutMs: 500 },
        ]),
    );
    expect(cfg.tools.map((t) => [t.spec.name, t.spec.secret, t.spec.timeoutMs])).toEqual([
      ['book', 'k1', 3000],
      ['lookup', '', 500],
    ]);
  });

  it('reports every problem at once, naming the entry', () => {
    const bad = [
      { ...tool, name: 'end_call' },
      { ...tool, name: 'book' },
      { ...tool, name: 'book', secretEnv: 'MISSING' },
      { name: 'x y', description: 'd', url: 'ftp://nope' },
      { ...tool, name: 'schema', parameters: { type: 'objekt' } },
    ];
    let error: ToolConfigError | undefined;
    try {
      loadToolConfig(
        {
          toolsJson: JSON.stringify(bad),
          toolsFile: '',
          transferTargetsJson: JSON.stringify([
            { name: 'both', description: 'd', number: '+97231234567', sip: 'sip:a@b.c' },
            { name: 'badnum', description: 'd', number: '031234567' },
          ]),
        },
        { BOOK_SECRET: 'k' },
      );
    } catch (e) {
      error = e as ToolConfigError;
    }
    expect(error).toBeInstanceOf(ToolConfigError);
    const text = error!.problems.join('\n');
    expect(text).toContain("TOOLS_JSON[0]: end_call is a built-in action's name");
    expect(text).toContain('TOOLS_JSON[2]: a second tool named book');
    expect(text).toContain('TOOLS_JSON[2]: its secretEnv MISSING is not set');
    expect(text).toContain('TOOLS_JSON[3].name: must match pattern');
    expect(text).toContain('TOOLS_JSON[3].url: must match pattern');
    expect(text).toContain('TOOLS_JSON[4]: tool schema: parameters is not a valid JSON Schema');
    expect(text).toContain('TRANSFER_TARGETS_JSON[0]: set exactly one of number');
    expect(text).toContain('TRANSFER_TARGETS_JSON[1].number: must match pattern');
  });

  it('malformed JSON is a clear error, not a crash', () => {
    expect(() => loadToolConfig({ ...none, toolsJson: '[{' }, {})).toThrow(/TOOLS_JSON: not valid JSON/);
    expect(() => loadToolConfig({ ...none, transferTargetsJson: '{}' }, {})).toThrow(/must be a JSON array/);
  });
});
