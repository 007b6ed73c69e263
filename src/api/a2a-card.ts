import type { FleetAgentSummary } from '../protocol/agent-card.js';

export type { FleetAgentSummary } from '../protocol/agent-card.js';
import { A2A_RPC_PATH, humanize } from '../protocol/agent-card.js';


/** Media types a message to the fleet may carry: text, and JSON data (passed on as its text). */
export const FLEET_INPUT_MODES = ['text/plain', 'application/json'];
/** The answer is text; files the task wrote come back as artifacts of their own media type. */
export const FLEET_OUTPUT_MODES = ['text/plain', 'application/octet-stream'];

const NAME = 'lightning fleet';

/** The JSON-RPC endpoint's path, with or without the trailing slash HTTP clients add to base URLs. */
export function isA2ARpcPath(path: string): boolean {
  return path === A2A_RPC_PATH || path === `${A2A_RPC_PATH}/`;
}

function describe(agents: FleetAgentSummary[]): string {
  const names = agents.map((agent) => agent.name).join(', ') || 'no agents yet';
  return `A fleet of agents supervised by lightning (${names}). A message becomes a task routed to the best healthy agent for it; its answer and the files it wrote come back as artifacts.`;
}

function skillsOf(agents: FleetAgentSummary[]) {
  return agents.map((agent) => ({
    id: agent.name,
    name: humanize(agent.name),
    description: agent.description || `${humanize(agent.name)}: ${agent.capabilities.join(', ') || 'general tasks'}`,
    tags: agent.capabilities.length > 0 ? agent.capabilities : [agent.name],
    examples: agent.examples,
    inputModes: FLEET_INPUT_MODES,
    outputModes: FLEET_OUTPUT_MODES,
  }));
}

/**
 * The supervisor's A2A v1.0 agent card (JSON wire form): the whole fleet as one agent, each of its
 * agents a skill, the JSON-RPC endpoint on the control API's port, bearer auth.
 */
export function buildFleetCard(baseUrl: string, version: string, agents: FleetAgentSummary[]): Record<string, unknown> {
  const url = `${baseUrl}${A2A_RPC_PATH}`;
  return {
    name: NAME,
    description: describe(agents),
    version,
    supportedInterfaces: [
      { url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url, protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
    ],
    provider: { organization: 'lightning', url: baseUrl },
    capabilities: { streaming: true, pushNotifications: false },
    securitySchemes: {
      bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'The control token (token in .lightning/supervisor.json) or $LIGHTNING_A2A_TOKEN' } },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: FLEET_INPUT_MODES,
    defaultOutputModes: FLEET_OUTPUT_MODES,
    skills: skillsOf(agents),
  };
}

/** The same card in A2A v0.3 form (top-level `url`), for clients that ask for a 0.x protocol. */
export function buildLegacyFleetCard(baseUrl: string, version: string, agents: FleetAgentSummary[]): Record<string, unknown> {
  return {
    protocolVersion: '0.3.0',
    name: NAME,
    description: describe(agents),
    version,
    url: `${baseUrl}${A2A_RPC_PATH}`,
    preferredTransport: 'JSONRPC',
    provider: { organization: 'lightning', url: baseUrl },
    capabilities: { streaming: true, pushNotifications: false },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    security: [{ bearer: [] }],
    defaultInputModes: FLEET_INPUT_MODES,
    defaultOutputModes: FLEET_OUTPUT_MODES,
    skills: skillsOf(agents),
  };
}
