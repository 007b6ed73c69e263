import type { TaskSettings } from '../config/types.js';
import type { AgentProfile } from './match.js';
import type { WorkerClient } from './worker-client.js';

/** One instance as the router sees it. */
export interface RoutableInstance {
  /** `agent#index` */
  id: string;
  agent: string;
  index: number;
  /** Healthy: may take tasks now. */
  healthy: boolean;
  /** Not healthy now but expected back (starting, unhealthy, backoff): worth a short wait. */
  recovering: boolean;
  capacity: number;
}

/** What the router needs of the supervisor, and nothing more. */
export interface FleetView {
  instances(): RoutableInstance[];
  agentNames(): string[];
  /** Capability profiles (agent cards merged with agents.yaml); `version` changes when they do. */
  profiles(): { version: number; profiles: AgentProfile[] };
  taskSettings(agent: string | null): TaskSettings;
  client(instance: RoutableInstance): WorkerClient;
  /** Called on any instance state change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
