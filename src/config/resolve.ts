/**
 * From validated YAML to LightningConfig: defaults merged per key (built-in ← `defaults:` ← the
 * agent's own section), paths made absolute against the config's directory; then the checks
 * that need the whole file at once (ports) or the filesystem (prompt, cwd).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isScalar } from 'yaml';
import {
  DEFAULT_CAPACITY,
  DEFAULT_HEALTH,
  DEFAULT_INSTANCES,
  DEFAULT_ALERTS, DEFAULT_LOGS, DEFAULT_ROUTING, DEFAULT_WEBHOOK,
  DEFAULT_MODEL,
  DEFAULT_PROVIDER,
  DEFAULT_RESTART,
  DEFAULT_STOP,
  DEFAULT_SUPERVISOR,
  DEFAULT_TASK,
  DEFAULT_TOOLS,
} from './defaults.js';
import { urlPort } from '../util/url.js';
import type { Located, Locator } from './locate.js';
import type { ProviderEntry, RawConfig } from './schema.js';
import type { AgentConfig, LightningConfig, ModelRoute, ProviderSettings } from './types.js';

type WrittenProvider = ProviderEntry | ProviderEntry[];

/**
 * `provider:` over what it inherits: a mapping merges per key into an inherited mapping (as every
 * section does); a list, or a mapping over an inherited list, replaces it (built-in defaults
 * filling the keys each entry leaves out).
 */
function mergeProvider(inherited: WrittenProvider, own: WrittenProvider | undefined): WrittenProvider {
  if (own === undefined) return inherited;
  if (Array.isArray(own) || Array.isArray(inherited)) return own;
  return { ...inherited, ...own };
}

/** The ordered routes: each provider with its own model, else with each model of `model:`. */
function routesFrom(provider: WrittenProvider, model: string | string[]): ModelRoute[] {
  const models = Array.isArray(model) ? model : [model];
  return (Array.isArray(provider) ? provider : [provider]).flatMap((entry): ModelRoute[] => {
    const { baseURL, apiKeyEnv }: ProviderSettings = { ...DEFAULT_PROVIDER, ...entry };
    const timeout = entry.timeoutMs === undefined ? {} : { timeoutMs: entry.timeoutMs };
    return (entry.model === undefined ? models : [entry.model]).map((name) => ({ baseURL, apiKeyEnv, model: name, ...timeout }));
  });
}

/**
 * Env values as the user wrote them: YAML would turn `1.10` into 1.1 and `0x1f` into 31, which is
 * never what an environment variable meant, so numbers and booleans take their source text.
 */
function envStrings(
  env: Record<string, string | number | boolean> | undefined,
  agent: string,
  locator: Locator,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? {})) {
    if (typeof value === 'string') {
      out[key] = value;
      continue;
    }
    const node = locator.nodeAt(['agents', agent, 'env', key]);
    out[key] = isScalar(node) && typeof node.source === 'string' && node.source !== '' ? node.source : String(value);
  }
  return out;
}

export function resolveConfig(raw: RawConfig, file: string, locator: Locator): LightningConfig {
  const dir = path.dirname(file);
  const d = raw.defaults ?? {};
  const base = {
    model: d.model ?? DEFAULT_MODEL,
    provider: mergeProvider({ ...DEFAULT_PROVIDER }, d.provider),
    health: { ...DEFAULT_HEALTH, ...d.health },
    restart: { ...DEFAULT_RESTART, ...d.restart },
    stop: { ...DEFAULT_STOP, ...d.stop },
    task: { ...DEFAULT_TASK, ...d.task },
    tools: { ...DEFAULT_TOOLS, ...d.tools },
    capacity: d.capacity ?? DEFAULT_CAPACITY,
  };
  const agents = Object.entries(raw.agents ?? {}).map(([name, a]): AgentConfig => {
    const routes = routesFrom(mergeProvider(base.provider, a.provider), a.model ?? base.model);
    const first = routes[0]!;
    return {
      name,
      port: a.url === undefined ? (a.port ?? 0) : urlPort(a.url),
      instances: a.instances ?? DEFAULT_INSTANCES,
      description: a.description ?? '',
      capabilities: [...(a.capabilities ?? [])],
      examples: [...(a.examples ?? [])],
      fallback: a.fallback ?? false,
      prompt: a.prompt === undefined ? null : path.resolve(dir, a.prompt),
      command: a.command === undefined ? null : [...a.command],
      url: a.url === undefined ? null : a.url.replace(/\/+$/, ''),
      tokenEnv: a.tokenEnv ?? null,
      env: envStrings(a.env, name, locator),
      cwd: a.cwd === undefined ? dir : path.resolve(dir, a.cwd),
      model: first.model,
      provider: { baseURL: first.baseURL, apiKeyEnv: first.apiKeyEnv },
      routes,
      health: { ...base.health, ...a.health },
      restart: { ...base.restart, ...a.restart },
      stop: { ...base.stop, ...a.stop },
      task: { ...base.task, ...a.task },
      tools: { ...base.tools, ...a.tools },
      capacity: a.capacity ?? base.capacity,
    };
  });
  return {
    path: file,
    dir,
    version: 1,
    supervisor: {
      port: raw.supervisor?.port ?? DEFAULT_SUPERVISOR.port,
      host: raw.supervisor?.host ?? DEFAULT_SUPERVISOR.host,
    },
    logs: {
      maxBytes: raw.logs?.maxSize ?? DEFAULT_LOGS.maxBytes,
      files: raw.logs?.files ?? DEFAULT_LOGS.files,
    },
    routing: { learn: raw.routing?.learn ?? DEFAULT_ROUTING.learn, autoTeam: raw.routing?.autoTeam ?? DEFAULT_ROUTING.autoTeam },
    planner: raw.planner ?? null,
    prices: raw.prices ?? {},
    alerts: resolveAlerts(raw.alerts ?? null),
    agents,
  };
}

