/**
 * zod schema of agents.yaml as written (version 1). Objects are strict so a misspelt key is an
 * error rather than a silently ignored setting. Durations and sizes are converted here, and each
 * settings section is reshaped into a Partial of its resolved type, so load.ts only has to merge.
 * Messages are phrased in issues.ts, which knows each key's full path; custom issues carry a
 * `kind` in their params for that.
 */
import * as z from 'zod';
import { badReference } from '../util/env-template.js';
import { isHttpUrl } from '../util/url.js';
import { describeBadDuration, parseSize, readDuration } from './duration.js';
import type {
  HealthSettings,
  ProviderSettings,
  RestartSettings,
  StopSettings,
  McpServerSettings,
  TaskSettings,
  ToolSettings,
} from './types.js';

import { AGENT_NAME_RE } from './names.js';
import { BUILTIN_TOOLS } from './types.js';

export { AGENT_NAME_RE };

/** What a custom issue is about; issues.ts turns it into wording and a fix. */
export type CustomIssueKind = 'duration' | 'size' | 'command' | 'url' | 'mcp';

type Compact<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

// Absent keys must not override defaults when sections are spread over each other.
function compact<T extends object>(o: T): Compact<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Compact<T>;
}

function duration(opts: { positive: boolean }) {
  return z
    .unknown()
    .transform((v, ctx): number => {
      const result = readDuration(v);
      if (!result.ok || (opts.positive && result.ms === 0)) {
        const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
        const message = result.ok ? `duration ${shown} must be longer than 0` : describeBadDuration(shown, result);
        const suggestion = !result.ok && result.reason === 'unitless' ? result.suggestion : undefined;
        // continue: so that inside `provider:` (a mapping or a list) the union reports this issue,
        // not "expected a mapping or a list".
        ctx.addIssue({ code: 'custom', message, input: v, params: { kind: 'duration', suggestion }, continue: true });
        return z.NEVER;
      }
      return result.ms;
    })
    .optional();
}

const size = z
  .unknown()
  .transform((v, ctx): number => {
    const bytes = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : null;
    if (bytes === null || bytes === 0) {
      const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
      const message = `bad size ${shown} — use a number with B, KB, MB or GB, e.g. 512KB, 10MB`;
      ctx.addIssue({ code: 'custom', message, input: v, params: { kind: 'size' } });
      return z.NEVER;
    }
    return bytes;
  })
  .optional();

/**
 * Splits a command line the way a POSIX shell would split words, without running a shell:
 * whitespace separates words; '…' is literal; "…" allows \" \\ \$ \` escapes; a backslash outside
 * quotes escapes the next character. `${PORT}` is left as written for the spawner to substitute.
 */
export function splitCommand(line: string): { argv: string[] } | { error: string } {
  const argv: string[] = [];
  let word = '';
  let inWord = false; // distinguishes an empty quoted word ('') from no word at all
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) return { error: `unterminated ' quote starting at character ${i + 1}` };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        const d = line[j];
        if (d === undefined) return { error: `unterminated " quote starting at character ${i + 1}` };
        if (d === '"') break;
        const next = line[j + 1];
        if (d === '\\' && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          j += 2;
        } else {
          word += d;
          j++;
        }
      }
      inWord = true;
      i = j + 1;
    } else if (c === '\\') {
      const next = line[i + 1];
      if (next === undefined) return { error: 'trailing backslash escapes nothing' };
      word += next;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) argv.push(word);
  return { argv };
}

