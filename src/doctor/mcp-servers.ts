import type { AgentConfig, McpServerSettings } from '../config/types.js';
import { McpServers } from '../worker/mcp/servers.js';
import { builtInAgents } from './agents.js';
import type { Finding } from './finding.js';
import { ok, plural, problem } from './finding.js';

/** Doctor waits this long for each server; a first `npx -y` download may need most of it. */
export const MCP_CHECK_TIMEOUT_MS = 20_000;
const SHOWN_TOOLS = 12;

/**
 * Each MCP server of the built-in agents, started (or connected to) once as a worker would, with
 * the agent's environment: its tools are listed, or why it does not start. A server several
 * agents share (the same settings under the same name, e.g. from `defaults:`) is checked once.
 */
export async function checkMcpServers(agents: readonly AgentConfig[], env: NodeJS.ProcessEnv = process.env): Promise<Finding[]> {
  const groups = new Map<string, { name: string; settings: McpServerSettings; agents: AgentConfig[] }>();
  for (const agent of builtInAgents(agents)) {
    for (const [name, settings] of Object.entries(agent.tools.mcp)) {
      const key = JSON.stringify([name, settings, agent.cwd, agent.env]);
      const group = groups.get(key) ?? { name, settings, agents: [] };
      group.agents.push(agent);
      groups.set(key, group);
    }
  }
  return Promise.all([...groups.values()].map((group) => checkServer(group, env)));
}

async function checkServer(group: { name: string; settings: McpServerSettings; agents: AgentConfig[] }, env: NodeJS.ProcessEnv): Promise<Finding> {
  const first = group.agents[0]!;
  const owners = group.agents.length > 3 ? plural(group.agents.length, 'agent') : group.agents.map((agent) => agent.name).join(', ');
  // The worker's environment: the supervisor's plus the agent's env:.
  const servers = new McpServers({ [group.name]: group.settings }, { env: { ...env, ...first.env }, cwd: first.cwd, log: () => undefined, startTimeoutMs: MCP_CHECK_TIMEOUT_MS });
  const where = servers.servers[0]!.display;
  try {
    const set = await servers.toolSet();
    const failed = set.unavailable[0];
    if (failed) {
      const fix = group.settings.transport === 'stdio'
        ? `fix tools.mcp.${group.name} in agents.yaml (run the command by hand to see its error), or install the server`
        : `start the server at ${group.settings.url}, or fix tools.mcp.${group.name}.url / headers in agents.yaml`;
      return problem('mcp', `${owners}: MCP server ${group.name} (${where}) does not start: ${failed.error}`, fix);
    }
    const names = set.names;
    const shown = names.length > SHOWN_TOOLS ? `${names.slice(0, SHOWN_TOOLS).join(', ')}, …` : names.join(', ') || 'none';
    return ok('mcp', `${owners}: MCP server ${group.name} (${where}) offers ${plural(names.length, 'tool')}: ${shown}`);
  } finally {
    await servers.close();
  }
}
