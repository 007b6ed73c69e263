import { AGENT_NAME_RE } from '../config/names.js';
import {
  DEFAULT_CAPACITY, DEFAULT_HEALTH, DEFAULT_MODEL, DEFAULT_PROVIDER, DEFAULT_RESTART, DEFAULT_STOP, DEFAULT_TASK, DEFAULT_TOOLS,
  JOIN_LEASE,
} from '../config/defaults.js';
import type { AgentConfig, InstanceSpec, LightningConfig } from '../config/types.js';
import { AGENT_CARD_PATH } from '../protocol/agent-card.js';
import { fetchJson } from '../util/fetch-json.js';
import { isHttpUrl, urlPort } from '../util/url.js';
import type { Clock, TimerHandle } from './clock.js';
import type { FleetMember } from './fleet-member.js';
import type { RemoteAgent } from './remote-agent.js';

export type RegisterResult =
  | { ok: true; created: boolean; id: string; name: string; instance: number; leaseMs: number; expiresAt: string }
  | { ok: false; status: number; error: string; message: string };

/** What the registrations need of the supervisor. */
export interface RegistrationHost {
  readonly config: LightningConfig;
  readonly instances: readonly FleetMember[];
  createJoined(spec: InstanceSpec, url: string): RemoteAgent;
  addJoined(member: RemoteAgent): Promise<void>;
  removeJoined(member: RemoteAgent): Promise<void>;
}

interface Lease {
  member: RemoteAgent;
  leaseMs: number;
  expiresAt: number;
  timer: TimerHandle;
}

/**
 * Agents that joined by themselves (`POST /v1/agents/register` with the join token). Each holds
 * a lease it renews by registering again; when a lease runs out the agent leaves routing and
 * status — a machine that died needs no one to clean up after it. An agent whose name is in
 * agents.yaml joins that agent as one more instance (load spreads across machines); any other
 * name becomes an agent of its own, described by its card.
 */
export class Registrations {
  private readonly byUrl = new Map<string, Lease>();
  /** extraAgents() as last worked out, for that agents.yaml list; dropped when a lease comes or goes. */
  private extras: { configured: readonly AgentConfig[]; list: AgentConfig[] } | null = null;

  constructor(
    private readonly host: RegistrationHost,
    private readonly clock: Clock,
    private readonly note: (message: string) => void,
  ) {}

  async register(body: unknown): Promise<RegisterResult> {
    const request = parseRequest(body);
    if ('error' in request) return request;
    const known = this.byUrl.get(request.url);
    if (known) {
      this.renew(known, request.leaseMs);
      return this.answer(known, false);
    }
    const card = await fetchJson(`${request.url}${AGENT_CARD_PATH}`, { timeoutMs: JOIN_LEASE.cardTimeoutMs, headers: { 'a2a-version': '1.0' } });
    if (!card.ok) {
      return { ok: false, status: 422, error: 'card_unreachable', message: `could not read the agent card at ${request.url}${AGENT_CARD_PATH}: ${card.error}. The supervisor must be able to reach the URL you register (use --advertise with an address this supervisor can reach)` };
    }
    const name = request.name ?? nameFromCard(card.value);
    if (name === null) {
      return { ok: false, status: 400, error: 'bad_name', message: 'the agent card has no usable name; send "name" (letters, digits, _ and -, starting with a letter)' };
    }
    const again = this.byUrl.get(request.url); // registered while the card was being fetched
    if (again) return this.answer(again, false);
    const configured = this.host.config.agents.find((agent) => agent.name === name);
    const agent = configured ?? registeredAgent(name, request.url, card.value);
    // After every index agents.yaml plans for the agent (even ones a reload is still starting).
    const taken = this.host.instances.filter((member) => member.spec.agent.name === name).map((member) => member.spec.index);
    const index = Math.max(configured?.instances ?? 0, ...taken.map((i) => i + 1));
    const member = this.host.createJoined({ agent, index, port: urlPort(request.url) }, request.url);
    const lease: Lease = { member, leaseMs: request.leaseMs, expiresAt: 0, timer: this.clock.setTimeout(() => undefined, 0) };
    this.byUrl.set(request.url, lease);
    this.extras = null;
    this.renew(lease, request.leaseMs);
    this.note(`${member.id} joined from ${request.url} (lease ${request.leaseMs} ms)`);
    await this.host.addJoined(member);
    return this.answer(lease, true);
  }

  /** A heartbeat by id (`POST /v1/agents/register/:id/heartbeat`): false if the lease is gone. */
  heartbeat(id: string): RegisterResult | null {
    const lease = this.leaseOf(id);
    if (!lease) return null;
    this.renew(lease, lease.leaseMs);
    return this.answer(lease, false);
  }

  /** An agent leaving on purpose (`DELETE /v1/agents/register/:id`). */
  async leave(id: string, why = 'it asked to'): Promise<boolean> {
    const lease = this.leaseOf(id);
    if (!lease) return false;
    this.note(`${id} left: ${why}`);
    await this.drop(lease);
    return true;
  }

  /** When the member's lease runs out (ms since the epoch), or null if it holds none. */
  leaseExpiry(member: FleetMember): number | null {
    const lease = member.kind === 'registered' ? this.byUrl.get(member.baseUrl) : undefined;
    return lease?.member === member ? lease.expiresAt : null;
  }