const command = z
  .unknown()
  .transform((v, ctx): string[] => {
    const fail = (message: string, path: (string | number)[] = []): never => {
      ctx.addIssue({ code: 'custom', message, input: v, path, params: { kind: 'command' } });
      return z.NEVER;
    };
    if (typeof v === 'string') {
      const split = splitCommand(v);
      if ('error' in split) return fail(`cannot split the command line: ${split.error}`);
      if (split.argv.length === 0) return fail('empty command line');
      return split.argv;
    }
    if (!Array.isArray(v)) return fail(`expected a list of strings or one string, got ${JSON.stringify(v)}`);
    if (v.length === 0) return fail('empty list');
    v.forEach((arg: unknown, i) => {
      if (typeof arg !== 'string') fail(`expected a string, got ${JSON.stringify(arg)}`, [i]);
    });
    return v as string[];
  })
  .optional();

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const nonEmpty = z.string().min(1);
const envValue = z.union([z.string(), z.number(), z.boolean()]);


// Shapes are kept as plain objects so issues.ts can list (and spell-check against) valid keys.
const providerShape = {
  baseURL: z
    .string()
    .refine(isHttpUrl, { message: 'expected an http(s) URL', params: { kind: 'url' } })
    .nullable()
    .optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  model: nonEmpty.optional(),
  timeout: duration({ positive: true }),
};
const healthShape = {
  path: z.string().startsWith('/').optional(),
  interval: duration({ positive: true }),
  timeout: duration({ positive: true }),
  failureThreshold: positiveInt.optional(),
  startTimeout: duration({ positive: true }),
};
const restartShape = {
  policy: z.enum(['always', 'on-failure', 'never']).optional(),
  initialDelay: duration({ positive: false }),
  factor: z.number().min(1).optional(),
  maxDelay: duration({ positive: false }),
  resetAfter: duration({ positive: false }),
  minUptime: duration({ positive: false }),
  maxRestarts: nonNegativeInt.optional(),
};
const stopShape = { grace: duration({ positive: false }) };
const budgetShape = {
  tokens: z.number().int().min(1).optional(),
  cost: z.number().positive().optional(),
  time: duration({ positive: true }),
};
const taskShape = {
  timeout: duration({ positive: true }), retries: nonNegativeInt.optional(), queueTimeout: duration({ positive: true }),
  budget: z.strictObject(budgetShape).optional().describe('What one task may spend: tokens, cost (USD, from `prices:`) and time; enforced before every model call'),
  approvalTimeout: duration({ positive: true }).describe('How long a tool call waits for a person\'s approval (`lightning approve|deny`) before it is denied (default 10m); the wait does not count toward timeout'),
};

