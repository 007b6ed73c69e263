import type { AgentConfig } from '../config/types.js';
import { AGENT_CARD_PATH } from '../protocol/agent-card.js';
import type { Finding } from './finding.js';
import { ok, warn } from './finding.js';
import { remoteUrl } from './agents.js';
import { networkReason } from '../util/network-reason.js';

const TIMEOUT_MS = 2000;

/**
 * Agents lightning does not start (`url:`): does each answer its health path? One that does not
 * is shown `unreachable` and gets no tasks — a warning, since it may simply not be up yet.
 */
export async function checkRemoteAgents(agents: readonly AgentConfig[]): Promise<Finding[]> {
  return Promise.all(
    agents.flatMap((agent) => {
      const base = remoteUrl(agent);
      return base === null ? [] : [checkOne(agent, base)];
    }),
  );
}

async function checkOne(agent: AgentConfig, base: string): Promise<Finding> {
  const url = `${base}${agent.health.path}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.ok) return ok('remote', `remote agent ${agent.name} answers ${url}`);
    if (response.status === 404) {
      // Any A2A agent may be remote; one without a health route is probed at its card (as the supervisor does).
      const card = await fetch(`${base}${AGENT_CARD_PATH}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      await card.body?.cancel();
      if (card.ok) return ok('remote', `remote agent ${agent.name} has no ${agent.health.path} but answers ${base}${AGENT_CARD_PATH}`);
    }
    return warn('remote', `remote agent ${agent.name}: ${url} answered HTTP ${response.status}`, 'it will show as unreachable and get no tasks until its health path answers 2xx; check the agent itself');
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError';
    return warn('remote', `remote agent ${agent.name}: ${url} does not answer (${timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : networkReason(error)})`, `start it, or fix url: in agents.yaml; until then it shows as unreachable and gets no tasks`);
  }
}