  /** Registered agents that agents.yaml does not name, for the router's list of agents. */
  extraAgents(): readonly AgentConfig[] {
    // Asked several times per task (the router's list, a task's settings and price): worked out
    // again only when agents.yaml or the leases moved.
    const configured = this.host.config.agents;
    if (this.extras?.configured === configured) return this.extras.list;
    const names = new Set(configured.map((agent) => agent.name));
    const extra = new Map<string, AgentConfig>();
    for (const { member } of this.byUrl.values()) if (!names.has(member.spec.agent.name)) extra.set(member.spec.agent.name, member.spec.agent);
    const list = [...extra.values()];
    this.extras = { configured, list };
    return list;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byUrl.values()].map((lease) => this.drop(lease)));
  }

  private leaseOf(id: string): Lease | undefined {
    return [...this.byUrl.values()].find((candidate) => candidate.member.id === id);
  }

  private renew(lease: Lease, leaseMs: number): void {
    this.clock.clearTimeout(lease.timer);
    lease.leaseMs = leaseMs;
    lease.expiresAt = this.clock.now() + leaseMs;
    lease.timer = this.clock.setTimeout(() => {
      this.note(`${lease.member.id} (${lease.member.baseUrl}) missed its heartbeats; lease expired after ${leaseMs} ms`);
      void this.drop(lease);
    }, leaseMs);
    lease.timer.unref?.();
  }

  private async drop(lease: Lease): Promise<void> {
    this.clock.clearTimeout(lease.timer);
    if (this.byUrl.get(lease.member.baseUrl) === lease) this.byUrl.delete(lease.member.baseUrl);
    this.extras = null;
    await this.host.removeJoined(lease.member);
  }

  private answer(lease: Lease, created: boolean): RegisterResult {
    const { member } = lease;
    return { ok: true, created, id: member.id, name: member.spec.agent.name, instance: member.spec.index, leaseMs: lease.leaseMs, expiresAt: new Date(lease.expiresAt).toISOString() };
  }
}

function parseRequest(body: unknown): { url: string; name: string | null; leaseMs: number } | (RegisterResult & { ok: false }) {
  const bad = (error: string, message: string) => ({ ok: false as const, status: 400, error, message });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('bad_request', 'send {"url": "http://host:port", "name"?: "agent", "ttlMs"?: 15000}');
  const fields = body as Record<string, unknown>;
  // The agent's base URL, or its card's URL (what A2A calls the agent's address) — either works.
  const url = fields.url ?? fields.cardUrl;
  const { name } = fields;
  const ttlMs = fields.ttlMs ?? fields.leaseMs;
  if (typeof url !== 'string' || !isHttpUrl(url)) {
    return bad('bad_url', '"url" must be the agent\'s http(s) base URL, where it serves /.well-known/agent-card.json, e.g. "http://10.0.0.5:9101"');
  }
  if (name !== undefined && (typeof name !== 'string' || !AGENT_NAME_RE.test(name))) {
    return bad('bad_name', '"name" must be letters, digits, _ and -, starting with a letter (at most 63)');
  }
  const { minMs, maxMs, defaultMs } = JOIN_LEASE;
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < minMs || ttlMs > maxMs)) {
    return bad('bad_ttl', `"ttlMs" must be an integer from ${minMs} to ${maxMs} (the lease; renew it by registering again before it ends)`);
  }
  const parsed = new URL(url);
  const base = parsed.pathname.replace(CARD_PATH_RE, '').replace(/\/+$/, '');
  return { url: `${parsed.protocol}//${parsed.host}${base}`, name: name ?? null, leaseMs: (ttlMs as number | undefined) ?? defaultMs };
}

/** A card URL given for the agent's address: the base is what comes before it. */
const CARD_PATH_RE = /\/\.well-known\/(agent-card|agent)\.json$/;

function nameFromCard(card: unknown): string | null {
  const raw = typeof card === 'object' && card !== null ? (card as { name?: unknown }).name : undefined;
  if (typeof raw !== 'string') return null;
  const name = raw.trim().replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 63);
  return AGENT_NAME_RE.test(name) ? name : null;
}

/** An agent known only from its card: built-in defaults for everything the card does not say. */
function registeredAgent(name: string, url: string, card: unknown): AgentConfig {
  const c = (typeof card === 'object' && card !== null ? card : {}) as { description?: unknown; skills?: unknown };
  const skills = Array.isArray(c.skills) ? (c.skills as Array<{ id?: unknown }>) : [];
  return {
    name,
    port: urlPort(url),
    instances: 1,
    description: typeof c.description === 'string' ? c.description : '',
    capabilities: skills.map((skill) => skill.id).filter((id): id is string => typeof id === 'string' && id !== ''),
    examples: [],
    fallback: false,
    prompt: null,
    command: null,
    url,
    tokenEnv: null,
    env: {},
    cwd: process.cwd(),
    model: DEFAULT_MODEL,
    provider: { ...DEFAULT_PROVIDER },
    health: { ...DEFAULT_HEALTH },
    restart: { ...DEFAULT_RESTART },
    stop: { ...DEFAULT_STOP },
    task: { ...DEFAULT_TASK },
    tools: { ...DEFAULT_TOOLS },
    capacity: DEFAULT_CAPACITY,
  };
}