/** MCP server names become the prefix of tool names (`<server>__<tool>`, at most 64 characters). */
export const MCP_SERVER_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,29}$/;
// RFC 9110 token characters.
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const mcpServerShape = {
  command: command.describe('A stdio server: the program to start (a list, or one string split like a shell would)'),
  args: z.array(z.string()).optional().describe('Arguments after command'),
  env: z.record(z.string().regex(/^[^=\0]+$/), envValue).optional().describe('Environment of a stdio server, on top of HOME, PATH, LOGNAME, SHELL, TERM, USER; ${NAME} is taken from the worker\'s environment'),
  url: z
    .string()
    .refine(isHttpUrl, { message: 'expected an http(s) URL', params: { kind: 'url' } })
    .optional()
    .describe('A Streamable HTTP server: its endpoint, e.g. http://127.0.0.1:3001/mcp'),
  headers: z.record(z.string().regex(HEADER_NAME_RE), z.string()).optional().describe('HTTP headers; write secrets as ${NAME}, taken from the worker\'s environment, e.g. Authorization: "Bearer ${DOCS_TOKEN}"'),
  approval: z.union([z.boolean(), z.array(nonEmpty)]).optional().describe('true: every tool of this server waits for a person\'s approval (`lightning approve|deny`); a list: those tools'),
};
const mcpServer = z.strictObject(mcpServerShape).transform((s, ctx): McpServerSettings => {
  const fail = (message: string, path: PropertyKey[] = []): never => {
    ctx.addIssue({ code: 'custom', message, input: s, path, params: { kind: 'mcp' } });
    return z.NEVER;
  };
  for (const [where, values] of [['env', s.env], ['headers', s.headers]] as const) {
    for (const [key, value] of Object.entries(values ?? {})) {
      const bad = typeof value === 'string' ? badReference(value) : null;
      if (bad !== null) fail(`${JSON.stringify(bad)} is not a \${NAME} reference`, [where, key]);
    }
  }
  const approval = s.approval ?? false;
  if (s.command !== undefined && s.url !== undefined) return fail('set either command (a stdio server) or url (a Streamable HTTP server), not both', ['url']);
  if (s.url !== undefined) {
    if (s.args !== undefined) return fail('args only apply to a stdio server (command:)', ['args']);
    if (s.env !== undefined) return fail('env only applies to a stdio server (command:); an HTTP server takes headers:', ['env']);
    return { transport: 'http', url: s.url, headers: { ...s.headers }, approval };
  }
  if (s.command === undefined) return fail('an MCP server needs command (a stdio server) or url (a Streamable HTTP server)');
  if (s.headers !== undefined) return fail('headers only apply to an HTTP server (url:)', ['headers']);
  const env = Object.fromEntries(Object.entries(s.env ?? {}).map(([key, value]) => [key, String(value)]));
  return { transport: 'stdio', command: [...s.command, ...(s.args ?? [])], env, approval };
});
const toolsShape = {
  shell: z.boolean().optional(),
  approval: z
    .array(z.enum(BUILTIN_TOOLS))
    .optional()
    .describe('Built-in tools whose calls wait for a person\'s approval (`lightning approve|deny`); default [run_shell]; [] turns approval off'),
  mcp: z
    .record(z.string().regex(MCP_SERVER_NAME_RE), mcpServer)
    .optional()
    .describe('MCP servers by name (a letter, then letters, digits, _ or -; at most 30): their tools are offered as NAME__TOOL'),
};

/** One provider as written: what it sets of ProviderSettings, and its own model if it names one. */
export type ProviderEntry = Partial<ProviderSettings> & { model?: string; timeoutMs?: number };
const providerEntry = z
  .strictObject(providerShape)
  .transform((p): ProviderEntry => compact({ baseURL: p.baseURL, apiKeyEnv: p.apiKeyEnv, model: p.model, timeoutMs: p.timeout }));
// One provider, or an ordered list of them: a model call goes down the list when one fails.
const provider = z.union([providerEntry, z.array(providerEntry).min(1)]);
const model = z.union([nonEmpty, z.array(nonEmpty).min(1)]);
const health = z.strictObject(healthShape).transform(
  (h): Partial<HealthSettings> =>
    compact({
      path: h.path,
      intervalMs: h.interval,
      timeoutMs: h.timeout,
      failureThreshold: h.failureThreshold,
      startTimeoutMs: h.startTimeout,
    }),
);
const restart = z.strictObject(restartShape).transform(
  (r): Partial<RestartSettings> =>
    compact({
      policy: r.policy,
      initialDelayMs: r.initialDelay,
      factor: r.factor,
      maxDelayMs: r.maxDelay,
      resetAfterMs: r.resetAfter,
      minUptimeMs: r.minUptime,
      maxRestarts: r.maxRestarts,
    }),
);
const stop = z.strictObject(stopShape).transform((s): Partial<StopSettings> => compact({ graceMs: s.grace }));
const task = z
  .strictObject(taskShape)
  .transform((t): Partial<TaskSettings> =>
    compact({
      timeoutMs: t.timeout, retries: t.retries, queueTimeoutMs: t.queueTimeout,
      budget: t.budget && { tokens: t.budget.tokens ?? null, cost: t.budget.cost ?? null, timeMs: t.budget.time ?? null },
      approvalTimeoutMs: t.approvalTimeout,
    }),
  );
const tools = z.strictObject(toolsShape).transform((t): Partial<ToolSettings> => compact(t));


