import type { AgentCard, AgentSkill } from '@a2a-js/sdk';

/** Where the A2A JSON-RPC endpoint of a worker lives, relative to its base URL. */
export const A2A_RPC_PATH = '/a2a/jsonrpc';
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';

export interface CardSource {
  name: string;
  description: string;
  capabilities: string[];
  /** Example tasks; each goes to the skills it mentions (or the first skill). */
  examples: string[];
  version: string;
  baseUrl: string;
  /** Whether the JSON-RPC endpoint wants `Authorization: Bearer …`. */
  requiresToken: boolean;
  /** Whether it takes push notification configs and POSTs task updates to them (default no). */
  pushNotifications?: boolean;
}

/** An A2A v1.0 Agent Card; skills come from the agent's capabilities so the router can read them. */
export function buildAgentCard(source: CardSource): AgentCard {
  const security = securityOf(source);
  return {
    name: source.name,
    description: source.description,
    version: source.version,
    // One endpoint, both JSON-RPC versions: the A2A-Version header picks (none = 0.3).
    supportedInterfaces: [
      { url: `${source.baseUrl}${A2A_RPC_PATH}`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
      { url: `${source.baseUrl}${A2A_RPC_PATH}`, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
    ],
    provider: { organization: 'lightning', url: source.baseUrl },
    capabilities: { streaming: true, pushNotifications: source.pushNotifications ?? false, extensions: [] },
    securitySchemes: security.schemes,
    securityRequirements: security.requirements,
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: source.capabilities.map((capability) => skillOf(source, capability)),
    signatures: [],
  } as AgentCard;
}

/**
 * The same card in A2A v0.3 form, for clients that ask for a 0.x protocol: a top-level `url`
 * and `protocolVersion` instead of `supportedInterfaces`.
 */
export function buildLegacyAgentCard(source: CardSource): Record<string, unknown> {
  return {
    protocolVersion: '0.3.0',
    name: source.name,
    description: source.description,
    version: source.version,
    url: `${source.baseUrl}${A2A_RPC_PATH}`,
    preferredTransport: 'JSONRPC',
    provider: { organization: 'lightning', url: source.baseUrl },
    capabilities: { streaming: true, pushNotifications: source.pushNotifications ?? false },
    ...(source.requiresToken
      ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, security: [{ bearer: [] }] }
      : {}),
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: source.capabilities.map((capability) => {
      const { securityRequirements: _unused, ...rest } = skillOf(source, capability);
      return rest;
    }),
  };
}

function skillOf(source: CardSource, capability: string): AgentSkill {
  return {
    id: capability,
    name: humanize(capability),
    description: `${humanize(capability)} work by ${source.name}: ${source.description}`,
    tags: [capability],
    examples: examplesFor(source, capability),
    inputModes: ['text/plain'],
    outputModes: ['text/plain'],
    securityRequirements: [],
  };
}

/** JSON wire form of an A2A v1.0 bearer scheme (the SDK's types model the protobuf form). */
function securityOf(source: CardSource): { schemes: AgentCard['securitySchemes']; requirements: AgentCard['securityRequirements'] } {
  if (!source.requiresToken) return { schemes: {}, requirements: [] };
  return {
    schemes: { bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'LIGHTNING_TOKEN' } } } as unknown as AgentCard['securitySchemes'],
    requirements: [{ schemes: { bearer: { list: [] } } }] as unknown as AgentCard['securityRequirements'],
  };
}

function examplesFor(source: CardSource, capability: string): string[] {
  const mentions = (example: string, term: string) => example.toLowerCase().includes(term.toLowerCase());
  const mine = source.examples.filter((example) => mentions(example, capability));
  if (capability !== source.capabilities[0]) return mine;
  const unplaced = source.examples.filter((example) => !source.capabilities.some((term) => mentions(example, term)));
  return [...mine, ...unplaced];
}

/** `landing-page` → `Landing Page`: skill names from capability tags. */
export function humanize(term: string): string {
  return term
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** One agent of the fleet as the supervisor's card shows it: a skill of the fleet. */
export interface FleetAgentSummary {
  name: string;
  description: string;
  /** agents.yaml's capabilities united with what the agent's own card reports. */
  capabilities: string[];
  examples: string[];
}
