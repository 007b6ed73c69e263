/**
 * Turns zod issues into the words a user needs: which key, what was expected, what was found,
 * and how to fix it. Knows nothing of YAML; load.ts maps each report's path to a line and column.
 */
import type * as z from 'zod';
import { AGENT_NAME_RE, keysAt } from './schema.js';
import { suggest } from './suggest.js';

export interface IssueReport {
  /** Path in the document (same as the zod issue path, plus the key for unknown keys). */
  path: PropertyKey[];
  /** Point at the key itself (unknown or bad key) rather than its value. */
  at: 'key' | 'value';
  problem: string;
  hint: string | null;
}

interface FieldInfo {
  what: string;
  hint: string;
}

const FIELDS: Readonly<Record<string, FieldInfo>> = {
  version: { what: '1', hint: 'put `version: 1` at the top of the file' },
  port: { what: 'an integer from 0 to 65535', hint: 'use a free port such as 9001, or 0 to pick a free port at each spawn' },
  host: { what: 'a host name or IP address', hint: 'e.g. host: 127.0.0.1' },
  instances: { what: 'an integer from 1 to 64', hint: 'e.g. instances: 2 (instance i listens on port + i)' },
  description: { what: 'a string', hint: 'quote the text if it contains ": " or starts with a special character' },
  capabilities: { what: 'a list of strings', hint: 'e.g. capabilities: [html, css, react]' },
  'capabilities.*': { what: 'a non-empty string', hint: 'e.g. capabilities: [html, css, react]' },
  prompt: { what: 'a path to a prompt file', hint: 'e.g. prompt: templates/prompts/NAME.md' },
  cwd: { what: 'a directory path', hint: 'relative paths resolve against the directory holding agents.yaml' },
  env: { what: 'a mapping of NAME: value', hint: 'e.g. env: { LOG_LEVEL: info }' },
  'env.*': { what: 'a string, number or boolean', hint: 'quote the value; write KEY: "" for an empty one' },
  model: { what: 'a model name or a list of them', hint: 'e.g. model: gpt-4o-mini, or model: [gpt-4o-mini, gpt-4o] (tried in order)' },
  'model.*': { what: 'a non-empty model name', hint: 'e.g. model: [gpt-4o-mini, gpt-4o] (tried in order)' },
  provider: {
    what: 'a provider mapping or a non-empty list of them',
    hint: 'e.g. provider: { baseURL: http://localhost:11434/v1 }, or a list tried in order: provider: [{ apiKeyEnv: OPENAI_API_KEY }, { baseURL: http://localhost:11434/v1, model: llama3.1 }]',
  },
  apiKeyEnv: {
    what: 'an environment variable name',
    hint: 'e.g. apiKeyEnv: OPENAI_API_KEY (the variable name, never the key itself)',
  },
  baseURL: {
    what: 'an http(s) URL or null',
    hint: 'e.g. baseURL: http://localhost:11434/v1, or null to use $OPENAI_BASE_URL or OpenAI',
  },
  path: { what: 'a URL path starting with "/"', hint: 'e.g. path: /health' },
  failureThreshold: { what: 'an integer of at least 1', hint: 'e.g. failureThreshold: 3' },
  policy: { what: 'one of always, on-failure, never', hint: 'e.g. policy: on-failure' },
  factor: { what: 'a number of at least 1', hint: 'e.g. factor: 2 (each wait is the previous one times factor)' },
  maxRestarts: { what: 'an integer of at least 0', hint: 'e.g. maxRestarts: 10' },
  retries: { what: 'an integer of at least 0', hint: 'e.g. retries: 2' },
  capacity: { what: 'an integer of at least 1', hint: 'e.g. capacity: 8 (tasks one instance runs at once)' },
  files: { what: 'an integer of at least 1', hint: 'e.g. files: 5' },
  shell: { what: 'true or false', hint: 'e.g. shell: true' },
  learn: { what: 'true or false', hint: 'e.g. learn: true' },
  mcp: {
    what: 'a mapping of server names to MCP servers',
    hint: 'e.g. mcp: { everything: { command: npx, args: [-y, "@modelcontextprotocol/server-everything"] } } — a name is a letter, then letters, digits, _ or - (at most 30)',
  },
  args: { what: 'a list of strings', hint: 'e.g. args: [-y, "@modelcontextprotocol/server-everything"]' },
  'headers.*': { what: 'a string', hint: 'e.g. Authorization: "Bearer ${DOCS_TOKEN}" (the secret stays in the environment)' },
  approval: { what: 'true, false or a list of tool names', hint: 'e.g. approval: true, or approval: [write_file, delete_file]' },
  'tools.approval': {
    what: 'a list of built-in tools (list_files, read_file, write_file, run_shell)',
    hint: 'e.g. tools: { approval: [run_shell, write_file] }, or approval: [] to ask for none; an MCP server\'s tools take approval: under tools.mcp.NAME',
  },
  'tools.approval.*': {
    what: 'one of the built-in tools list_files, read_file, write_file, run_shell',
    hint: 'e.g. tools: { approval: [run_shell, write_file] }; an MCP server\'s tools take approval: under tools.mcp.NAME',
  },
  agents: { what: 'a mapping of agent names to agents', hint: 'e.g. agents: { helper: { port: 9001, prompt: p.md } }' },
};

const DURATION_EXAMPLES: Readonly<Record<string, string>> = {
  interval: '1s',
  timeout: '500ms',
  startTimeout: '30s',
  initialDelay: '100ms',
  maxDelay: '30s',
  resetAfter: '60s',
  minUptime: '1s',
  grace: '5s',
  approvalTimeout: '10m',
};

/** `agents.web.command[2]` */
export function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? 'the top level' : out;
}