/** Keys both `defaults:` and an agent may set; an agent's value wins, per key within sections. */
const overridableShape = {
  model: model.optional().describe('Model name the endpoint serves, e.g. gpt-4o-mini or llama3.1; a list: each is tried in turn when the one before fails'),
  provider: provider.optional().describe('The OpenAI-compatible endpoint: baseURL (null → $OPENAI_BASE_URL → OpenAI), apiKeyEnv (the variable holding the key) and optionally its own model; a list: tried in order, a failing one (429, 5xx, timeout, connection error) cools down'),
  health: health.optional().describe('Health probes: path, interval, timeout, failureThreshold (misses before a restart), startTimeout'),
  restart: restart.optional().describe('Restarts: policy (always, on-failure, never) and backoff of crash loops (initialDelay × factor up to maxDelay; resetAfter; maxRestarts); minUptime: healthy this long before a death = restarted at once, never counted'),
  stop: stop.optional().describe('grace: time between SIGTERM and SIGKILL when stopping an instance'),
  task: task.optional().describe('timeout of one task, retries on another instance or agent, and queueTimeout: how long a task waits for an unavailable agent before going to the next'),
  tools: tools.optional().describe('shell: true offers the built-in worker a shell tool (off by default); approval: built-in tools that wait for a person (default [run_shell]); mcp: MCP servers whose tools it offers'),
  capacity: positiveInt.optional().describe('Tasks one instance runs at once; beyond it the worker refuses and the router goes elsewhere'),
};

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

const agentShape = {
  // Required for local agents; resolve.ts says so, since a remote (`url:`) agent has none.
  port: port.optional().describe('First instance\'s port (instance i listens on port + i); 0 = a free port at each start. Required unless url is set'),
  url: z
    .string()
    .refine(isHttpUrl, { message: 'expected an http(s) URL', params: { kind: 'url' } })
    .optional()
    .describe('Base URL of an agent lightning does not start (any A2A agent): its card and health are read there and tasks routed to it; never restarted; state unreachable when down'),
  tokenEnv: envName.optional().describe('With url: the environment variable holding the bearer token that agent expects'),
  instances: z.number().int().min(1).max(64).optional().describe('How many processes to run, on consecutive ports from port'),
  description: z.string().optional().describe('What the agent does, in the words users type: the router matches tasks against it'),
  capabilities: z.array(nonEmpty).optional().describe('Words the router matches tasks against; also the skills of its agent card'),
  examples: z.array(nonEmpty).optional().describe('Example tasks it is good at: shown in its card, matched by the router'),
  fallback: z.boolean().optional().describe('The generalist: routed to only when no specialist matches the task'),
  prompt: nonEmpty.optional().describe('System prompt file of the built-in worker, relative to agents.yaml'),
  command: command.describe('Run this program instead of the built-in worker (any language serving the worker protocol on $PORT); ${PORT} and other ${NAME}s from its environment are substituted'),
  // Numbers and booleans are accepted for convenience; load.ts stringifies them as written.
  env: z.record(z.string().regex(/^[^=\0]+$/), envValue).optional().describe("Extra environment variables for the agent's process"),
  cwd: nonEmpty.optional().describe("Working directory of the agent's process (default: the directory holding agents.yaml)"),
  ...overridableShape,
};

const supervisorShape = { port: port.optional(), host: nonEmpty.optional() };
const logsShape = { maxSize: size, files: positiveInt.optional() };
const routingShape = { learn: z.boolean().optional(), autoTeam: z.boolean().optional() };
const restartsRuleShape = { count: positiveInt.optional(), window: duration({ positive: true }) };
const failureRateShape = { max: z.number().min(0).max(1).optional(), window: duration({ positive: true }), minTasks: positiveInt.optional() };
const latencyShape = { max: duration({ positive: true }), window: duration({ positive: true }), minTasks: positiveInt.optional() };
const webhookShape = {
  url: z.string().refine(isHttpUrl, { message: 'expected an http(s) URL', params: { kind: 'url' } }),
  timeout: duration({ positive: true }),
  retries: nonNegativeInt.optional(),
};
const alertsShape = {
  unhealthyFor: duration({ positive: true }),
  restarts: z.strictObject(restartsRuleShape).optional(),
  failureRate: z.strictObject(failureRateShape).optional(),
  latencyP95: z.strictObject(latencyShape).optional(),
  webhook: z.strictObject(webhookShape).optional(),
  command,
};

