import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import { endCallDefinition, transferDefinition } from '../../../src/tools/builtins.ts';
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

  it('compiles a schema once per process: a runner built per call adds no code to the heap', () => {
    // Ajv keeps every schema object it compiled; a fresh copy per call was a leak (issue 13 soak).
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    try {
      for (let call = 0; call < 3; call++) {
        compileArgumentCheck('end_call', endCallDefinition().parameters);
        compileArgumentCheck(
          'transfer_call',
          transferDefinition([{ name: 'desk', description: 'front desk', number: '+972500000000' }])
            .parameters,
        );
      }
      expect(compile).toHaveBeenCalledTimes(2);
      // a different schema is compiled on its own
      compileArgumentCheck(
        'transfer_call',
        transferDefinition([{ name: 'lab', description: 'lab', number: '+972500000001' }]).parameters,
      );
      expect(compile).toHaveBeenCalledTimes(3);
    } finally {
      compile.mockRestore();
    }
  });
});