const EMPTY_AGENTS_HINT = [
  'add one, for example:',
  '    agents:',
  '      general_assistant:',
  '        { port: 9006, prompt: templates/prompts/general_assistant.md }',
].join('\n');

/** Keys that describe how lightning starts a process: meaningless for an agent it does not start. */
const LOCAL_ONLY_KEYS = ['port', 'instances', 'command', 'prompt', 'cwd', 'env', 'restart', 'stop', 'tools', 'model', 'provider'] as const;

function range(a: AgentConfig): [number, number] {
  return [a.port, a.port + a.instances - 1];
}

function showRange(a: AgentConfig): string {
  const [lo, hi] = range(a);
  return lo === hi ? `port ${lo}` : `ports ${lo}–${hi}`;
}

// The only files checkConfig looks at; cached-load.ts re-checks the same ones on a cache hit.
function statKind(p: string): 'file' | 'directory' | 'other' | 'missing' {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (st === undefined) return 'missing';
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
}

/** Problems schema validation cannot see, each placed at the YAML node it concerns. */
export function checkConfig(config: LightningConfig, raw: RawConfig, locator: Locator): Located[] {
  const problems: Located[] = [];
  const add = (p: readonly PropertyKey[], at: 'key' | 'value', problem: string, hint: string): void => {
    problems.push({ place: locator.at(p, at), problem, hint });
  };

  if (config.agents.length === 0) {
    const present = raw.agents !== undefined;
    problems.push({
      place: present ? locator.at(['agents'], 'key') : null,
      problem: 'no agents defined — add at least one agent under `agents:`',
      hint: EMPTY_AGENTS_HINT,
    });
    return problems;
  }

  if (config.planner !== null && !config.agents.some((a) => a.name === config.planner)) {
    add(['planner'], 'value', `planner "${config.planner}" is not an agent of this file`, `name one of ${config.agents.map((a) => a.name).join(', ')}, or remove \`planner:\` to plan with the fallback agent`);
  }

  const relative = `relative paths resolve against ${config.dir}`;
  // Next port past every fixed range and the supervisor: a concrete number for the fix line.
  const nextFree =
    Math.max(config.supervisor.port, ...config.agents.filter((a) => a.port > 0 && a.url === null).map((a) => range(a)[1])) + 1;

  config.agents.forEach((a, i) => {
    const at = ['agents', a.name];
    const written = raw.agents?.[a.name];
    if (a.url !== null) {
      const extra = LOCAL_ONLY_KEYS.find((key) => written?.[key] !== undefined);
      if (extra) {
        add([...at, extra], 'key', `agent "${a.name}" has url: (an agent running elsewhere, which lightning does not start) and ${extra}:, which only applies to agents lightning starts`, `remove ${extra}:, or remove url: to have lightning start the agent here`);
      }
      return;
    }
    if (a.tokenEnv !== null) {
      add([...at, 'tokenEnv'], 'key', `agent "${a.name}" has tokenEnv: but no url:; tokenEnv names the token of a remote agent`, 'remove tokenEnv:, or add url: if the agent runs elsewhere');
    }
    if (written?.port === undefined) {
      add(at, 'key', `missing required key "port" in agents.${a.name}`, `add port: ${nextFree} (or port: 0 for a free port at each start), or url: http://host:port for an agent running elsewhere`);
      return;
    }
    // A bare entry (description and/or capabilities, no prompt, no command) runs the built-in
    // worker with a prompt generated from those words; with none of the four there is nothing to
    // say who the agent is, to the model or to the router.
    if (a.command === null && a.prompt === null && a.description.trim() === '' && a.capabilities.length === 0) {
      add(at, 'key', `agent "${a.name}" has no prompt, command, description or capabilities`, `add description: and capabilities: (the built-in worker then generates its system prompt from them), prompt: templates/prompts/${a.name}.md, or a command that speaks the worker protocol`);
    }
    if (a.prompt !== null) {
      const kind = statKind(a.prompt);
      if (kind !== 'file') {
        const what = kind === 'missing' ? 'prompt file not found' : `prompt is a ${kind}, not a file`;
        add([...at, 'prompt'], 'value', `${what}: ${a.prompt}`, `create the file, or fix the path (${relative})`);
      }
    }
    const cwdKind = statKind(a.cwd);
    if (cwdKind !== 'directory') {
      const what = cwdKind === 'missing' ? 'does not exist' : `is a ${cwdKind}, not a directory`;
      add([...at, 'cwd'], 'value', `cwd ${a.cwd} ${what}`, `create the directory, or fix the path (${relative})`);
    }
    if (a.port === 0) return;

    const portAt = [...at, 'port'];
    const [lo, hi] = range(a);
    if (hi > 65535) {
      add(portAt, 'value', `agent "${a.name}" needs ports ${lo}–${hi} (port + instances - 1), past the highest port 65535`, `lower port to at most ${65536 - a.instances}, or use fewer instances`);
    }
    const sup = config.supervisor.port;
    if (sup !== 0 && sup >= lo && sup <= hi) {
      const whence = raw.supervisor?.port === undefined ? ' (the default)' : '';
      add(portAt, 'value', `agent "${a.name}" ${showRange(a)} ${lo === hi ? 'clashes' : 'clash'} with the supervisor's port ${sup}${whence}`, `move the agent to port ${nextFree}, or set supervisor: { port: N } to a free port`);
    }
    // Compare with earlier agents only, so each clash is reported once, at the later agent.
    for (const b of config.agents.slice(0, i)) {
      if (b.port === 0 || b.url !== null) continue;
      const [blo, bhi] = range(b);
      if (lo > bhi || blo > hi) continue;
      const problem =
        a.port === b.port && a.instances === 1 && b.instances === 1
          ? `duplicate port ${a.port}: agents "${b.name}" and "${a.name}" both use it`
          : `agent "${a.name}" ${showRange(a)} overlaps agent "${b.name}" ${showRange(b)} (instance i listens on port + i)`;
      add(portAt, 'value', problem, `give each agent its own ports, e.g. port: ${nextFree} (the next free one), or port: 0 to pick a free port at spawn`);
      break;
    }
  });
  return problems;
}

