// Tool arguments checked against the tool's JSON Schema before anything is called, with errors
// worded for the model to fix its call (it gets them as the tool result). Ajv, compiled once per
// schema and process: a schema Ajv cannot compile is a configuration error, reported at boot.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false });
/**
 * Compiled validators by the schema's JSON. Every call builds its tool runner (the built-ins'
 * schemas included), and Ajv keeps every schema object it compiled: compiling a fresh copy per
 * call grew the heap by about 5 KB of generated code per call (the 60-minute soak, issue 13).
 * The schemas come from the configuration, so this holds a fixed handful.
 */
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schema: Readonly<Record<string, unknown>>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile({ ...schema });
    compiled.set(key, validate);
  }
  return validate;
}

export type ArgumentCheck = (raw: string) => { ok: true; value: unknown } | { ok: false; message: string };

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'arguments' : `arguments${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'required')
    return `${where}: missing required property "${String(e.params['missingProperty'])}"`;
  if (e.keyword === 'additionalProperties')
    return `${where}: unexpected property "${String(e.params['additionalProperty'])}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${JSON.stringify(e.params['allowedValues'])}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Compiles the schema; throws with Ajv's reason when it is not a valid JSON Schema. */
export function compileArgumentCheck(
  toolName: string,
  schema: Readonly<Record<string, unknown>>,
): ArgumentCheck {
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (e) {
    throw new Error(`tool ${toolName}: parameters is not a valid JSON Schema: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return (raw) => {
    let value: unknown;
    try {
      value = JSON.parse(raw === '' ? '{}' : raw);
    } catch {
      return { ok: false, message: `the arguments are not valid JSON: ${raw.slice(0, 200)}` };
    }
    if (validate(value)) return { ok: true, value };
    const errors = (validate.errors ?? []).map(describe);
    return { ok: false, message: `invalid arguments for ${toolName}: ${errors.join('; ')}` };
  };
}
