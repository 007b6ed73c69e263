import type { InstanceSpec } from '../config/types.js';
import type { StatePaths } from '../state/home.js';
import { roleCommand } from '../util/install.js';
import type { SpawnRequest } from './spawn.js';

/** Set for the daemon by `up -d`, or the supervisor's own secret: never passed on to agents. */
const INTERNAL_ENV = ['LIGHTNING_AGENT_SPEC', 'LIGHTNING_RESOLVED_CONFIG', 'LIGHTNING_JOIN_TOKEN'];

export interface LaunchContext {
  workerToken: string;
  /** The control API, for LIGHTNING_SUPERVISOR. */
  apiUrl: string;
  paths: StatePaths;
  configPath: string;
  /** The supervisor's environment with `.env` over it, as of this spawn (FleetEnvironment.merged). */
  environment: NodeJS.ProcessEnv;
}

/** argv, working directory and environment for one spawn of an instance on `port`. */
export function launchRequest(spec: InstanceSpec, port: number, context: LaunchContext): SpawnRequest {
  const { agent } = spec;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(context.environment)) {
    if (value !== undefined && !INTERNAL_ENV.includes(key)) env[key] = value;
  }
  Object.assign(env, {
    PORT: String(port),
    LIGHTNING_AGENT: agent.name,
    LIGHTNING_INSTANCE: String(spec.index),
    LIGHTNING_TOKEN: context.workerToken,
    LIGHTNING_SUPERVISOR: context.apiUrl,
    LIGHTNING_SUPERVISOR_PID: String(process.pid),
    LIGHTNING_HOME: context.paths.home,
    LIGHTNING_WORKSPACES: context.paths.workspacesDir,
    LIGHTNING_CONFIG: context.configPath,
    LIGHTNING_MODEL: agent.model,
  });
  if (agent.provider.baseURL) env.OPENAI_BASE_URL = agent.provider.baseURL;
  Object.assign(env, agent.env);
  if (!agent.command) env.LIGHTNING_AGENT_SPEC = JSON.stringify(agent);
  const argv = agent.command
    ? agent.command.map((part) => substitute(part, env))
    : // The built-in worker's own entry (what `lightning worker` runs, without the CLI around it).
      [...roleCommand('worker'), '--agent', agent.name, '--port', String(port), '--instance', String(spec.index)];
  return { argv, cwd: agent.cwd, env, dieWithParent: agent.command !== null };
}

/** `${PORT}` and any other `${NAME}` from the instance's environment; unknown names stay as written. */
function substitute(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}
