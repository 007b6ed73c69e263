/** From agents to processes: which instances to run, and looking agents up by name. */
import { ConfigError } from './errors.js';
import { suggest } from './suggest.js';
import type { AgentConfig, InstanceSpec, LightningConfig } from './types.js';

/** Every instance of every agent, in file order then index order; instance i listens on port + i. */
export function planInstances(config: LightningConfig): InstanceSpec[] {
  return config.agents.flatMap((agent) =>
    Array.from({ length: agent.instances }, (_, index): InstanceSpec => ({
      agent,
      index,
      port: agent.port === 0 ? 0 : agent.port + index,
    })),
  );
}

/** The agent called `name`, or undefined. */
export function findAgent(config: LightningConfig, name: string): AgentConfig | undefined {
  return config.agents.find((a) => a.name === name);
}

/**
 * The agent called `name`; a name that is not in the file is a usage error (exit 2) naming the
 * agents that do exist and the likely intended one.
 */
export function resolveAgent(config: LightningConfig, name: string): AgentConfig {
  const agent = findAgent(config, name);
  if (agent !== undefined) return agent;
  const names = config.agents.map((a) => a.name);
  const near = suggest(name, names);
  throw new ConfigError({
    file: config.path,
    problem: `no agent named "${name}"${near ? ` — did you mean "${near}"?` : ''}`,
    hint: names.length > 0 ? `agents in this file: ${names.join(', ')}` : 'add the agent under `agents:`',
  });
}
