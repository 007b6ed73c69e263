/**
 * What every export generator takes and gives. Generators are pure: the CLI reads the files and
 * the environment, a generator turns them into file contents, the CLI prints or writes them.
 */
import { routesOf } from '../config/types.js';
import type { AgentConfig, LightningConfig } from '../config/types.js';
import { CONTAINER_FALLBACK_PORT, CONTAINER_SUPERVISOR_PORT, SUPERVISOR_SERVICE } from './defaults.js';

export interface ExportInput {
  config: LightningConfig;
  /** Image the containers run (Compose, Kubernetes). */
  image: string;
  /** Each built-in agent's system prompt text, by agent name. */
  prompts: ReadonlyMap<string, string>;
  /** The exporting user's environment: systemd keeps OPENAI_BASE_URL and PATH from it, never a key. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Absolute paths of the node binary and bin/lightning.js (systemd runs them); with the lightning
   * single executable, nodePath is that binary and binPath is null.
   */
  nodePath: string;
  binPath: string | null;
  /** The state directory given with --home, or null for the default beside agents.yaml. */
  home: string | null;
  /** Where the files will be written (-o), or null when printing to stdout. */
  outDir: string | null;
}

export interface ExportFile {
  /** Relative to the output directory, `/`-separated. */
  path: string;
  content: string;
}

export interface ExportResult {
  /** What `-o DIR` writes. */
  files: ExportFile[];
  /** What is printed without `-o` (one self-contained document). */
  stdout: string;
  /** Things the user should know about this config in that engine (printed on stderr). */
  warnings: string[];
  /** The commands to run next; `dir` is where the files went, null when they were printed. */
  next(dir: string | null): string[];
}

/** A config that cannot be expressed in the target (e.g. two agents whose DNS names collide). */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** Agents lightning would start itself (not `url:` entries, which run elsewhere already). */
export function localAgents(config: LightningConfig): AgentConfig[] {
  return config.agents.filter((agent) => agent.url === null);
}

/** The port an agent listens on inside its own container. */
export function containerPort(agent: AgentConfig): number {
  return agent.port === 0 ? CONTAINER_FALLBACK_PORT : agent.port;
}

/**
 * An agent name as a DNS-1123 label (Compose service and host names, Kubernetes object names):
 * lower case, `_` → `-`, no leading or trailing `-`. Agent names start with a letter and are at
 * most 63 characters, so the result is always a valid label.
 */
export function dnsLabel(name: string): string {
  return name.toLowerCase().replace(/_/g, '-').replace(/-+$/, '');
}

/**
 * Every local agent's DNS name; two agents that map to the same name (web_dev and web-dev), or an
 * agent named like one of the export's own objects, cannot both exist in a cluster.
 */
export function serviceNames(config: LightningConfig, reserved: readonly string[] = []): Map<string, string> {
  const names = new Map<string, string>();
  const owner = new Map<string, string>([[SUPERVISOR_SERVICE, 'the supervisor'], ...reserved.map((r): [string, string] => [r, `lightning's own ${r}`])]);
  for (const agent of localAgents(config)) {
    const label = dnsLabel(agent.name);
    const taken = owner.get(label);
    if (taken !== undefined) {
      throw new ExportError(
        `agent "${agent.name}" would be named "${label}" in the export, a name already used by ${taken} (names are lower-cased and "_" becomes "-")\n  fix: rename agent "${agent.name}" in ${config.path}`,
      );
    }
    owner.set(label, `agent "${agent.name}"`);
    names.set(agent.name, label);
  }
  return names;
}

/** What both container exports derive from the config before they differ. */
export interface ContainerPlan {
  /** Each local agent's DNS name (service, object and host name). */
  names: Map<string, string>;
  /** The control API's port inside the supervisor's container. */
  supervisorPort: number;
  /** The agents that get containers of their own. */
  agents: AgentConfig[];
  /** Of those, the ones running the built-in worker with a prompt file to ship. */
  prompted: AgentConfig[];
  /** Where the supervisor reaches each of them: `http://<service>:<port>`. */
  urls: Map<string, string>;
}

export function containerPlan(config: LightningConfig): ContainerPlan {
  const names = serviceNames(config);
  const agents = localAgents(config);
  return {
    names,
    supervisorPort: config.supervisor.port === 0 ? CONTAINER_SUPERVISOR_PORT : config.supervisor.port,
    agents,
    prompted: agents.filter((agent) => agent.prompt !== null),
    urls: new Map(agents.map((agent) => [agent.name, `http://${names.get(agent.name) ?? ''}:${containerPort(agent)}`])),
  };
}

/** `${PORT}` and friends in a custom command, as the supervisor would substitute them at spawn. */
export function substituteCommand(argv: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return argv.map((part) => part.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole));
}

/** Warnings that apply to any container engine. */
export function containerWarnings(config: LightningConfig): string[] {
  const warnings: string[] = [];
  const loopback = /^https?:\/\/(localhost|127\.[0-9.]+|\[::1\])(:|\/|$)/i;
  for (const agent of config.agents) {
    const local = [...new Set(routesOf(agent).map((route) => route.baseURL))].filter((url): url is string => url !== null && loopback.test(url));
    for (const baseURL of local) {
      warnings.push(
        `agent "${agent.name}": provider.baseURL ${baseURL} points at localhost, which inside a container is the container itself; ` +
          'for a model server on the host use http://host.docker.internal:PORT/v1 (Compose maps it) or the server\'s address in the cluster',
      );
    }
    if (agent.url && loopback.test(agent.url)) {
      warnings.push(`agent "${agent.name}": url ${agent.url} is a loopback address, which the supervisor's container cannot reach; use the agent's network address`);
    }
    if (agent.command) {
      warnings.push(
        `agent "${agent.name}" runs a custom command (${agent.command[0] ?? ''}): its container uses the lightning image, which has Node.js only — ` +
          'give it an image with the command\'s runtime, and make it listen on 0.0.0.0 ($HOST) rather than 127.0.0.1',
      );
    }
  }
  return warnings;
}

/** The variables holding an agent's API keys: one per provider of its `provider:` (in order, once each). */
export function keyEnvs(agent: AgentConfig): string[] {
  return [...new Set(routesOf(agent).map((route) => route.apiKeyEnv))];
}
