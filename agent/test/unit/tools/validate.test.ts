import { describe, expect, it } from 'vitest';
import { compileArgumentCheck } from '../../../src/tools/validate.ts';

const schema = {
  type: 'object',
  properties: {
    date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    people: { type: 'integer', minimum: 1, maximum: 8 },
    kind: { type: 'string', enum: ['haircut', 'color'] },
  },
  required: ['date'],
  additionalProperties: false,
};

describe('tool arguments against the JSON Schema', () => {
  const check = compileArgumentCheck('book', schema);

  it('accepts valid arguments and gives the parsed value', () => {
    expect(check('{"date":"2026-12-02","people":2}')).toEqual({
      ok: true,
      value: { date: '2026-12-02', people: 2 },
    });
  });

  it('names every problem for the model to fix its call', () => {
    const r = check('{"people":9,"kind":"shave","extra":1}');
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.message;
    expect(message).toContain('invalid arguments for book');
    expect(message).toContain('missing required property "date"');
    expect(message).toContain('unexpected property "extra"');
    expect(message).toContain('arguments.people: must be <= 8');
    expect(message).toContain('arguments.kind: must be one of ["haircut","color"]');
  });

  it('says when the arguments are not JSON at all', () => {
    const r = check('{"date": 2026-12');
    expect(r.ok ? '' : r.message).toMatch(/not valid JSON/);
  });

  it('a schema that is not JSON Schema is refused when compiled (boot), naming the tool', () => {
    expect(() => compileArgumentCheck('broken', { type: 'objekt' })).toThrow(
      /tool broken: parameters is not a valid JSON Schema/,
    );
  });
});