function resolveAlerts(raw: RawConfig['alerts']): LightningConfig['alerts'] {
  const d = DEFAULT_ALERTS;
  return {
    unhealthyForMs: raw?.unhealthyFor ?? d.unhealthyForMs,
    restarts: { count: raw?.restarts?.count ?? d.restarts.count, windowMs: raw?.restarts?.window ?? d.restarts.windowMs },
    failureRate: {
      max: raw?.failureRate?.max ?? d.failureRate.max,
      windowMs: raw?.failureRate?.window ?? d.failureRate.windowMs,
      minTasks: raw?.failureRate?.minTasks ?? d.failureRate.minTasks,
    },
    latencyP95: {
      maxMs: raw?.latencyP95?.max ?? d.latencyP95.maxMs,
      windowMs: raw?.latencyP95?.window ?? d.latencyP95.windowMs,
      minTasks: raw?.latencyP95?.minTasks ?? d.latencyP95.minTasks,
    },
    webhook: raw?.webhook
      ? { url: raw.webhook.url, timeoutMs: raw.webhook.timeout ?? DEFAULT_WEBHOOK.timeoutMs, retries: raw.webhook.retries ?? DEFAULT_WEBHOOK.retries }
      : null,
    command: raw?.command ? [...raw.command] : null,
  };
}
