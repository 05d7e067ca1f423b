// Tools and transfer targets from config: TOOLS_JSON (or the file TOOLS_FILE) declares HTTP tools,
// TRANSFER_TARGETS_JSON where a caller may be transferred. Secrets never sit in that JSON: each
// tool names the env variable holding its signing secret (`secretEnv`), which the operator fills
// from a Secret. Every problem is reported at boot, all at once, naming the entry.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { Config } from '../config/schema.ts';
import { BUILTIN_NAMES, DTMF_DIGITS_PATTERN } from './builtins.ts';
import type { HttpToolSpec, TransferTarget } from './types.ts';
import { compileArgumentCheck, type ArgumentCheck } from './validate.ts';

export const TOOL_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$';
export const SIP_PATTERN = '^sips?:[^\\s<>"]+@[^\\s<>"]+$';
export const DEFAULT_TOOL_TIMEOUT_MS = 3000;

/** JSON Schema of one TOOLS_JSON entry (the CRD's spec.tools item mirrors it). */
export const TOOL_ENTRY_SCHEMA = {
  type: 'object',
  required: ['name', 'description', 'url'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: TOOL_NAME_PATTERN },
    description: { type: 'string', minLength: 1, maxLength: 1024 },
    parameters: { type: 'object' },
    url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2048 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 30000 },
    secretEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' },
  },
} as const;

export const TRANSFER_ENTRY_SCHEMA = {
  type: 'object',
  required: ['name', 'description'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: TOOL_NAME_PATTERN },
    description: { type: 'string', minLength: 1, maxLength: 512 },
    number: { type: 'string', pattern: E164_PATTERN },
    sip: { type: 'string', pattern: SIP_PATTERN, maxLength: 512 },
    sendDigits: { type: 'string', pattern: DTMF_DIGITS_PATTERN },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const checkToolEntry = ajv.compile(TOOL_ENTRY_SCHEMA);
const checkTransferEntry = ajv.compile(TRANSFER_ENTRY_SCHEMA);

export interface LoadedTool {
  readonly spec: HttpToolSpec;
  readonly check: ArgumentCheck;
}

export interface ToolConfig {
  readonly tools: readonly LoadedTool[];
  readonly transferTargets: readonly TransferTarget[];
}

export class ToolConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`tool configuration is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'ToolConfigError';
    this.problems = problems;
  }
}

function parseList(label: string, text: string, problems: string[]): unknown[] {
  if (text.trim() === '') return [];
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value;
    problems.push(`${label}: must be a JSON array`);
  } catch (e) {
    problems.push(`${label}: not valid JSON (${(e as Error).message})`);
  }
  return [];
}

const ajvProblems = (label: string, errors: typeof checkToolEntry.errors): string[] =>
  (errors ?? []).map((e) => `${label}${e.instancePath.replace(/\//g, '.')}: ${e.message ?? e.keyword}`);

/** Reads and checks tools and transfer targets; throws ToolConfigError listing every problem. */
export function loadToolConfig(
  config: Pick<Config, 'toolsJson' | 'toolsFile' | 'transferTargetsJson'>,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ToolConfig {
  const problems: string[] = [];
  const entries: { label: string; raw: unknown }[] = [];
  parseList('TOOLS_JSON', config.toolsJson, problems).forEach((raw, i) =>
    entries.push({ label: `TOOLS_JSON[${i}]`, raw }),
  );
  if (config.toolsFile !== '') {
    let text = '';
    try {
      text = readFile(config.toolsFile);
    } catch (e) {
      problems.push(`TOOLS_FILE ${config.toolsFile}: cannot be read (${(e as Error).message})`);
    }
    parseList(`TOOLS_FILE ${config.toolsFile}`, text, problems).forEach((raw, i) =>
      entries.push({ label: `TOOLS_FILE[${i}]`, raw }),
    );
  }
  const names = new Set<string>();
  const tools: LoadedTool[] = [];
  for (const { label, raw } of entries) {
    if (!checkToolEntry(raw)) {
      problems.push(...ajvProblems(label, checkToolEntry.errors));
      continue;
    }
    const e = raw as {
      name: string;
      description: string;
      parameters?: Record<string, unknown>;
      url: string;
      timeoutMs?: number;
      secretEnv?: string;
    };
    if (BUILTIN_NAMES.has(e.name)) problems.push(`${label}: ${e.name} is a built-in action's name`);
    else if (names.has(e.name)) problems.push(`${label}: a second tool named ${e.name}`);
    names.add(e.name);
    let secret = '';
    if (e.secretEnv !== undefined) {
      secret = env[e.secretEnv] ?? '';
      if (secret === '') problems.push(`${label}: its secretEnv ${e.secretEnv} is not set`);
    }
    const parameters = e.parameters ?? { type: 'object', properties: {} };
    try {
      const spec: HttpToolSpec = {
        name: e.name,
        description: e.description,
        parameters,
        url: e.url,
        timeoutMs: e.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
        secret,
      };
      tools.push({ spec, check: compileArgumentCheck(e.name, parameters) });
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`);
    }
  }
  const transferTargets: TransferTarget[] = [];
  const targetNames = new Set<string>();
  parseList('TRANSFER_TARGETS_JSON', config.transferTargetsJson, problems).forEach((raw, i) => {
    const label = `TRANSFER_TARGETS_JSON[${i}]`;
    if (!checkTransferEntry(raw)) return problems.push(...ajvProblems(label, checkTransferEntry.errors));
    const t = raw as TransferTarget;
    if ((t.number === undefined) === (t.sip === undefined))
      return problems.push(`${label}: set exactly one of number (E.164) or sip (sip:user@host)`);
    if (targetNames.has(t.name)) return problems.push(`${label}: a second target named ${t.name}`);
    targetNames.add(t.name);
    transferTargets.push(t);
  });
  if (problems.length > 0) throw new ToolConfigError(problems);
  return { tools, transferTargets };
}