function fieldKey(path: readonly PropertyKey[]): string {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (path.length === 0) return '';
  if (parent === 'env') return 'env.*';
  if (parent === 'tools' && last === 'approval') return 'tools.approval';
  if (parent === 'approval' && path[path.length - 3] === 'tools') return 'tools.approval.*';
  if (parent === 'headers') return 'headers.*';
  if (parent === 'capabilities') return 'capabilities.*';
  if (parent === 'model') return 'model.*';
  if (parent === 'provider' && typeof last === 'number') return 'provider';
  if (path[0] === 'agents' && path.length === 2) return 'agent';
  return String(last);
}

function sectionInfo(path: readonly PropertyKey[]): FieldInfo | null {
  const keys = keysAt(path);
  if (keys === null) return null;
  const name = path.length === 0 ? 'the top level' : dotted(path);
  return { what: `a mapping (keys: ${keys.join(', ')})`, hint: `write ${name} as indented key: value lines or { key: value }` };
}

function infoFor(path: readonly PropertyKey[]): FieldInfo | null {
  return FIELDS[fieldKey(path)] ?? sectionInfo(path);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** How a value found in the file is shown after "got". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** A valid agent name close to a rejected one, for the fix line. */
export function saneAgentName(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/_+$/, '')
    .slice(0, 63);
  return AGENT_NAME_RE.test(s) ? s : 'my_agent';
}

function mismatch(path: PropertyKey[], found: unknown, fallback: string): IssueReport {
  const info = infoFor(path);
  return {
    path,
    at: 'value',
    problem: `${dotted(path)} must be ${info?.what ?? fallback}, got ${describeValue(found)}`,
    hint: info?.hint ?? null,
  };
}

function unknownKeys(issue: z.core.$ZodIssueUnrecognizedKeys): IssueReport[] {
  const known = keysAt(issue.path) ?? [];
  const where = issue.path.length === 0 ? 'at the top level' : `in ${dotted(issue.path)}`;
  return issue.keys.map((key) => {
    const near = suggest(key, known);
    const allowed = known.length > 0 ? `${where.replace(/^(at|in) /, '')} accepts: ${known.join(', ')}` : null;
    return {
      path: [...issue.path, key],
      at: 'key',
      problem: `unknown key "${key}" ${where}${near ? ` — did you mean "${near}"?` : ''}`,
      hint: near
        ? `rename "${key}" to "${near}"`
        : `remove "${key}"${allowed ? ` (${allowed})` : ''}`,
    };
  });
}

/** One report per problem in the issue (an unknown-keys issue may name several keys). */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown): IssueReport[] {
  const path = [...issue.path];
  const found = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeys(issue);
    case 'invalid_type':
    case 'invalid_value':
      // A required key that is absent shows up as a type or literal mismatch against undefined.
      if (found === undefined && path.length > 0) {
        const key = String(path[path.length - 1]);
        const parent = path.slice(0, -1);
        const where = parent.length === 0 ? '' : ` in ${dotted(parent)}`;
        const info = infoFor(path);
        const hint = `add it to ${dotted(parent)}${info ? `: ${info.hint}` : ''}`;
        return [{ path, at: 'value', problem: `missing required key "${key}"${where}`, hint }];
      }
      if (path.length === 0) {
        return [
          {
            path,
            at: 'value',
            problem: `the file must be a mapping (version: 1, agents: …), got ${describeValue(found)}`,
            hint: 'start the file with `version: 1` and an `agents:` section',
          },
        ];
      }
      return [mismatch(path, found, issue.code === 'invalid_type' ? `a ${issue.expected}` : issue.message)];
    case 'too_big':
    case 'too_small':
    case 'invalid_format':
    case 'invalid_union':
      return [mismatch(path, found, issue.message)];
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      if (path[0] === 'agents' && path.length === 2) {
        return [
          {
            path,
            at: 'key',
            problem:
              `bad agent name "${key}" — a name starts with a letter and has only letters, digits, ` +
              `"_" and "-" (at most 63 characters)`,
            hint: `rename it, e.g. to "${saneAgentName(key)}" ("/" and "#" are reserved for instance selectors like web_developer/1)`,
          },
        ];
      }
      return [{ path, at: 'key', problem: `bad key "${key}" in ${dotted(path.slice(0, -1))}`, hint: infoFor(path.slice(0, -1))?.hint ?? null }];
    }
    case 'custom':
      return [{ path, at: 'value', problem: `${dotted(path)}: ${issue.message}`, hint: customHint(issue, path) }];
    default:
      return [{ path, at: 'value', problem: `${dotted(path)}: ${issue.message}`, hint: infoFor(path)?.hint ?? null }];
  }
}

function customHint(issue: z.core.$ZodIssueCustom, path: readonly PropertyKey[]): string | null {
  const key = String(path[path.length - 1] ?? '');
  switch (issue.params?.['kind']) {
    case 'duration': {
      const suggestion = issue.params?.['suggestion'];
      if (typeof suggestion === 'string') return `write ${key}: ${suggestion} (durations always carry a unit)`;
      const example = key === 'timeout' && path.includes('task') ? '120s' : (DURATION_EXAMPLES[key] ?? '2s');
      return `e.g. ${key}: ${example}`;
    }
    case 'size':
      return `e.g. ${key}: 10MB`;
    case 'mcp':
      return 'e.g. a stdio server { command: npx, args: [-y, "@modelcontextprotocol/server-everything"] } or an HTTP one { url: "http://127.0.0.1:3001/mcp", headers: { Authorization: "Bearer ${TOKEN}" } }';
    case 'command':
      return 'e.g. command: ["node", "agent.js", "--port", "${PORT}"] or command: node agent.js --port ${PORT}';
    default:
      return infoFor(path)?.hint ?? null;
  }
}