const agent = z.strictObject(agentShape);

const topShape = {
  version: z.literal(1).describe('Format version of this file: 1'),
  supervisor: z.strictObject(supervisorShape).nullish().describe('The control API: port (0 = a free port) and host (loopback unless you say otherwise)'),
  logs: z.strictObject(logsShape).nullish().describe('Log rotation of each instance: maxSize of a file, files kept'),
  defaults: z.strictObject(overridableShape).nullish().describe('Settings every agent gets unless it sets its own (per key within each section)'),
  // `learn: false` turns the learned policy off (static capability routing); `autoTeam: false` the router's team proposals.
  routing: z
    .strictObject(routingShape)
    .nullish()
    .describe('learn: false turns the learned routing policy off (static capability matching); autoTeam: false stops the router from running a task that clearly spans several specialists as a team'),
  prices: z
    .record(z.string().min(1), z.strictObject({ input: z.number().min(0), output: z.number().min(0) }))
    .nullish()
    .describe('Price per model name, in USD per million tokens: { input, output }; what task budgets and `stats` count cost with'),
  planner: z.string().regex(AGENT_NAME_RE).nullish().describe('The agent that plans team tasks into subtasks and combines their results (default: the fallback agent)'),
  alerts: z.strictObject(alertsShape).nullish().describe('When to alert (unhealthyFor, restarts, failureRate, latencyP95) and where (webhook, command)'),
  // Optional here so an absent or empty `agents:` gets its own explanatory error in load.ts.
  agents: z.record(z.string().regex(AGENT_NAME_RE), agent).nullish().describe('The agents, by name: a letter, then letters, digits, _ or -'),
};

export const configSchema = z.strictObject(topShape);

/** agents.yaml after schema validation: durations in ms, sizes in bytes, paths not yet resolved. */
export type RawConfig = z.output<typeof configSchema>;
export type RawAgent = z.output<typeof agent>;

/** The keys each mapping accepts, for "did you mean" and "allowed keys" messages. */
export const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(topShape),
  supervisor: Object.keys(supervisorShape),
  logs: Object.keys(logsShape),
  routing: Object.keys(routingShape),
  alerts: Object.keys(alertsShape),
  restarts: Object.keys(restartsRuleShape),
  failureRate: Object.keys(failureRateShape),
  latencyP95: Object.keys(latencyShape),
  webhook: Object.keys(webhookShape),
  defaults: Object.keys(overridableShape),
  agent: Object.keys(agentShape),
  provider: Object.keys(providerShape),
  health: Object.keys(healthShape),
  restart: Object.keys(restartShape),
  stop: Object.keys(stopShape),
  task: Object.keys(taskShape),
  budget: Object.keys(budgetShape),
  tools: Object.keys(toolsShape),
  mcpServer: Object.keys(mcpServerShape),
};

/** Valid keys of the mapping at `path` (a zod issue path), or null if it is not a known mapping. */
export function keysAt(path: readonly PropertyKey[]): readonly string[] | null {
  if (path.length === 0) return SECTION_KEYS[''] ?? null;
  if (path[0] === 'agents' && path.length === 2) return SECTION_KEYS['agent'] ?? null;
  if (path[path.length - 2] === 'mcp' && path[path.length - 3] === 'tools') return SECTION_KEYS['mcpServer'] ?? null;
  if (typeof path[path.length - 1] === 'number' && path[path.length - 2] === 'provider') return SECTION_KEYS['provider'] ?? null;
  const last = path[path.length - 1];
  return typeof last === 'string' ? (SECTION_KEYS[last] ?? null) : null;
}
