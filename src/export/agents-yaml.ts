/**
 * agents.yaml files for the containers, written back from the resolved config: the workers' copy
 * (prompts beside it, no host paths) and the supervisor's derived copy, in which every agent is a
 * remote entry (`url:`) pointing at its service. Only values that differ from lightning's built-in
 * defaults are written, so the files stay short and load to the same settings.
 */
import { Document, isScalar, visit } from 'yaml';
import {
  DEFAULT_ALERTS,
  DEFAULT_CAPACITY,
  DEFAULT_HEALTH,
  DEFAULT_INSTANCES,
  DEFAULT_MODEL,
  DEFAULT_PROVIDER,
  DEFAULT_RESTART,
  DEFAULT_STOP,
  DEFAULT_TASK,
  DEFAULT_TOOLS,
} from '../config/defaults.js';
import { routesOf } from '../config/types.js';
import type { AgentConfig, AlertSettings, LightningConfig } from '../config/types.js';
import { WORKER_TOKEN_ENV } from './defaults.js';

type Raw = Record<string, unknown>;

/** Milliseconds as agents.yaml writes them: `1s`, `500ms`, `5m`, `1h`. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Keys of `value` whose values differ from `base`, renamed and formatted for YAML. */
function changed<T extends object>(value: T, base: T, write: { [K in keyof T]?: [string, (v: T[K]) => unknown] }): Raw | undefined {
  const out: Raw = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (JSON.stringify(value[key]) === JSON.stringify(base[key])) continue;
    const [name, format] = write[key] ?? [String(key), (v: T[typeof key]) => v];
    out[name] = format(value[key]);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const ms = (v: unknown): string => formatDuration(v as number);

function health(agent: AgentConfig): Raw | undefined {
  return changed(agent.health, DEFAULT_HEALTH, {
    intervalMs: ['interval', ms],
    timeoutMs: ['timeout', ms],
    startTimeoutMs: ['startTimeout', ms],
  });
}

function task(agent: AgentConfig): Raw | undefined {
  return changed(agent.task, DEFAULT_TASK, { timeoutMs: ['timeout', ms] });
}

/** What describes an agent to the router: the same for local and remote entries. */
function profile(agent: AgentConfig): Raw {
  return {
    ...(agent.description ? { description: agent.description } : {}),
    ...(agent.capabilities.length > 0 ? { capabilities: agent.capabilities } : {}),
    ...(agent.examples.length > 0 ? { examples: agent.examples } : {}),
    ...(agent.fallback ? { fallback: true } : {}),
  };
}

function omitUndefined(raw: Raw): Raw {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

/** A remote entry as written: only the keys a `url:` agent accepts. */
function remoteEntry(agent: AgentConfig, url: string, tokenEnv: string | null, capacity: number): Raw {
  return omitUndefined({
    url,
    ...(tokenEnv ? { tokenEnv } : {}),
    ...profile(agent),
    health: health(agent),
    task: task(agent),
    capacity: capacity === DEFAULT_CAPACITY ? undefined : capacity,
  });
}

/** A local agent for the workers' copy: its prompt under prompts/, no cwd (the host's). */
function localEntry(agent: AgentConfig): Raw {
  return omitUndefined({
    port: agent.port,
    instances: agent.instances === DEFAULT_INSTANCES ? undefined : agent.instances,
    ...profile(agent),
    prompt: agent.prompt === null ? undefined : promptPath(agent.name),
    command: agent.command ?? undefined,
    env: Object.keys(agent.env).length > 0 ? agent.env : undefined,
    // More than one route: the list as written out, each provider with its model.
    ...(routesOf(agent).length > 1 || routesOf(agent)[0]!.timeoutMs !== undefined
      ? {
          provider: routesOf(agent).map((route) =>
            omitUndefined({
              baseURL: route.baseURL ?? undefined,
              apiKeyEnv: route.apiKeyEnv === DEFAULT_PROVIDER.apiKeyEnv ? undefined : route.apiKeyEnv,
              model: route.model,
              timeout: route.timeoutMs === undefined ? undefined : ms(route.timeoutMs),
            }),
          ),
        }
      : { model: agent.model === DEFAULT_MODEL ? undefined : agent.model, provider: changed(agent.provider, DEFAULT_PROVIDER, {}) }),
    health: health(agent),
    restart: changed(agent.restart, DEFAULT_RESTART, {
      initialDelayMs: ['initialDelay', ms],
      maxDelayMs: ['maxDelay', ms],
      resetAfterMs: ['resetAfter', ms],
      minUptimeMs: ['minUptime', ms],
    }),
    stop: changed(agent.stop, DEFAULT_STOP, { graceMs: ['grace', ms] }),
    task: task(agent),
    tools: changed(agent.tools, DEFAULT_TOOLS, { mcp: ['mcp', mcpServers] }),
    capacity: agent.capacity === DEFAULT_CAPACITY ? undefined : agent.capacity,
  });
}

/** MCP servers as agents.yaml writes them: argv as command, without the resolved transport tag. */
function mcpServers(servers: AgentConfig['tools']['mcp']): Raw {
  return Object.fromEntries(
    Object.entries(servers).map(([name, server]) => {
      const approval = server.approval === false ? undefined : server.approval;
      return [
        name,
        server.transport === 'stdio'
          ? omitUndefined({ command: server.command, env: Object.keys(server.env).length > 0 ? server.env : undefined, approval })
          : omitUndefined({ url: server.url, headers: Object.keys(server.headers).length > 0 ? server.headers : undefined, approval }),
      ];
    }),
  );
}

/** Where an agent's prompt sits, relative to the workers' agents.yaml. */
export function promptPath(agent: string): string {
  return `prompts/${agent}.md`;
}

/**
 * The workers' agents.yaml: every agent of the original (each worker loads the whole file and
 * picks its own entry), with prompts at prompts/<agent>.md beside it.
 */
export function workerConfig(config: LightningConfig): Raw {
  return {
    version: 1,
    // Kept so the port checks the loader runs come out as they do on the host.
    supervisor: { port: config.supervisor.port },
    agents: Object.fromEntries(
      config.agents.map((agent) => [agent.name, agent.url === null ? localEntry(agent) : remoteEntry(agent, agent.url, agent.tokenEnv, agent.capacity)]),
    ),
  };
}

function alerts(a: AlertSettings): Raw | undefined {
  if (JSON.stringify(a) === JSON.stringify(DEFAULT_ALERTS)) return undefined;
  return omitUndefined({
    unhealthyFor: formatDuration(a.unhealthyForMs),
    restarts: { count: a.restarts.count, window: formatDuration(a.restarts.windowMs) },
    failureRate: { max: a.failureRate.max, window: formatDuration(a.failureRate.windowMs), minTasks: a.failureRate.minTasks },
    latencyP95: { max: formatDuration(a.latencyP95.maxMs), window: formatDuration(a.latencyP95.windowMs), minTasks: a.latencyP95.minTasks },
    webhook: a.webhook ? { url: a.webhook.url, timeout: formatDuration(a.webhook.timeoutMs), retries: a.webhook.retries } : undefined,
    command: a.command ?? undefined,
  });
}

/**
 * The supervisor's agents.yaml in a cluster: it starts nothing, it probes and routes. Each local
 * agent becomes `url: http://<service>:<port>`; agents that were remote already stay as they are.
 */
export function supervisorConfig(config: LightningConfig, urls: ReadonlyMap<string, string>, supervisorPort: number): Raw {
  return omitUndefined({
    version: 1,
    // Listening beyond loopback is the point here: the port is published (or port-forwarded)
    // by the engine, and only to 127.0.0.1 on the host.
    supervisor: { host: '0.0.0.0', port: supervisorPort },
    routing: config.routing.learn && config.routing.autoTeam
      ? undefined
      : omitUndefined({ learn: config.routing.learn ? undefined : false, autoTeam: config.routing.autoTeam ? undefined : false }),
    alerts: alerts(config.alerts),
    agents: Object.fromEntries(
      config.agents.map((agent) => {
        const url = urls.get(agent.name);
        if (url === undefined) return [agent.name, remoteEntry(agent, agent.url ?? '', agent.tokenEnv, agent.capacity)];
        // N replicas behind one service name take N times the tasks of one instance.
        return [agent.name, remoteEntry(agent, url, WORKER_TOKEN_ENV, agent.capacity * agent.instances)];
      }),
    ),
  });
}

/** YAML text of `value` with a comment on top, via the yaml library (never concatenated). */
export function yamlText(value: unknown, comment?: string): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  if (comment) doc.commentBefore = comment;
  // Lists of words (capabilities, commands) on one line, as people write them in agents.yaml.
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
