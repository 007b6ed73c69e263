import type { AgentConfig, TaskSettings } from '../config/types.js';
import { routesOf } from '../config/types.js';
import type { ModelPrice } from '../protocol/task.js';
import { DEFAULT_TASK } from '../config/defaults.js';
import type { Availability, FleetView, RoutableInstance } from '../tasks/fleet-view.js';
import { mergeProfiles, profileFromCard, profileFromConfig } from '../router/match.js';
import type { AgentProfile } from '../router/match.js';
import { WorkerClient } from '../router/worker-client.js';
import { A2A_RPC_PATH, AGENT_CARD_PATH } from '../protocol/agent-card.js';
import { fetchJson } from '../util/fetch-json.js';
import type { FleetMember, MemberStateName } from './fleet-member.js';
import type { Supervisor } from './supervisor.js';

/** Agent cards are small; one that takes longer than this is treated as absent. */
const CARD_TIMEOUT_MS = 2000;

/** The bearer tokens the supervisor presents: its own workers', and the join token for agents that joined. */
export interface FleetTokens {
  worker: string;
  join: string;
}

/**
 * The supervisor's fleet as the router sees it. Each agent's capabilities come from its own
 * agent card (read when a member turns healthy, so a restarted agent can report new skills),
 * merged with agents.yaml for anything the card does not say.
 */
