import type { ModelPrice, TaskBudget } from '../protocol/task.js';
/**
 * The resolved configuration: what agents.yaml means once parsed, validated and merged with
 * defaults. Every duration is in milliseconds, every path absolute. The rest of lightning reads
 * only these types, never the raw YAML.
 */

export type RestartPolicyName = 'always' | 'on-failure' | 'never';

export interface HealthSettings {
  /** HTTP path probed on the instance, e.g. `/health`. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failed probes of a running instance before it is restarted. */
  failureThreshold: number;
  /** How long a new instance may take to answer its first probe before it is restarted. */
  startTimeoutMs: number;
}

export interface RestartSettings {
  policy: RestartPolicyName;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Healthy uptime after which the crash streak (and its backoff) starts over. */
  resetAfterMs: number;
  /**
   * Healthy uptime that shows a process can run: one that dies after at least this long healthy
   * is restarted at once and never counts toward `maxRestarts`; one that dies sooner (or before
   * it was ever healthy) is crash-looping and backs off.
   */
  minUptimeMs: number;
  /** Restarts allowed in one crash streak before the instance is marked `failed`. */
  maxRestarts: number;
}

export interface StopSettings {
  /** Time between SIGTERM and SIGKILL to the instance's process group. */
  graceMs: number;
}

export interface TaskSettings {
  timeoutMs: number;
  retries: number;
  /** How long a task waits for its chosen agent to have a healthy instance before it goes to the next plausible agent. */
  queueTimeoutMs: number;
  /** What one task may spend (null: no limit); a team's subtasks share their parent's. */
  budget: TaskBudget;
  /**
   * How long a tool call waits for a person's approval before it is denied. The wait does not
   * count toward `timeoutMs` or a time budget: the task's clock is paused while a person decides.
   */
  approvalTimeoutMs: number;
}

export interface ProviderSettings {
  /** null → $OPENAI_BASE_URL → OpenAI's default. */
  baseURL: string | null;
  /** Name of the environment variable holding the API key (the key itself is never stored). */
  apiKeyEnv: string;
}

/**
 * One place a model call can go: an endpoint and the model asked for there. An agent's routes are
 * tried in order; on 429, 5xx, a timeout or a connection error the call moves to the next one.
 */
export interface ModelRoute extends ProviderSettings {
  model: string;
  /**
   * How long a call waits for this provider to start answering (`timeout:`); absent = the default:
   * PROVIDER_FAILOVER_TIMEOUT_MS when another route follows, the worker's request timeout when not.
   */
  timeoutMs?: number;
}

/**
 * Which tools of an MCP server need a person's approval before they run: all of them (true), none
 * (false) or those named. Such a call waits for `lightning approve|deny` (or the approval timeout).
 */
export type McpApproval = boolean | string[];

/** An MCP server the built-in worker starts itself and talks to over stdin/stdout. */
export interface McpStdioServer {
  transport: 'stdio';
  /** argv: `command` then `args`, as written. Relative paths resolve against the agent's cwd. */
  command: string[];
  /**
   * The server's environment on top of a minimal inherited one (HOME, PATH, …). Values may hold
   * `${NAME}`, substituted from the worker's environment when the server starts.
   */
  env: Record<string, string>;
  approval: McpApproval;
}

/** An MCP server lightning does not start, reached over Streamable HTTP. */
export interface McpHttpServer {
  transport: 'http';
  url: string;
  /** Request headers; values may hold `${NAME}`, substituted from the worker's environment. */
  headers: Record<string, string>;
  approval: McpApproval;
}

export type McpServerSettings = McpStdioServer | McpHttpServer;

/** The built-in worker's own tools. */
export const BUILTIN_TOOLS = ['list_files', 'read_file', 'write_file', 'run_shell'] as const;
export type BuiltinTool = (typeof BUILTIN_TOOLS)[number];

export interface ToolSettings {
  /** The shell tool is only offered to agents that opt in. */
  shell: boolean;
  /** Built-in tools whose calls wait for a person's approval (`tools.approval`); run_shell by default. */
  approval: BuiltinTool[];
  /** MCP servers by name; their tools are offered as `<name>__<tool>`. */
  mcp: Record<string, McpServerSettings>;
}

