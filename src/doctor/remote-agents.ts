import type { AgentConfig } from '../config/types.js';
import { httpProbe } from '../supervisor/http-probe.js';
import { probeRemote } from '../supervisor/remote-agent.js';
import type { Finding } from './finding.js';
import { ok, warn } from './finding.js';

const TIMEOUT_MS = 2000;

/**
 * Agents lightning does not start (`url:`): does each answer, probed as the supervisor probes
 * them? One that does not is shown `unreachable` and gets no tasks — a warning, since it may
 * simply not be up yet.
 */
export async function checkRemoteAgents(agents: readonly AgentConfig[]): Promise<Finding[]> {
  return Promise.all(agents.flatMap((agent) => (agent.url === null ? [] : [checkOne(agent, agent.url)])));
}

async function checkOne(agent: AgentConfig, base: string): Promise<Finding> {
  const { outcome, path } = await probeRemote(httpProbe, base, agent.health.path, TIMEOUT_MS);
  if (outcome.ok) {
    return path === agent.health.path
      ? ok('remote', `remote agent ${agent.name} answers ${base}${path}`)
      : ok('remote', `remote agent ${agent.name} has no ${agent.health.path} but answers ${base}${path}`);
  }
  const fix = outcome.status === undefined
    ? 'start it, or fix url: in agents.yaml; until then it shows as unreachable and gets no tasks'
    : 'it will show as unreachable and get no tasks until its health path answers 2xx; check the agent itself';
  return warn('remote', `remote agent ${agent.name}: ${outcome.error}`, fix);
}
