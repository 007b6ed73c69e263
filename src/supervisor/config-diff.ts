import type { AgentConfig, LightningConfig } from '../config/types.js';

/** What a reload that changed nothing says. */
export const NO_CHANGE = 'no change';

export interface ConfigDiff {
  added: AgentConfig[];
  removed: string[];
  /** Agents whose settings (or `.env` variables) changed: restarted one instance at a time. */
  changed: AgentConfig[];
  /** Those of `changed` whose agents.yaml entry is the same: only `.env` changed for them. */
  envOnly: string[];
  unchanged: string[];
}

/** What a new agents.yaml changes, agent by agent (in the new file's order). */
export function diffConfigs(current: LightningConfig, next: LightningConfig, envChanged: (agent: AgentConfig) => boolean = () => false): ConfigDiff {
  const before = new Map(current.agents.map((agent) => [agent.name, agent]));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], envOnly: [], unchanged: [] };
  for (const agent of next.agents) {
    const old = before.get(agent.name);
    if (!old) diff.added.push(agent);
    else if (JSON.stringify(old) !== JSON.stringify(agent)) diff.changed.push(agent);
    else if (envChanged(agent)) {
      diff.changed.push(agent);
      diff.envOnly.push(agent.name);
    } else diff.unchanged.push(agent.name);
  }
  const names = new Set(next.agents.map((agent) => agent.name));
  diff.removed = current.agents.filter((agent) => !names.has(agent.name)).map((agent) => agent.name);
  return diff;
}

export function describeDiff(diff: ConfigDiff): string {
  const parts = [
    diff.added.length ? `added ${diff.added.map((agent) => agent.name).join(', ')}` : '',
    diff.removed.length ? `removed ${diff.removed.join(', ')}` : '',
    diff.changed.length ? `restarted ${diff.changed.map((agent) => `${agent.name}${diff.envOnly.includes(agent.name) ? ' (.env changed)' : ''}`).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : NO_CHANGE;
}