export interface LogSettings {
  /** Size at which an instance's log file is rotated. */
  maxBytes: number;
  /** Files kept per instance, the live one included (`x.log`, `x.log.1` … `x.log.<files-1>`). */
  files: number;
}

export interface AgentConfig {
  name: string;
  /** First instance's port; instance i listens on port + i. 0 → a free port picked at each spawn. */
  port: number;
  instances: number;
  description: string;
  capabilities: string[];
  /** Example tasks this agent is good at: shown in its card, matched by the router. */
  examples: string[];
  /** The generalist: routed to only when no specialist matches the task. */
  fallback: boolean;
  /** Absolute path of the system prompt file, or null (custom agents need none). */
  prompt: string | null;
  /** null → the built-in worker (`lightning worker`); otherwise argv, `${PORT}` not yet substituted. */
  command: string[] | null;
  /**
   * Base URL of an agent lightning does not start (`url:` in agents.yaml): its card and health are
   * read there and tasks routed to it; it is never spawned or restarted. null for local agents.
   */
  url: string | null;
  /** For a remote agent: the environment variable holding the bearer token it expects, if any. */
  tokenEnv: string | null;
  env: Record<string, string>;
  /** Absolute working directory (default: the directory holding agents.yaml). */
  cwd: string;
  /** The first route's model (`model:`, or the first of a list). */
  model: string;
  /** The first route's endpoint. */
  provider: ProviderSettings;
  /**
   * Every route in the order they are tried: each provider of `provider:` (one or a list) with its
   * own `model:` if it has one, else with each model of `model:` (one or a list). Its first entry
   * is `provider` with `model`. Absent (agents built in code) = that one route: use routesOf().
   */
  routes?: ModelRoute[];
  health: HealthSettings;
  restart: RestartSettings;
  stop: StopSettings;
  task: TaskSettings;
  tools: ToolSettings;
  /** Tasks one instance runs at once; beyond it the worker refuses. */
  capacity: number;
}

export interface SupervisorSettings {
  /** Control API port; 0 → a free port. */
  port: number;
  /** Loopback unless the user asks otherwise. */
  host: string;
}

export interface RoutingSettings {
  /** Learn from outcomes and feedback (a bandit over the capability match); false = static routing. */
  learn: boolean;
  /** Run a task as a team when its clauses clearly span several specialists (src/router/team-proposal.ts). */
  autoTeam: boolean;
}

export interface AlertSettings {
  /** An agent with no healthy instance for longer than this. */
  unhealthyForMs: number;
  /** More than `count` restarts of one agent within `windowMs`. */
  restarts: { count: number; windowMs: number };
  /** An agent's share of failed tasks above `max` over `windowMs` (with at least `minTasks`). */
  failureRate: { max: number; windowMs: number; minTasks: number };
  /** An agent's task latency p95 above `maxMs` over `windowMs` (with at least `minTasks`). */
  latencyP95: { maxMs: number; windowMs: number; minTasks: number };
  webhook: { url: string; timeoutMs: number; retries: number } | null;
  /** Run on every firing and resolution, with the alert as JSON in $LIGHTNING_ALERT. */
  command: string[] | null;
}

export interface LightningConfig {
  /** Absolute path of the agents.yaml this came from. */
  path: string;
  /** Directory holding it; relative paths in the file resolve against it. */
  dir: string;
  version: 1;
  supervisor: SupervisorSettings;
  logs: LogSettings;
  routing: RoutingSettings;
  /** USD per million tokens, by model name: what cost budgets and `stats` count with. */
  prices: Record<string, ModelPrice>;
  /** The agent that plans team tasks and combines their results; null: the (first) fallback agent. */
  planner: string | null;
  alerts: AlertSettings;
  /** In file order. */
  agents: AgentConfig[];
}

/** One process to run: an agent and which of its instances. */
export interface InstanceSpec {
  agent: AgentConfig;
  index: number;
  /** 0 when the agent's port is 0 (picked at spawn). */
  port: number;
}

/** The routes a model call of `agent` tries, in order (never empty). */
export function routesOf(agent: Pick<AgentConfig, 'model' | 'provider' | 'routes'>): ModelRoute[] {
  return agent.routes && agent.routes.length > 0 ? agent.routes : [{ ...agent.provider, model: agent.model }];
}

/** `web_developer#0`: how instances are named in output and logs. */
export function instanceId(agent: string, index: number): string {
  return `${agent}#${index}`;
}