export class SupervisorFleetView implements FleetView {
  private readonly cards = new Map<string, { json: string; card: unknown }>();
  private readonly clients = new Map<string, { url: string; from: string; client: WorkerClient }>();
  private readonly listeners = new Set<() => void>();
  /** Per instance, how many times it turned healthy: a restarted worker is a new epoch. */
  private readonly epochs = new Map<string, number>();
  private version = 0;
  private agentSet = '';
  private cachedProfiles: { version: number; profiles: AgentProfile[] } | null = null;
  /** Bumped by every member state change and reload: what instances() was built from moved. */
  private membersVersion = 0;
  /** instances() is asked on every pick: built again only when the members or their states moved. */
  private routable: { members: readonly FleetMember[]; length: number; version: number; list: RoutableInstance[] } | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly tokens: FleetTokens,
  ) {
    supervisor.on('change', ({ instance }) => {
      this.membersVersion += 1;
      if (instance.state.name === 'healthy') {
        this.epochs.set(instance.id, (this.epochs.get(instance.id) ?? 0) + 1);
        void this.refreshCard(instance);
      }
      this.noticeAgentSet();
      for (const listener of this.listeners) listener();
    });
    // A reloaded agents.yaml changes descriptions and capabilities: rebuild the profiles.
    supervisor.on('reload', () => {
      this.version += 1;
      this.membersVersion += 1;
      for (const listener of this.listeners) listener();
    });
    // Members that turned healthy before this view existed.
    for (const instance of supervisor.instances) if (instance.state.name === 'healthy') void this.refreshCard(instance);
  }

  instances(): RoutableInstance[] {
    const members = this.supervisor.instances;
    const cached = this.routable;
    // The array is replaced or grown when members come and go; states move with a 'change'.
    if (cached && cached.members === members && cached.length === members.length && cached.version === this.membersVersion) return cached.list;
    const list = members.map((instance) => ({
      id: instance.id,
      agent: instance.spec.agent.name,
      index: instance.spec.index,
      availability: availabilityOf(instance.state.name),
      epoch: this.epochs.get(instance.id) ?? 0,
      capacity: instance.spec.agent.capacity,
    }));
    this.routable = { members, length: members.length, version: this.membersVersion, list };
    return list;
  }

  priceOf(agent: string): ModelPrice | null {
    const model = this.supervisor.agents().find((candidate) => candidate.name === agent)?.model;
    return (model !== undefined && this.supervisor.config.prices[model]) || null;
  }

  planner(): string | null {
    // agents.yaml's planner, else the first fallback agent: who plans and combines team tasks.
    return this.supervisor.config.planner ?? this.supervisor.agents().find((agent) => agent.fallback)?.name ?? null;
  }

  agentNames(): string[] {
    return this.supervisor.agents().map((agent) => agent.name);
  }

  profiles(): { version: number; profiles: AgentProfile[] } {
    if (this.cachedProfiles?.version === this.version) return this.cachedProfiles;
    const profiles = this.supervisor.agents().map((agent) => {
      const card = this.cards.get(agent.name);
      return mergeProfiles(profileFromConfig(agent), card ? profileFromCard(card.card, agent.fallback) : null);
    });
    this.cachedProfiles = { version: this.version, profiles };
    return this.cachedProfiles;
  }

  taskSettings(agent: string | null): TaskSettings {
    const agents: readonly AgentConfig[] = this.supervisor.agents();
    return (agents.find((candidate) => candidate.name === agent) ?? agents[0])?.task ?? DEFAULT_TASK;
  }

  client(routable: RoutableInstance): WorkerClient {
    const member = this.supervisor.instances.find((candidate) => candidate.id === routable.id);
    const known = this.clients.get(routable.id);
    // The URL depends on the member's base URL and its agent's card (whose changes bump the
    // version): worked out again only when one of them moved, not on every attempt.
    const from = member ? `${this.version} ${member.baseUrl}` : '';
    if (known && known.from === from) return known.client;
    // Instances on port 0 move at each restart: the client follows the URL.
    const url = member ? this.rpcUrl(member) : `http://127.0.0.1:0${A2A_RPC_PATH}`;
    if (known && known.url === url) {
      known.from = from;
      return known.client;
    }
    if (known) void known.client.close();
    const client = new WorkerClient(url, member ? this.tokenFor(member) : '');
    this.clients.set(routable.id, { url, from, client });
    return client;
  }

  attemptsStream(routable: RoutableInstance): boolean {
    const member = this.supervisor.instances.find((candidate) => candidate.id === routable.id);
    if (!member || member.kind !== 'local') return true;
    const agent = member.spec.agent;
    return agent.command !== null || agent.url !== null || routesOf(agent).length > 1 || mayAskForApproval(agent);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map(({ client }) => client.close()));
  }

  /** Our workers get the worker token, joined agents the join token; a `url:` agent its own, if any. */
  private tokenFor(member: FleetMember): string {
    if (member.kind === 'local') return this.tokens.worker;
    if (member.kind === 'registered') return this.tokens.join;
    const name = member.spec.agent.tokenEnv;
    return name ? (this.supervisor.environment.get(name) ?? '') : '';
  }

  /**
   * The JSON-RPC endpoint: the card's path on the member's own base URL (a worker behind a port
   * mapping or a proxy announces addresses we cannot reach), unless the card points at another host.
   */
  private rpcUrl(member: FleetMember): string {
    const card = this.cards.get(member.spec.agent.name)?.card as { url?: unknown; supportedInterfaces?: Array<{ url?: unknown }> } | undefined;
    const announced = card?.supportedInterfaces?.[0]?.url ?? card?.url;
    if (typeof announced !== 'string' || !URL.canParse(announced)) return `${member.baseUrl}${A2A_RPC_PATH}`;
    const target = new URL(announced);
    const base = new URL(member.baseUrl);
    const sameHost = target.host === base.host || ['127.0.0.1', 'localhost', '0.0.0.0', '[::1]'].includes(target.hostname);
    return member.kind !== 'local' && !sameHost ? announced : `${member.baseUrl}${target.pathname}`;
  }

  /** Agents that join or leave under names of their own change the profiles. */
  private noticeAgentSet(): void {
    const names = this.supervisor.agents().map((agent) => agent.name).join('\n');
    if (names === this.agentSet) return;
    this.agentSet = names;
    this.version += 1;
  }

  private async refreshCard(member: FleetMember): Promise<void> {
    const result = await fetchJson(`${member.baseUrl}${AGENT_CARD_PATH}`, { timeoutMs: CARD_TIMEOUT_MS, headers: { 'a2a-version': '1.0' } });
    if (!result.ok) return;
    const json = JSON.stringify(result.value);
    const agent = member.spec.agent.name;
    if (this.cards.get(agent)?.json === json) return;
    this.cards.set(agent, { json, card: result.value });
    this.version += 1;
  }
}

/** The built-in worker asks a person before some of this agent's tool calls (tools.approval, an MCP server's approval). */
function mayAskForApproval(agent: AgentConfig): boolean {
  const { tools } = agent;
  // run_shell is under approval by default, but offered only to agents with `shell: true`.
  if (tools.approval.some((tool) => tool !== 'run_shell' || tools.shell)) return true;
  return Object.values(tools.mcp).some((server) => server.approval === true || (Array.isArray(server.approval) && server.approval.length > 0));
}

/** A member's state as the task core weighs it: take tasks, wait for it, or pass it over. */
function availabilityOf(state: MemberStateName): Availability {
  switch (state) {
    case 'healthy':
      return 'healthy';
    case 'starting':
    case 'unhealthy':
    case 'backoff':
    // A remote agent that does not answer may well be back: wait for it (task.queueTimeout bounds that).
    case 'unreachable':
      return 'recovering';
    case 'failed':
      return 'failed';
    case 'stopping':
    case 'stopped':
      return 'stopped';
    default: {
      const unknown: never = state;
      throw new Error(`unexpected member state ${String(unknown)}`);
    }
  }
}
