// Parses the environment against the schema. Pure: takes an env record, returns a typed
// config or a ConfigError naming every bad variable with its allowed range.
import { schema, type Config, type ConfigKey, type Field } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Human description of what a field accepts, used in error messages and docs. */
export function allowedRange(field: Field): string {
  const unit = field.unit ? ` ${field.unit}` : '';
  switch (field.kind) {
    case 'int':
      return `an integer from ${field.min} to ${field.max}${unit}`;
    case 'number':
      return `a number from ${field.min} to ${field.max}${unit}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${field.values.join(', ')}`;
    case 'string': {
      const parts = [field.allowed ?? (field.pattern ? `a string matching ${field.pattern}` : 'a string')];
      if (field.maxLength !== undefined) parts.push(`at most ${field.maxLength} characters`);
      return parts.join(', ');
    }
  }
}

/**
 * Characters as Kubernetes counts a CRD maxLength: Unicode code points, so a limit means the
 * same at admission and at boot (UTF-16 units would count an emoji twice; bytes, Hebrew twice).
 */
export function characterCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

type ParseResult = { ok: true; value: unknown } | { ok: false };

export function parseValue(field: Field, raw: string): ParseResult {
  const text = raw.trim();
  switch (field.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) return { ok: false };
      const n = Number(text);
      return n >= field.min && n <= field.max ? { ok: true, value: n } : { ok: false };
    }
    case 'number': {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { ok: false };
      const n = Number(text);
      return n >= field.min && n <= field.max ? { ok: true, value: n } : { ok: false };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return { ok: true, value: true };
      if (['false', '0', 'no', 'off'].includes(lower)) return { ok: true, value: false };
      return { ok: false };
    }
    case 'enum':
      return field.values.includes(text) ? { ok: true, value: text } : { ok: false };
    case 'string': {
      // Strings keep their raw value (prompts may have meaningful whitespace); patterns check the trimmed text.
      if (field.maxLength !== undefined && characterCount(raw) > field.maxLength) return { ok: false };
      if (field.pattern && raw !== '' && !new RegExp(field.pattern).test(text)) return { ok: false };
      return { ok: true, value: field.pattern ? text : raw };
    }
  }
}

/** Builds the effective config from an environment; throws ConfigError listing every invalid variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(schema) as [ConfigKey, Field][]) {
    const raw = env[field.env];
    if (raw === undefined || (raw === '' && field.kind !== 'string')) {
      out[key] = field.default;
      continue;
    }
    const parsed = parseValue(field, raw);
    if (parsed.ok) out[key] = parsed.value;
    else
      problems.push(
        `${field.env}=${JSON.stringify(truncate(raw))} is invalid: expected ${allowedRange(field)}`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** Defaults only: what loadConfig({}) returns. Tests start from this and override. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}

/** The effective config keyed by env name with secrets masked, for the boot log. */
export function describeConfig(config: Config): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, field] of Object.entries(schema) as [ConfigKey, Field][]) {
    const value = config[key];
    out[field.env] = field.secret ? maskSecret(String(value)) : value;
  }
  return out;
}

export function maskSecret(value: string): string {
  if (value === '') return '(unset)';
  return value.length <= 8 ? '****' : `****${value.slice(-4)}`;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
