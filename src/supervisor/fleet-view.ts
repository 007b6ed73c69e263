import http from 'node:http';
import type { TaskSettings } from '../config/types.js';
import type { FleetView, RoutableInstance } from '../router/fleet-view.js';
import { mergeProfiles, profileFromCard, profileFromConfig } from '../router/match.js';
import type { AgentProfile } from '../router/match.js';
import { WorkerClient } from '../router/worker-client.js';
import { A2A_RPC_PATH, AGENT_CARD_PATH } from '../protocol/agent-card.js';
import type { Instance } from './instance.js';
import type { Supervisor } from './supervisor.js';

/** Agent cards are small; one that takes longer than this is treated as absent. */
const CARD_TIMEOUT_MS = 2000;

/**
 * The supervisor's fleet as the router sees it. Each agent's capabilities come from its own
 * agent card (read when an instance turns healthy, so a restarted agent can report new skills),
 * merged with agents.yaml for anything the card does not say.
 */
export class SupervisorFleetView implements FleetView {
  private readonly cards = new Map<string, { json: string; card: unknown }>();
  private readonly clients = new Map<string, { port: number; client: WorkerClient }>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private cachedProfiles: { version: number; profiles: AgentProfile[] } | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly workerToken: string,
  ) {
    supervisor.on('change', ({ instance }) => {
      if (instance.state.name === 'healthy') void this.refreshCard(instance);
      for (const listener of this.listeners) listener();
    });
    // A reloaded agents.yaml changes descriptions and capabilities: rebuild the profiles.
    supervisor.on('reload', () => {
      this.version += 1;
      for (const listener of this.listeners) listener();
    });
    // Instances that turned healthy before this view existed.
    for (const instance of supervisor.instances) if (instance.state.name === 'healthy') void this.refreshCard(instance);
  }

  instances(): RoutableInstance[] {
    return this.supervisor.instances.map((instance) => ({
      id: instance.id,
      agent: instance.spec.agent.name,
      index: instance.spec.index,
      healthy: instance.state.name === 'healthy',
      recovering: ['starting', 'unhealthy', 'backoff'].includes(instance.state.name),
      capacity: instance.spec.agent.capacity,
    }));
  }

  agentNames(): string[] {
    return this.supervisor.config.agents.map((agent) => agent.name);
  }

  profiles(): { version: number; profiles: AgentProfile[] } {
    if (this.cachedProfiles?.version === this.version) return this.cachedProfiles;
    const profiles = this.supervisor.config.agents.map((agent) => {
      const card = this.cards.get(agent.name);
      return mergeProfiles(profileFromConfig(agent), card ? profileFromCard(card.card, agent.fallback) : null);
    });
    this.cachedProfiles = { version: this.version, profiles };
    return this.cachedProfiles;
  }

  taskSettings(agent: string | null): TaskSettings {
    const agents = this.supervisor.config.agents;
    return (agents.find((candidate) => candidate.name === agent) ?? agents[0])?.task ?? { timeoutMs: 120_000, retries: 2 };
  }

  client(routable: RoutableInstance): WorkerClient {
    const instance = this.supervisor.instances.find((candidate) => candidate.id === routable.id);
    const port = instance?.port ?? 0;
    const known = this.clients.get(routable.id);
    if (known && known.port === port) return known.client;
    if (known) void known.client.close();
    // Instances on port 0 move at each restart: the client follows the port, and takes only the
    // path from the agent's card (a custom agent may serve JSON-RPC elsewhere).
    const client = new WorkerClient(`http://127.0.0.1:${port}${this.rpcPath(routable.agent)}`, this.workerToken);
    this.clients.set(routable.id, { port, client });
    return client;
  }

  private rpcPath(agent: string): string {
    const card = this.cards.get(agent)?.card as { url?: unknown; supportedInterfaces?: Array<{ url?: unknown }> } | undefined;
    const url = card?.supportedInterfaces?.[0]?.url ?? card?.url;
    if (typeof url !== 'string') return A2A_RPC_PATH;
    try {
      return new URL(url).pathname;
    } catch {
      return A2A_RPC_PATH;
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map(({ client }) => client.close()));
  }

  private async refreshCard(instance: Instance): Promise<void> {
    const card = await fetchJson(`http://127.0.0.1:${instance.port}${AGENT_CARD_PATH}`);
    if (card === null) return;
    const json = JSON.stringify(card);
    const agent = instance.spec.agent.name;
    if (this.cards.get(agent)?.json === json) return;
    this.cards.set(agent, { json, card });
    this.version += 1;
  }
}

function fetchJson(url: string): Promise<unknown> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: CARD_TIMEOUT_MS, headers: { 'a2a-version': '1.0' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? (JSON.parse(body) as unknown) : null);
        } catch {
          resolve(null);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}
